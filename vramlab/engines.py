"""How each vLLM release line sizes its KV cache at start-up, read from vLLM's own code.

Each rule was read in the Python sources of the named release (the files of its wheel) and
says which file: the budget (``vllm/worker/worker.py``, ``vllm/v1/worker/gpu_worker.py``,
``memory_profiling``), defaults (``vllm/engine/arg_utils.py``, ``vllm/config.py``,
``vllm/envs.py``), block groups (``vllm/v1/core/kv_cache_utils.py``), the sampler and forced
block sizes. What the source cannot give (memory NCCL and CUDA take outside PyTorch) is a
named constant fitted to the shipped logs, listing its rows. The lines themselves and the
fitted constants are in :mod:`vramlab.engine_lines`. The budget is the same in every
line since 0.6.4: ``KV = total × gpu_memory_utilization − (weights + torch peak increase of
the profile run + non-torch increase [+ CUDA graphs, 0.21+])``; the lines differ in what the
profile run allocates, when the baseline snapshot is taken, the CUDA-graph subtraction,
``--dtype auto`` for float32 checkpoints, MLA block sizes and the hybrid allocator's groups.

>>> line = engine_line("0.10.1")
>>> line.name, line.v1, line.cuda_graphs_profiled
('0.10', True, False)
>>> engine_line("latest").name, engine_line("v0.19.0").name, engine_line("0.7.1").v1
('0.21', '0.19', False)
"""

from __future__ import annotations

import re
from fractions import Fraction

from .dtypes import DType, get_dtype
from .engine_lines import (ENGINE_LINES, FITTED_CONSTANTS, NON_TORCH_V0, NON_TORCH_V1, RUNTIME_BUFFERS_V1,
                           SAMPLER_BYTES_FLASHINFER_PROBS, SAMPLER_BYTES_INPLACE, SAMPLER_BYTES_SORT, TP_COMM_EARLY, TP_COMM_LATE, TP_COMM_V0,
                           EngineLine, _ALIASES, _BY_NAME, without_rows_of)
from .errors import VramlabError, show
from .memory import compute_dtype, kv_bytes_per_layer
from .spec import ModelSpec
from .units import GiB

__all__ = ["EngineLine", "ENGINE_LINES", "engine_line", "resolve_engine", "parse_version", "line_batching",
           "line_auto_dtype", "line_block_size", "hybrid_group_size", "line_non_torch", "run_dtype", "kv_layout",
           "block_groups",
           "VLLM_DTYPES",
           "NON_TORCH_V0", "NON_TORCH_V1", "TP_COMM_EARLY", "TP_COMM_LATE", "TP_COMM_V0", "RUNTIME_BUFFERS_V1",
           "SAMPLER_BYTES_INPLACE", "SAMPLER_BYTES_SORT", "SAMPLER_BYTES_FLASHINFER_PROBS",
           "FITTED_CONSTANTS", "without_rows_of"]

