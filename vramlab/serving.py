"""Serving like vLLM: the KV pool from ``gpu_memory_utilization``, paged blocks, max concurrency.

vLLM sizes its KV cache once, at start-up, by profiling:

    KV memory = total memory × gpu_memory_utilization
                − (weights + activation peak of the profile run + non-torch memory
                   [+ CUDA-graph memory, in versions that count it])

then cuts that memory into blocks of ``block_size`` tokens (all layers of a block group
together) and reports ``tokens = blocks × block_size`` and
``max concurrency = blocks / ceil(max_model_len / block_size)``.

:func:`kv_pool` reproduces this accounting per GPU from the model's config and the rules of
a vLLM release line (:mod:`vramlab.engines`: ``engine="0.10.1"``, ``"v0.19.0"``, ``"latest"``;
each rule names the file and release of vLLM's source it was read in). The few constants
neither can give (non-torch memory, a runtime buffer) were fitted to the logs in
``data/vllm_logs_calibration.csv`` (:mod:`vramlab.calibration`,
``benchmarks/bench_vllm_accuracy.py``). Reading a start-up log: :mod:`vramlab.vllm_log`.

Physics of each term
--------------------
* **weights** per GPU: :func:`vramlab.weights_breakdown` split by tensor parallelism
  (embeddings, lm_head, MLP, experts and Q/O projections are sharded; norms and routers are
  replicated; K/V projections keep ``max(1, H_kv // TP)`` heads per GPU; MLA's latent
  down-projections are replicated), plus the RoPE cos/sin cache vLLM keeps as a buffer
  (``max_position_embeddings × rotary_dim`` values in the compute dtype).
* **activation peak** of the profile run, which pushes ``max_num_batched_tokens`` tokens
  through the model and then samples ``max_num_seqs`` sequences:
  ``max(forward transient, retained hidden states + MoE workspace + sampler)`` where the
  forward transient is :func:`vramlab.activation_bytes` (MLP/attention widths divided by TP)
  plus the residual stream it leaves out, and the sampler holds the line's bytes per logit
  (sorting top-k/top-p until 0.16, in place from 0.17) for ``max_num_seqs × vocab`` logits.
* **non-torch memory**: CUDA/cuBLAS workspaces; with TP ≥ 2, NCCL and custom all-reduce
  buffers, one constant per process and release line whatever the TP size.
* **CUDA graphs**: subtracted from 0.21 on (``VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS``
  defaults to 1), or when ``count_cuda_graphs=True``; before, captured after the KV cache.

>>> import vramlab as vl
>>> p = vl.kv_pool("meta-llama/Llama-3.1-8B-Instruct", gpu="H100 80GB",
...                gpu_memory_utilization=0.95, max_model_len=8192, engine="0.19.0")
>>> vl.format_bytes(p.kv_bytes, "GiB"), p.tokens, round(p.max_concurrency, 2)   # v0.19.0 logs 58.11 GiB, 476,016
('58.08 GiB', 475760, 58.08)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from typing import Any

from .dtypes import DType
from .errors import (MAX_BYTES, VramlabError, check_bool, check_bytes, check_fraction, check_int, check_items,
                     check_number, show)
from .families import expert_width
from .gpus import GPU, get_gpu
from .engines import (SAMPLER_BYTES_INPLACE, TP_COMM_LATE, EngineLine, ENGINE_LINES, kv_layout, line_batching,
                      line_block_size, line_non_torch, resolve_engine, run_dtype)
from .memory import activation_bytes, resolve_kv_dtype, resolve_weight_dtype, weights_breakdown
from .params import param_breakdown
from .presets import load_model
from .report import RichDisplay, pool_text, pool_warnings
from .spec import ModelSpec
from .units import GiB, MiB, from_unit, to_unit

__all__ = [
    "Pool", "ENGINES", "kv_pool", "check_tensor_parallel",
    "vllm_dtype", "weights_per_gpu", "rope_cache_bytes", "profile_activation", "non_torch_bytes",
    "cuda_graph_bytes", "default_batching", "utilization_sweep", "chunked_prefill_table",
    "SAMPLER_BYTES_PER_LOGIT", "TP_COMM_BYTES", "CUDA_GRAPH_BASE", "CUDA_GRAPH_PER_LAYER",
]

#: Sampler bytes per logit of the calibrated line (each line: ``EngineLine.sampler_bytes_per_logit``).
SAMPLER_BYTES_PER_LOGIT = SAMPLER_BYTES_INPLACE

#: Extra memory per GPU under tensor parallelism in recent vLLM (:data:`vramlab.engines.TP_COMM_LATE`,
#: rows 22 and 24); the fit planner uses it too.
TP_COMM_BYTES = TP_COMM_LATE

#: The vLLM release lines by name, plus ``"v1"`` (v0.19.0's, calibrated), ``"v0"`` (0.6) and
#: ``"latest"``; ``Pool.engine`` is one of these keys.
ENGINES: dict[str, EngineLine] = {**{ln.name: ln for ln in ENGINE_LINES},
                                  **{k: resolve_engine(k)[0] for k in ("v1", "v0", "latest")}}

#: CUDA-graph pool when counted: a base plus a share per decoder layer, fitted on the captures of the
#: dense TP=1 calibration rows (0.87-1.09 GiB); MoE/MLA models capture more (row 33: 1.57 GiB).
CUDA_GRAPH_BASE = from_unit(0.43, "GiB")
CUDA_GRAPH_PER_LAYER = 16 * MiB


def _engine(engine: str | EngineLine) -> EngineLine:
    return resolve_engine(engine)[0]

def check_tensor_parallel(m: ModelSpec, tensor_parallel: int) -> int:
    """Validate a tensor-parallel size as vLLM does; return it.

    Query heads must split evenly; KV heads must split evenly, or (fewer KV heads than
    GPUs) the TP size must be a multiple of them, each KV head then being replicated. MLA
    replicates its latent, so only the query heads count.

    >>> import vramlab as vl
    >>> check_tensor_parallel(vl.load_model("Qwen/Qwen3-8B"), 16)
    16
    >>> check_tensor_parallel(vl.load_model("Qwen/Qwen3-8B"), 3)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: tensor_parallel 3 does not divide the 32 attention heads of Qwen/Qwen3-8B; valid: 1, 2, 4, 8, 16, 32
    """
    tp = check_int("tensor_parallel", tensor_parallel, minimum=1, maximum=1024)
    h = m.num_q_heads
    valid = [d for d in range(1, h + 1) if h % d == 0]
    if h % tp:
        raise VramlabError(
            f"tensor_parallel {tp} does not divide the {h} attention heads of {m.name}; valid: "
            + ", ".join(map(str, valid)), field="tensor_parallel")
    kv = m.num_kv_heads
    if m.attention_kind != "MLA" and not (kv % tp == 0 or tp % kv == 0):
        raise VramlabError(
            f"tensor_parallel {tp} neither divides nor is a multiple of the {kv} KV heads of {m.name}",
            field="tensor_parallel")
    return tp


def vllm_dtype(m: ModelSpec, engine: str | EngineLine = "v1", dtype: str | DType = "auto") -> DType:
    """The dtype vLLM runs a model in for ``--dtype dtype`` (:func:`vramlab.engines.run_dtype`):
    ``auto`` reads the checkpoint, float32 checkpoints downcast to bf16 (0.9+) or fp16
    (0.6-0.8, ``_get_and_verify_dtype``); an explicit ``float32`` stays 4 bytes.

    >>> import vramlab as vl
    >>> vllm_dtype(vl.load_model("Qwen/Qwen3-8B")).name, vllm_dtype(vl.load_model("Qwen/Qwen3-8B"), dtype="float32").name
    ('bf16', 'fp32')
    >>> fp32 = vl.load_model({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
    ...     "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 100, "torch_dtype": "float32"})
    >>> vllm_dtype(fp32).name, vllm_dtype(fp32, "0.7.1").name
    ('bf16', 'fp16')
    """
    return run_dtype(_engine(engine), m, dtype)


def _weight_dtype(m: ModelSpec, weight_dtype: str | DType | None, run: DType) -> DType:
    """The weight format served: the requested one, else the checkpoint's (unquantized weights in ``run``)."""
    if weight_dtype is None or (isinstance(weight_dtype, str) and weight_dtype == "auto"):
        wd = resolve_weight_dtype(m, "auto")
        return run if wd.name in ("fp32", "fp16", "bf16") else wd
    return resolve_weight_dtype(m, weight_dtype)


def _kv_dtype(m: ModelSpec, kv_dtype: str | DType | None, run: DType) -> DType:
    auto = kv_dtype is None or (isinstance(kv_dtype, str) and kv_dtype == "auto")
    return run if auto else resolve_kv_dtype(m, kv_dtype)


def _rope_cache_bytes(m: ModelSpec, run: DType | None = None) -> int:
    cfg = m.config
    if cfg.get("alibi") or not m.max_position_embeddings:
        return 0
    if m.attention_kind == "MLA":
        dim = int(m.qk_rope_head_dim)
    else:
        dim = int(m.head_dim * float(cfg.get("partial_rotary_factor") or 1.0))
    return int(m.max_position_embeddings) * dim * int((run or vllm_dtype(m)).bytes_per_value)


def rope_cache_bytes(m: Any) -> int:
    """The RoPE cos/sin cache vLLM keeps with the weights: positions × rotary dim × 2 bytes.

    >>> rope_cache_bytes("meta-llama/Llama-3.1-8B-Instruct") == 131072 * 128 * 2
    True
    """
    return _rope_cache_bytes(load_model(m))


def _weights_per_gpu(m: ModelSpec, wd: DType, tp: int, run: DType | None = None) -> int:
    parts = weights_breakdown(m, wd)
    params = param_breakdown(m)
    total = Fraction(0)
    for comp, nbytes in parts.items():
        if comp in ("norms", "router"):
            total += nbytes
        elif comp == "attention" and params.get("attention"):
            n = params["attention"]
            h, L = m.hidden_size, m.num_layers
            if m.attention_kind == "MLA":
                replicated = L * h * (int(m.config.get("q_lora_rank") or 0) + int(m.kv_lora_rank)
                                      + int(m.qk_rope_head_dim))
                share = Fraction(n - replicated, tp) + replicated
            else:
                kv = L * 2 * h * m.num_kv_heads * m.head_dim
                kv_gpu = max(1, m.num_kv_heads // tp)
                share = Fraction(n - kv, tp) + Fraction(kv * kv_gpu, m.num_kv_heads)
            total += nbytes * share / n
        else:
            total += Fraction(nbytes, tp)
    return math.ceil(total) + _rope_cache_bytes(m, run)


def weights_per_gpu(m: Any, weight_dtype: str | DType | None = None, tensor_parallel: int = 1) -> int:
    """Bytes of weights one GPU holds under tensor parallelism, RoPE cache included.

    >>> import vramlab as vl
    >>> m = vl.load_model("meta-llama/Llama-3.1-8B-Instruct")
    >>> vl.format_bytes(weights_per_gpu(m), "GiB"), vl.format_bytes(weights_per_gpu(m, None, 2), "GiB")
    ('14.99 GiB', '7.51 GiB')
    """
    m, run = load_model(m), vllm_dtype(load_model(m))
    return _weights_per_gpu(m, _weight_dtype(m, weight_dtype, run), check_tensor_parallel(m, tensor_parallel), run)


def default_batching(gpu_bytes: int, engine: str | EngineLine = "v1", usage: str = "serve",
                     max_model_len: int = 8192, gpu_name: str = "") -> tuple[int, int]:
    """``(max_num_batched_tokens, max_num_seqs)`` vLLM picks when they are not given
    (:func:`vramlab.engines.line_batching`).

    V1 (0.8+): GPUs with >= 70 GiB (not A100, from 0.9) get 8192 tokens (``vllm serve``) or
    16384 (``LLM`` class) and 1024 sequences; smaller GPUs 2048 / 8192 tokens and 256
    sequences. V0 (0.6-0.7): chunked prefill (on by default above ``max_model_len`` 32768) uses
    512 (0.6) or 2048 (0.7) tokens, otherwise one whole ``max(max_model_len, 2048)``-token
    prompt; 256 sequences.

    >>> default_batching(79 * 2**30), default_batching(23 * 2**30)
    ((8192, 1024), (2048, 256))
    >>> default_batching(23 * 2**30, "v0", max_model_len=20000), default_batching(23 * 2**30, "v0", max_model_len=35000)
    ((20000, 256), (512, 256))
    """
    if not isinstance(usage, str) or usage not in ("serve", "llm"):
        raise VramlabError(f"usage {show(usage)} is unknown; valid: serve, llm", field="usage")
    return line_batching(_engine(engine), gpu_bytes, gpu_name, usage, max_model_len)


def _profile_activation(m: ModelSpec, T: int, S: int, tp: int, eng: EngineLine,
                        run: DType | None = None) -> dict[str, int]:
    S = min(S, T)
    dt = run or vllm_dtype(m, eng)
    b = int(dt.bytes_per_value)
    residual = T * m.hidden_size * b
    full = activation_bytes(m, T, 0, dt.name)
    wide = full - 2 * residual  # MLP / attention buffers, split across TP
    forward = 2 * residual + -(-wide // tp) + residual
    moe = 0
    if m.is_moe and eng.moe_workspace:
        moe = -(-(T * m.num_experts_per_tok * 3 * expert_width(m) * b) // tp)
    sampler = S * m.vocab_size * eng.sampler_bytes_per_logit
    peak = max(forward, residual + moe + sampler) + eng.runtime_buffers
    return {"forward": forward, "hidden": residual, "moe_workspace": moe, "sampler": sampler,
            "runtime_buffers": eng.runtime_buffers, "peak": peak}


def profile_activation(m: Any, max_num_batched_tokens: int, max_num_seqs: int, tensor_parallel: int = 1,
                       engine: str | EngineLine = "v1", parts: bool = False, dtype: str = "auto"):
    """Peak activation of vLLM's profile run on one GPU, in bytes.

    ``max(forward, hidden + moe_workspace + sampler) + runtime_buffers`` where

    * forward = :func:`vramlab.activation_bytes` over ``max_num_batched_tokens`` tokens
      (no logits; MLP/attention buffers divided by TP) + one more hidden-size residual per token;
    * hidden = the ``tokens × hidden_size`` output kept while sampling;
    * moe_workspace = ``tokens × top_k × 3 × moe_intermediate / TP`` values (V1 fused MoE);
    * sampler = ``min(max_num_seqs, tokens) × vocab ×`` the line's bytes per logit (38 while
      top-k/top-p sort the vocabulary, until 0.16; 14 in place, from 0.17:
      :data:`vramlab.engines.SAMPLER_BYTES_SORT`, :data:`vramlab.engines.SAMPLER_BYTES_INPLACE`).

    With ``parts=True`` returns a dict of the terms.

    >>> import vramlab as vl
    >>> vl.format_bytes(profile_activation("meta-llama/Llama-3.1-8B-Instruct", 8192, 1024), "GiB")
    '1.91 GiB'
    """
    m = load_model(m)
    eng = _engine(engine)
    tp = check_tensor_parallel(m, tensor_parallel)
    T = check_int("max_num_batched_tokens", max_num_batched_tokens, minimum=1, maximum=10**7)
    S = check_int("max_num_seqs", max_num_seqs, minimum=1, maximum=10**6)
    p = _profile_activation(m, T, S, tp, eng, vllm_dtype(m, eng, dtype))
    return p if parts else p["peak"]


def non_torch_bytes(tensor_parallel: int = 1, engine: str | EngineLine = "v1") -> int:
    """Non-torch memory vLLM counts per GPU (:func:`vramlab.engines.line_non_torch`).

    >>> round(non_torch_bytes(1) / 2**30, 2), round(non_torch_bytes(2) / 2**30, 2)
    (0.25, 2.07)
    >>> round(non_torch_bytes(2, "0.10.1") / 2**30, 2)
    0.43
    """
    tp = check_int("tensor_parallel", tensor_parallel, minimum=1, maximum=1024)
    return line_non_torch(_engine(engine), tp)


def cuda_graph_bytes(m: Any) -> int:
    """CUDA-graph pool when vLLM counts it: ``CUDA_GRAPH_BASE + CUDA_GRAPH_PER_LAYER × layers``.

    >>> round(cuda_graph_bytes("meta-llama/Llama-3.1-8B-Instruct") / 2**30, 2)
    0.93
    """
    return CUDA_GRAPH_BASE + CUDA_GRAPH_PER_LAYER * load_model(m).num_layers


@dataclass(frozen=True)
class Pool(RichDisplay):
    """vLLM's KV-cache pool on one GPU, with the budget terms that produced it (bytes).

    ``kv_bytes = requested − (weights + activation + non_torch + cuda_graphs)`` (never below 0),
    ``requested = total_memory × gpu_memory_utilization``. ``tokens`` and
    ``max_concurrency`` are what vLLM logs ("GPU KV cache size", "Maximum concurrency").
    """

    model: str
    gpu: str
    engine: str
    tensor_parallel: int
    gpu_memory_utilization: float
    weight_dtype: str
    kv_dtype: str
    max_model_len: int
    block_size: int
    max_num_batched_tokens: int
    max_num_seqs: int
    total_memory: int
    requested: int
    weights: int
    activation: int
    non_torch: int
    cuda_graphs: int
    kv_bytes: int
    page_bytes: int
    block_bytes: int
    num_groups: int
    num_blocks: int
    tokens: int
    kv_bytes_per_token: int
    blocks_per_request: int
    max_concurrency: float
    dtype: str = ""
    engine_note: str = ""

    @property
    def non_kv(self) -> int:
        """Weights + activation peak + non-torch (+ CUDA graphs): everything but the KV cache."""
        return self.weights + self.activation + self.non_torch + self.cuda_graphs

    @property
    def fits_max_model_len(self) -> bool:
        """False when one ``max_model_len`` request does not fit: vLLM then refuses to start."""
        return self.max_concurrency >= 1 if self.concurrency_defined else False

    @property
    def concurrency_defined(self) -> bool:
        """True when the pool holds at least one block."""
        return self.num_blocks > 0

    def parts(self) -> dict[str, int]:
        """The budget terms by name (bytes); they sum to ``requested`` when the KV pool is > 0."""
        return {"weights": self.weights, "activation": self.activation, "non_torch": self.non_torch,
                "cuda_graphs": self.cuda_graphs, "kv_cache": self.kv_bytes}

    def to_dict(self) -> dict[str, Any]:
        """All fields (bytes) plus ``non_kv``, JSON-ready."""
        d = asdict(self)
        d["non_kv"] = self.non_kv
        d["fits_max_model_len"] = self.fits_max_model_len
        return d

    def table(self, unit: str = "GiB"):
        """A pandas DataFrame: requested memory and each budget term, in ``unit`` and bytes.

        >>> import vramlab as vl
        >>> vl.kv_pool("Qwen/Qwen3-8B", gpu="H100").table()["term"].tolist()
        ['requested', 'weights', 'activation', 'non_torch', 'cuda_graphs', 'kv_cache']
        """
        import pandas as pd

        rows = [("requested", self.requested)] + list(self.parts().items())
        return pd.DataFrame([{"term": k, "bytes": v, unit: round(to_unit(v, unit), 2)} for k, v in rows])

    def __str__(self) -> str:
        """The lines ``vramlab pool`` prints (:func:`vramlab.report.pool_text`)."""
        return pool_text(self)
    warnings = property(pool_warnings, doc="Why vLLM would not start or hold one request (report.pool_warnings).")


def _total_memory(g: GPU, total_memory_gib: float | None) -> int:
    if total_memory_gib is None:
        return g.usable_bytes
    return from_unit(check_number("total_memory_gib", total_memory_gib, minimum=0.0, maximum=MAX_BYTES // GiB,
                                  inclusive_min=False), "GiB")


def kv_pool(
    model: Any,
    gpu: str | GPU = "H100 80GB",
    gpu_memory_utilization: float = 0.9,
    tensor_parallel: int = 1,
    weight_dtype: str | DType | None = None,
    kv_dtype: str | DType | None = "auto",
    max_model_len: int | None = None,
    block_size: int = 16,
    total_memory_gib: float | None = None,
    *,
    engine: str | EngineLine = "v1",
    dtype: str | DType = "auto",
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    usage: str = "serve",
    count_cuda_graphs: bool | None = None,
    weights_bytes: int | None = None,
    flashinfer_sampler: bool = False,
) -> Pool:
    """The KV-cache pool vLLM allocates on each GPU, following its start-up accounting.

    Parameters
    ----------
    model : ModelSpec, preset id, path or dict
    gpu : str or GPU
        Catalog GPU; its usable memory is the total unless ``total_memory_gib`` is given.
    gpu_memory_utilization : float
        Share of total memory vLLM may use, in (0, 1].
    tensor_parallel : int
        GPUs the model is split over (:func:`check_tensor_parallel`).
    weight_dtype, kv_dtype : str
        ``None``/``"auto"``: unquantized weights and the KV cache in ``dtype``, quantized weights in
        the checkpoint's format; ``kv_dtype="fp8"`` halves 16-bit KV.
    max_model_len : int, optional
        Longest request (default: the config's ``max_position_embeddings``).
    block_size : int
        Tokens per block (vLLM default 16; 0.8-0.10 force 64 for MLA on Hopper, 128 on Blackwell).
    total_memory_gib : float, optional
        Total memory per GPU as the driver reports it (vLLM logs print it).
    engine : str
        The vLLM release: a version (``"0.10.1"``, ``"v0.19.0"``), a line name, ``"latest"`` (the
        newest line read, ``ENGINE_LINES[-1]``: 0.21 and later, read at v0.26.0, which subtracts the
        CUDA-graph estimate), or ``"v1"`` (default: the line of v0.19.0, the logs vramlab is
        calibrated on) / ``"v0"``; a version outside the lines read maps to the nearest one, with
        ``Pool.engine_note`` saying so (:func:`vramlab.engines.resolve_engine`). ``Pool.engine``
        keeps the name given for ``"latest"``, ``"v1"`` and ``"v0"``, else the line's name.
    dtype : str
        vLLM's ``--dtype``: ``auto`` (default), ``bfloat16``, ``float16`` or ``float32``.
    max_num_batched_tokens, max_num_seqs : int, optional
        Profile-run sizes (default: :func:`default_batching`).
    usage : "serve" or "llm"
        ``vllm serve`` or the offline ``LLM`` class (their defaults differ on big GPUs).
    count_cuda_graphs : bool, optional
        Subtract the CUDA-graph estimate (:func:`cuda_graph_bytes`); default: as the release
        does (from 0.21 on).
    weights_bytes : int, optional
        Weights per GPU to use instead of the model's (e.g. the figure a log printed).
    flashinfer_sampler : bool
        FlashInfer samples (the log says "Using FlashInfer for top-p & top-k sampling.":
        installed, as in vLLM's Docker image, in 0.8-0.11; with ``VLLM_USE_FLASHINFER_SAMPLER=1``
        in 0.12-0.16): no sort of the vocabulary, the sampler holds the line's
        ``flashinfer_sampler_bytes`` per logit (10 in 0.8, from probabilities:
        :data:`vramlab.engines.SAMPLER_BYTES_FLASHINFER_PROBS`; else
        :data:`vramlab.engines.SAMPLER_BYTES_INPLACE`).

    Returns
    -------
    Pool

    Examples
    --------
    >>> import vramlab as vl
    >>> p = vl.kv_pool("Qwen/Qwen3-8B", gpu="RTX 4090", max_model_len=8192)
    >>> p.tokens == p.num_blocks * 16, p.kv_bytes_per_token
    (True, 147456)
    >>> vl.kv_pool("Qwen/Qwen3-8B", gpu_memory_utilization=1.5)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: gpu_memory_utilization must be a finite number > 0.0 and <= 1.0, got 1.5
    """
    m = load_model(model)
    eng, note = resolve_engine(engine)
    if check_bool("flashinfer_sampler", flashinfer_sampler) and eng.v1:
        eng = replace(eng, sampler_bytes_per_logit=eng.flashinfer_sampler_bytes)
    util = check_fraction("gpu_memory_utilization", gpu_memory_utilization)
    tp = check_tensor_parallel(m, tensor_parallel)
    g = get_gpu(gpu)
    block_size = line_block_size(eng, check_int("block_size", block_size, minimum=1, maximum=4096),
                                 m.attention_kind == "MLA", g.name)
    total = _total_memory(g, total_memory_gib)
    max_len = check_int("max_model_len", m.max_position_embeddings or 2048 if max_model_len is None else max_model_len,
                        minimum=1, maximum=10**8)
    d_tok, d_seq = default_batching(total, eng, usage, max_len, g.name)
    T = d_tok if max_num_batched_tokens is None else check_int("max_num_batched_tokens", max_num_batched_tokens,
                                                                  minimum=1, maximum=10**7)
    S = d_seq if max_num_seqs is None else check_int("max_num_seqs", max_num_seqs, minimum=1, maximum=10**6)
    run = run_dtype(eng, m, dtype)
    kd, wd = _kv_dtype(m, kv_dtype, run), _weight_dtype(m, weight_dtype, run)
    weights = (_weights_per_gpu(m, wd, tp, run) if weights_bytes is None
               else check_bytes("weights_bytes", weights_bytes))
    act = _profile_activation(m, T, S, tp, eng, run)["peak"]
    nt = line_non_torch(eng, tp)
    graphs = eng.cuda_graphs_profiled if count_cuda_graphs is None else check_bool("count_cuda_graphs",
                                                                                   count_cuda_graphs)
    cg = cuda_graph_bytes(m) if graphs else 0
    requested = int(total * Fraction(util))
    kv = max(0, requested - (weights + act + nt + cg))
    label = engine.strip().lower() if isinstance(engine, str) and engine.strip().lower() in ENGINES else eng.name
    layout = kv_layout(eng, m, kd, kv, tensor_parallel=tp, block_size=block_size, batched_tokens=T,
                       max_model_len=max_len, state_dtype=run)
    return Pool(
        model=m.name, gpu=g.name, engine=label, tensor_parallel=tp, gpu_memory_utilization=util,
        weight_dtype=wd.name, kv_dtype=kd.name, max_model_len=max_len, max_num_batched_tokens=T, max_num_seqs=S,
        total_memory=total, requested=requested, weights=weights, activation=act, non_torch=nt, cuda_graphs=cg,
        kv_bytes=kv, **layout, dtype=run.name, engine_note=note,
    )


def utilization_sweep(model: Any, gpu: str | GPU = "H100 80GB", utilizations=None, **kwargs: Any):
    """KV pool and max concurrency against ``gpu_memory_utilization`` (a pandas DataFrame).

    >>> df = utilization_sweep("Qwen/Qwen3-8B", "H100", [0.5, 0.9], max_model_len=32768)
    >>> df.columns.tolist()
    ['gpu_memory_utilization', 'kv_bytes', 'kv_gib', 'tokens', 'max_concurrency', 'left_for_others_gib']
    >>> bool(df.tokens.is_monotonic_increasing)
    True
    """
    import pandas as pd

    m = load_model(model)
    if utilizations is None:
        utilizations = [round(0.30 + 0.05 * i, 2) for i in range(14)]
    rows = []
    for u in check_items("utilizations", utilizations):
        p = kv_pool(m, gpu=gpu, gpu_memory_utilization=u, **kwargs)
        rows.append({"gpu_memory_utilization": p.gpu_memory_utilization, "kv_bytes": p.kv_bytes,
                     "kv_gib": round(to_unit(p.kv_bytes, "GiB"), 2), "tokens": p.tokens,
                     "max_concurrency": round(p.max_concurrency, 2),
                     "left_for_others_gib": round(to_unit(p.total_memory - p.requested, "GiB"), 2)})
    return pd.DataFrame(rows)


def chunked_prefill_table(model: Any, chunks=(512, 1024, 2048, 4096, 8192, 16384, 32768), max_num_seqs: int = 256,
                          tensor_parallel: int = 1, engine: str | EngineLine = "v1"):
    """Activation peak of vLLM's profile run against the chunk size (``max_num_batched_tokens``).

    Chunked prefill caps the tokens of one forward pass, so the transient buffers stop
    growing with the prompt; the sampler term (``max_num_seqs × vocab``) stays.

    >>> df = chunked_prefill_table("Qwen/Qwen3-8B", chunks=(512, 32768))
    >>> df.columns.tolist()
    ['chunk_tokens', 'forward_gib', 'sampler_gib', 'activation_gib']
    >>> bool(df.activation_gib.iloc[1] > 4 * df.activation_gib.iloc[0])
    True
    """
    import pandas as pd

    m = load_model(model)
    rows = []
    for c in check_items("chunks", chunks):
        p = profile_activation(m, c, max_num_seqs, tensor_parallel, engine, parts=True)
        rows.append({"chunk_tokens": int(c), "forward_gib": round(to_unit(p["forward"], "GiB"), 3),
                     "sampler_gib": round(to_unit(p["sampler"], "GiB"), 3),
                     "activation_gib": round(to_unit(p["peak"], "GiB"), 3)})
    return pd.DataFrame(rows)