_VERSION_RE = re.compile(r"v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,4}))?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a vLLM version string, or None.

    >>> parse_version("v0.10.1"), parse_version("0.7.3.dev233+gad5a35c2"), parse_version("0.19"), parse_version("main")
    ((0, 10, 1), (0, 7, 3), (0, 19, 0), None)
    """
    m = _VERSION_RE.match(str(text).strip())
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def resolve_engine(engine: "str | EngineLine") -> tuple[EngineLine, str]:
    """The release line of ``engine`` and a note ("" when the version lies inside a line).

    ``engine``: a version ("0.10.1", "v0.19.0", "0.7.3.dev233+g..."), a line name, "latest" (the
    newest line vramlab read: 0.21, for 0.21.0 and later, read at v0.26.0), or "v1" (the line of
    v0.19.0, which the fitted constants come from) / "v0" (0.6); a version outside every line maps
    to the nearest one, with a note. Names are case- and space-insensitive.

    >>> resolve_engine("latest") == (ENGINE_LINES[-1], ""), resolve_engine(" Latest ")[0].name
    (True, '0.21')
    >>> resolve_engine("0.5.4")[0].name, resolve_engine("0.5.4")[1]
    ('0.6', 'vLLM 0.5.4 is older than the lines vramlab read (0.6 to latest); using line 0.6 (read at v0.6.4.post1)')
    >>> resolve_engine("0.10.2")
    (EngineLine(name='0.10', ...), '')
    """
    if isinstance(engine, EngineLine):
        return engine, ""
    if not isinstance(engine, str):
        raise VramlabError(f"engine must be a vLLM version such as '0.10.1' or 'latest', got {show(engine)}",
                           field="engine")
    key = engine.strip().lower()
    if key in _ALIASES:
        return _BY_NAME[_ALIASES[key]], ""
    if key in _BY_NAME:
        return _BY_NAME[key], ""
    v = parse_version(key)
    if v is None:
        raise VramlabError(f"engine {show(engine)} is not a vLLM version; valid: a version such as '0.10.1' or "
                           f"'v0.19.0', 'latest', or a line: {', '.join(_BY_NAME)}", field="engine")
    first, newest = ENGINE_LINES[0], ENGINE_LINES[-1]
    if v < first.first:
        return first, (f"vLLM {engine} is older than the lines vramlab read (0.6 to latest); using line "
                       f"{first.name} (read at {first.read_at})")
    line = next(ln for ln in ENGINE_LINES if ln.first <= v <= ln.last)
    if line is newest and v > parse_version(newest.read_at):
        return line, (f"vLLM {engine} is newer than the newest release vramlab read ({newest.read_at}); using "
                      f"line {newest.name}")
    return line, ""


def engine_line(engine: "str | EngineLine") -> EngineLine:
    """The release line of ``engine`` (see :func:`resolve_engine`).

    >>> engine_line("v1").read_at, engine_line("0.8.3").big_gpu
    ('v0.19.0', '70GiB')
    >>> engine_line("vllm")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: engine 'vllm' is not a vLLM version; valid: a version such as '0.10.1' or 'v0.19.0', 'latest', or a line: 0.6, 0.7, 0.8, 0.9, 0.10, 0.11, 0.13, 0.17, 0.19, 0.21
    """
    return resolve_engine(engine)[0]


def line_batching(line: EngineLine, gpu_bytes: int, gpu_name: str = "", usage: str = "serve",
                  max_model_len: int = 8192) -> tuple[int, int]:
    """``(max_num_batched_tokens, max_num_seqs)`` the line picks when they are not given.

    >>> line_batching(engine_line("0.10.1"), 79 * GiB, "A100 80GB"), line_batching(engine_line("0.8.5"), 79 * GiB, "A100 80GB")
    ((2048, 256), (8192, 1024))
    >>> line_batching(engine_line("0.7.1"), 44 * GiB, max_model_len=40960), line_batching(engine_line("0.7.1"), 44 * GiB, max_model_len=4096)
    ((2048, 256), (4096, 256))
    """
    if not line.v1:
        return (line.v0_chunk_tokens if max_model_len > 32768 else max(max_model_len, 2048)), 256
    big = gpu_bytes >= 70 * GiB and not (line.big_gpu == "70GiB-not-A100" and "a100" in gpu_name.lower())
    if big:
        return (8192 if usage == "serve" else 16384), 1024
    return (2048 if usage == "serve" else 8192), 256


def line_auto_dtype(line: EngineLine, checkpoint_dtype: str) -> str:
    """The dtype ``--dtype auto`` runs a checkpoint stored in ``checkpoint_dtype`` in.

    >>> line_auto_dtype(engine_line("0.7.1"), "fp32"), line_auto_dtype(engine_line("0.10.1"), "fp32")
    ('fp16', 'bf16')
    >>> line_auto_dtype(engine_line("0.7.1"), "bf16")
    'bf16'
    """
    return line.auto_fp32 if checkpoint_dtype == "fp32" else checkpoint_dtype


def line_block_size(line: EngineLine, block_size: int, is_mla: bool, gpu_name: str = "") -> int:
    """The block size vLLM uses: MLA is forced to 64 (Hopper) or 128 (Blackwell) in 0.8-0.10.

    >>> line_block_size(engine_line("0.10.1"), 16, True, "H100 80GB"), line_block_size(engine_line("0.19.0"), 16, True, "H100 80GB")
    (64, 16)
    """
    if is_mla and line.mla_block_64:
        name = gpu_name.upper()
        if name.startswith("B200") or name.startswith("B100") or name.startswith("GB200"):
            return 128 if line.name != "0.8" else block_size
        if name.startswith("H100") or name.startswith("H200") or name.startswith("H800"):
            return 64
    return block_size


def hybrid_group_size(line: EngineLine, layer_counts: list[int]) -> int:
    """Layers per block group for a hybrid model whose attention types have ``layer_counts`` layers.

    >>> hybrid_group_size(engine_line("0.10.1"), [12, 13]), hybrid_group_size(engine_line("0.19.0"), [12, 13])
    (12, 13)
    >>> hybrid_group_size(engine_line("0.19.0"), [5, 1]), hybrid_group_size(engine_line("0.13.0"), [10, 14])
    (1, 10)
    """
    lo, hi = min(layer_counts), max(layer_counts)
    return hi if line.group_factor and hi < lo * line.group_factor else lo


def line_non_torch(line: EngineLine, tensor_parallel: int) -> int:
    """Non-torch memory per GPU the line counts (fitted constants, see the module's names).

    >>> round(line_non_torch(engine_line("0.19.0"), 2) / GiB, 2), round(line_non_torch(engine_line("0.10.1"), 2) / GiB, 2)
    (2.07, 0.43)
    """
    return line.non_torch_tp1 + (line.tp_comm if tensor_parallel >= 2 else 0)


#: ``--dtype`` values vLLM accepts (``ModelDType``, vllm/config.py v0.9.2) and vramlab's names for them.
VLLM_DTYPES = {"auto": "auto", "half": "fp16", "float16": "fp16", "fp16": "fp16", "bfloat16": "bf16",
               "bf16": "bf16", "float": "fp32", "float32": "fp32", "fp32": "fp32"}


def run_dtype(line: EngineLine, m: ModelSpec, dtype: str | DType = "auto") -> DType:
    """The dtype vLLM runs ``m`` in for ``--dtype dtype``: activations, unquantized weights and
    (with ``kv_cache_dtype auto``) the KV cache.

    ``auto`` takes the checkpoint's ``torch_dtype``, float32 downcast as the line does
    (:func:`line_auto_dtype`); an explicit value is used as given (``float32`` keeps 4 bytes).

    >>> import vramlab as vl
    >>> m = vl.load_model("meta-llama/Llama-3.1-8B-Instruct")
    >>> run_dtype(engine_line("0.19"), m).name, run_dtype(engine_line("0.19"), m, "float32").name
    ('bf16', 'fp32')
    >>> run_dtype(engine_line("0.19"), m, "int8")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: dtype 'int8' is not a vLLM --dtype; valid: auto, half, float16, fp16, bfloat16, bf16, float, float32, fp32
    """
    if isinstance(dtype, DType):
        if dtype.name not in ("fp16", "bf16", "fp32"):
            raise VramlabError(f"dtype {dtype.name!r} is not a vLLM --dtype; valid: {', '.join(VLLM_DTYPES)}",
                               field="dtype")
        return dtype
    key = dtype.strip().lower().replace("torch.", "") if isinstance(dtype, str) else None
    if key not in VLLM_DTYPES:
        raise VramlabError(f"dtype {show(dtype)} is not a vLLM --dtype; valid: {', '.join(VLLM_DTYPES)}",
                           field="dtype")
    if VLLM_DTYPES[key] != "auto":
        return get_dtype(VLLM_DTYPES[key])
    return get_dtype(line_auto_dtype(line, compute_dtype(m).name))


#: Layer kinds with a fixed state per sequence instead of K/V per token (vramlab.layers) whose
#: vLLM page kv_layout models: linear attention (Gated DeltaNet, ``gated_delta_net_state_shape``;
#: MiniMax's Lightning, ``linear_attention_state_shape``) and Mamba (``mamba1_state_shape``).
_STATE = ("linear", "mamba")
#: Config field holding the conv kernel width of each state kind.
_KERNEL = {"linear": "linear_conv_kernel_dim", "mamba": "mamba_d_conv"}
#: Layer kinds kv_layout sizes: attention (K/V per token) and the state kinds above.
_MODELLED = ("full", "sliding", "chunked") + _STATE
#: Words for the layer kinds kv_layout refuses.
_KIND_WORDS = {"mamba2": "Mamba-2", "none": "MLP-only (no mixer)"}


def _check_layer_kinds(line: EngineLine, m: ModelSpec) -> None:
    """Refuse layers whose vLLM cache kv_layout does not model, rather than count them as zero.

    Mamba-2 layers (Nemotron-H; vLLM's ``mamba2_state_shape`` widens the conv's groups to the TP
    size), layers cacheless in vramlab's pattern (Nemotron-H's MLP and MoE blocks) and attention
    layers that also hold a state (Falcon-H1: attention and a Mamba-2 mixer in every layer, which
    vLLM pages as two layers) are refused, naming the engine and the layer kind.

    >>> import vramlab as vl
    >>> nh = vl.load_model({"model_type": "nemotron_h", "hybrid_override_pattern": "M*", "hidden_size": 64,
    ...     "intermediate_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
    ...     "mamba_num_heads": 4, "mamba_head_dim": 8, "n_groups": 2, "ssm_state_size": 8, "conv_kernel": 4,
    ...     "vocab_size": 128})
    >>> _check_layer_kinds(engine_line("0.19"), nh)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: engine 0.19: vramlab does not model vLLM's cache for the Mamba-2 layers (layer kind 'mamba2', 1 of 2 layers) of nemotron_h; valid: models whose layers are attention (full, sliding, chunked), linear attention or Mamba
    """
    valid = "valid: models whose layers are attention (full, sliding, chunked), linear attention or Mamba"
    for la in m.layers:
        if la.kind not in _MODELLED:
            n = sum(x.kind == la.kind for x in m.layers)
            raise VramlabError(f"engine {line.name}: vramlab does not model vLLM's cache for the "
                               f"{_KIND_WORDS.get(la.kind, la.kind)} layers (layer kind {la.kind!r}, {n} of "
                               f"{m.num_layers} layers) of {m.name}; {valid}", field="model")
        if la.is_attention and (la.conv_state or la.recurrent_state):
            raise VramlabError(f"engine {line.name}: vramlab does not model vLLM's cache for attention layers that "
                               f"also hold a state (layer kind {la.kind!r} with {la.conv_state + la.recurrent_state:,} "
                               f"state values per sequence, as Falcon-H1's attention and Mamba-2 mixer) of {m.name}; "
                               f"{valid}", field="model")


def block_groups(line: EngineLine, m: ModelSpec) -> list[tuple[str, int | None, int]]:
    """Block groups ``(kind, window, layers per group)`` of ``m`` in ``line``, one entry per group.

    V0 and 0.8 put every layer in one full-attention group; from 0.9 the hybrid allocator
    groups layers of one kind (and window), each group cut to :func:`hybrid_group_size`
    layers (``vllm/v1/core/kv_cache_utils.py``). The one grouping rule of vramlab
    (:func:`kv_layout` and :mod:`vramlab.paging` use it).

    >>> import vramlab as vl
    >>> g = vl.load_model("google/gemma-2-9b")                 # 21 sliding + 21 full layers
    >>> block_groups(engine_line("0.19"), g), block_groups(engine_line("0.8"), g)
    ([('sliding', 4096, 21), ('full', None, 21)], [('full', None, 42)])
    """
    kinds: dict[tuple[str, int | None], int] = {}
    for la in m.layers:
        key = (la.kind, la.window) if line.hybrid else ("full", None)
        kinds[key] = kinds.get(key, 0) + 1
    if len(kinds) == 1:
        (k, w), n = next(iter(kinds.items()))
        return [(k, w, n)]
    size = hybrid_group_size(line, list(kinds.values()))
    return [(k, w, size) for (k, w), n in kinds.items() for _ in range(-(-n // size))]


def _state_page(line: EngineLine, m: ModelSpec, state_dtype: DType, tp: int) -> int:
    """Bytes of one state layer's page on one GPU (the largest), 0 without state layers.

    vLLM keeps ``kernel − 1`` conv positions per channel (``*_state_shape``,
    vllm/model_executor/layers/mamba/mamba_utils.py v0.19.0; transformers keeps ``kernel``)
    and the recurrent/SSM state, split over TP, both in the model dtype (``mamba_cache_dtype
    auto``). Needs the hybrid allocator (0.10+).
    """
    states = [la for la in m.layers if la.kind in _STATE]
    if not states:
        return 0
    if not line.hybrid or line.first < (0, 10, 0):
        raise VramlabError(f"engine {line.name}: vramlab models the linear-attention / Mamba layers of {m.name} "
                           "from vLLM 0.10 on (V1's hybrid allocator); valid: engine '0.10.1' or later",
                           field="engine")
    if len(states) == m.num_layers:
        raise VramlabError(f"{m.name} has no attention layer: kv_pool sizes K/V blocks of attention layers; "
                           "valid: a model with attention layers", field="model")
    b = state_dtype.bytes_per_value
    pages = []
    for la in states:
        k = int(m.config.get(_KERNEL[la.kind]) or 4)
        conv = Fraction(la.conv_state * (k - 1), k)
        pages.append(-(-((conv + la.recurrent_state) * b).numerator // (((conv + la.recurrent_state) * b)
                                                                          .denominator * tp)))
    return max(pages)


def kv_layout(line: EngineLine, m: ModelSpec, kv_dtype: DType, kv_bytes: int, *, tensor_parallel: int = 1,
              block_size: int = 16, batched_tokens: int = 8192, max_model_len: int = 8192,
              state_dtype: DType | None = None) -> dict:
    """Blocks, tokens and max concurrency a KV pool of ``kv_bytes`` on one GPU gives in ``line``.

    A page is one layer's K and V for ``block_size`` tokens on this GPU (KV heads split by
    TP, at least one each; MLA's latent replicated). V0 and 0.8 size every layer as full
    attention in one group and report ``tokens / max_model_len`` as concurrency; from 0.9 the
    hybrid allocator groups layers by kind (:func:`hybrid_group_size`), one block holds a page
    of every layer of a group, ``tokens = num_blocks // groups × block_size`` and concurrency
    is ``num_blocks / Σ blocks per request`` (full: ``ceil(max_model_len / block_size)``;
    sliding: ``ceil(min(window − 1 + batched_tokens, max_model_len) / block_size) + 1``;
    chunked: ``ceil(min(chunk + batched_tokens, max_model_len) / block_size)``; a state layer:
    one page), ``vllm/v1/core/kv_cache_utils.py`` and ``vllm/v1/kv_cache_interface.py``. With
    linear-attention or Mamba layers the attention block grows to ``16 × ceil(state page / (16 ×
    one token's page))`` tokens and the state page is padded to it
    (``HybridAttentionMambaModelConfig``, vllm/model_executor/models/config.py v0.10.1-v0.19.0).
    ``block_size`` in the result is the one used.

    >>> import vramlab as vl
    >>> g = vl.load_model("google/gemma-2-9b")
    >>> b = kv_layout(engine_line("0.19"), g, vl.get_dtype("bf16"), int(54.12 * 2**30), max_model_len=8192)
    >>> b["num_groups"], b["tokens"], round(b["max_concurrency"], 2)    # v0.19.0 logs 168,880 and 20.60x
    (2, 168880, 20.6)
    >>> kv_layout(engine_line("0.8"), g, vl.get_dtype("bf16"), 54 * 2**30)["num_groups"]
    1
    """
    _check_layer_kinds(line, m)
    per_layer = kv_bytes_per_layer(m, kv_dtype)
    if m.attention_kind != "MLA":
        per_layer = per_layer * max(1, m.num_kv_heads // tensor_parallel) / m.num_kv_heads
    state = _state_page(line, m, state_dtype or kv_dtype, tensor_parallel)
    one = -(-per_layer.numerator // per_layer.denominator)
    if state:
        block_size = max(block_size, 16 * -(-state // (16 * one)))
    page = -(-(per_layer * block_size).numerator // (per_layer * block_size).denominator)
    groups = block_groups(line, m)
    block_bytes = page * max(n for _, _, n in groups)
    num_blocks = max(0, kv_bytes) // block_bytes

    def need(kind: str, window: int | None) -> int:
        if kind in _STATE:
            return 1
        if kind == "sliding" and window:
            return -(-min(window - 1 + batched_tokens, max_model_len) // block_size) + 1
        if kind == "chunked" and window:
            return -(-min(window + batched_tokens, max_model_len) // block_size)
        return -(-max_model_len // block_size)

    per_request = sum(need(k, w) for k, w, _ in groups)
    tokens = num_blocks // len(groups) * block_size
    conc = num_blocks / per_request if line.hybrid else tokens / max_model_len
    return {"block_size": block_size, "page_bytes": page, "block_bytes": block_bytes, "num_groups": len(groups),
            "num_blocks": num_blocks, "tokens": tokens, "kv_bytes_per_token": -(-block_bytes * len(groups) // block_size),
            "blocks_per_request": per_request, "max_concurrency": conc}
