"""Serving like vLLM: the KV pool from ``gpu_memory_utilization``, paged blocks, max concurrency.

vLLM sizes its KV cache once, at start-up, by profiling:

    KV memory = total memory × gpu_memory_utilization
                − (weights + activation peak of the profile run + non-torch memory
                   [+ CUDA-graph memory, in versions that count it])

then cuts that memory into blocks of ``block_size`` tokens (all layers of a block group
together) and reports ``tokens = blocks × block_size`` and
``max concurrency = blocks / ceil(max_model_len / block_size)``.

:func:`kv_pool` reproduces this accounting per GPU. Every term comes from the model's
config with named, documented parameters (:class:`EngineProfile`); the few constants that
no config can give (non-torch memory, a small runtime buffer) were calibrated on the vLLM
start-up logs in ``data/vllm_logs_calibration.csv`` only (see :mod:`vramlab.calibration`
and ``benchmarks/bench_vllm_accuracy.py``). The PagedAttention simulation lives in
:mod:`vramlab.paging`, reading a start-up log in :mod:`vramlab.vllm_log`.

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
  plus the residual stream it leaves out, and the sampler holds
  ``SAMPLER_BYTES_PER_LOGIT`` bytes for each of ``max_num_seqs × vocab`` logits.
* **non-torch memory**: CUDA/cuBLAS workspaces; with TP ≥ 2, NCCL and custom all-reduce
  buffers (a ring all-reduce talks to two neighbours whatever the TP size, so the term is
  one constant per process, :data:`TP_COMM_BYTES`).
* **CUDA graphs**: counted only when ``count_cuda_graphs=True`` (vLLM's
  ``VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS``); otherwise captured after the KV cache.

>>> import vramlab as vl
>>> p = vl.kv_pool("meta-llama/Llama-3.1-8B-Instruct", gpu="H100 80GB",
...                gpu_memory_utilization=0.95, max_model_len=8192)
>>> vl.format_bytes(p.kv_bytes, "GiB"), p.tokens, round(p.max_concurrency, 2)
('58.08 GiB', 475760, 58.08)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from .dtypes import DType, get_dtype
from .errors import MAX_BYTES, VramlabError, check_fraction, check_int, check_number
from .families import expert_width
from .gpus import GPU, get_gpu
from .memory import (
    activation_bytes,
    compute_dtype,
    resolve_kv_dtype,
    resolve_weight_dtype,
    weights_breakdown,
)
from .paging import block_layout
from .params import param_breakdown
from .presets import load_model
from .report import pool_text
from .spec import ModelSpec
from .units import GiB, MiB, from_unit, to_unit

__all__ = [
    "Pool", "EngineProfile", "ENGINES", "kv_pool", "check_tensor_parallel",
    "vllm_dtype", "weights_per_gpu", "rope_cache_bytes", "profile_activation", "non_torch_bytes",
    "cuda_graph_bytes", "default_batching", "utilization_sweep", "chunked_prefill_table",
    "SAMPLER_BYTES_PER_LOGIT", "TP_COMM_BYTES", "CUDA_GRAPH_BASE", "CUDA_GRAPH_PER_LAYER",
]

#: Bytes held per logit while the profile run samples: the compute-dtype logits (2), their
#: fp32 copy (4), the fp32 probabilities (4) and the fp32 exponential noise of the
#: Gumbel-max draw (4).
SAMPLER_BYTES_PER_LOGIT = 14

#: Extra memory on each GPU under tensor parallelism (NCCL communicators' channel buffers,
#: custom all-reduce IPC buffers), one constant per process whatever the TP size: vLLM
#: v0.19.0 logs Llama-3.1-8B on H100 80GB with 0.25 GiB outside torch at TP=1 and 2.07 GiB
#: at TP=2 (calibration CSV rows 22 and 24), so 1.82 GiB. The fit planner uses it too.
TP_COMM_BYTES = round(Fraction("1.82") * GiB)

@dataclass(frozen=True)
class EngineProfile:
    """How one generation of vLLM accounts for memory at start-up (all sizes in bytes).

    Attributes
    ----------
    name : str
        ``"v1"`` (vLLM's V1 engine, ``Model loading took ... GiB``; calibrated on v0.19.0
        logs) or ``"v0"`` (the V0 engine of vLLM 0.6-0.7, ``Loading model weights took ... GB``).
    non_torch_tp1 : int
        Non-torch memory counted with one GPU (CUDA/cuBLAS workspaces, allocator slack).
    non_torch_tp_comm : int
        Added once per GPU when ``tensor_parallel >= 2`` (:data:`TP_COMM_BYTES`).
    runtime_buffers : int
        Persistent buffers the runner allocates on its first forward pass (attention
        metadata, sampler and input buffers), counted in the activation peak.
    sampler_bytes_per_logit : int
        See :data:`SAMPLER_BYTES_PER_LOGIT`.
    moe_workspace : bool
        Whether fused-MoE intermediate buffers persist between the forward pass and the
        sampler (a workspace manager keeps them in V1).
    hybrid_groups : bool
        Whether sliding-window and full-attention layers get separate block groups (V1's
        hybrid allocator); V0 sizes every layer for every token.
    concurrency_in_blocks : bool
        V1 divides blocks by ``ceil(max_model_len / block_size)``; V0 divides tokens by
        ``max_model_len``.
    source : str
        Where the constants come from.

    Examples
    --------
    >>> ENGINES["v1"].non_torch_tp_comm == TP_COMM_BYTES
    True
    """

    name: str
    non_torch_tp1: int
    non_torch_tp_comm: int
    runtime_buffers: int
    sampler_bytes_per_logit: int = SAMPLER_BYTES_PER_LOGIT
    moe_workspace: bool = True
    hybrid_groups: bool = True
    concurrency_in_blocks: bool = True
    source: str = ""


#: The engine generations vramlab models. Constants calibrated on the CSV rows named in
#: ``source`` (medians of the logged figures minus the modelled physics).
ENGINES: dict[str, EngineProfile] = {
    "v1": EngineProfile(
        "v1", non_torch_tp1=from_unit(0.25, "GiB"), non_torch_tp_comm=TP_COMM_BYTES,
        runtime_buffers=from_unit(0.14, "GiB"),
        source="vLLM v0.19.0 start-up logs, calibration rows 22, 24, 27, 28, 33, 43",
    ),
    "v0": EngineProfile(
        "v0", non_torch_tp1=from_unit(0.35, "GiB"), non_torch_tp_comm=TP_COMM_BYTES, runtime_buffers=0,
        moe_workspace=False, hybrid_groups=False, concurrency_in_blocks=False,
        source="vLLM V0 (0.6.4/0.6.5) logs, calibration rows 1-2; TP>=2 term taken from v1",
    ),
}

#: CUDA-graph pool when counted: a base plus a share per decoder layer (piecewise graphs
#: capture every layer at ~67 batch sizes). Fitted on the captures logged for the dense
#: TP=1 calibration rows (0.87-1.09 GiB); MoE/MLA models capture more (row 33: 1.57 GiB).
CUDA_GRAPH_BASE = from_unit(0.43, "GiB")
CUDA_GRAPH_PER_LAYER = 16 * MiB


def _engine(engine: str | EngineProfile) -> EngineProfile:
    if isinstance(engine, EngineProfile):
        return engine
    if engine not in ENGINES:
        raise VramlabError(f"engine {engine!r} is unknown; valid: {', '.join(ENGINES)}", field="engine")
    return ENGINES[engine]


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


def vllm_dtype(m: ModelSpec) -> DType:
    """The dtype vLLM's ``dtype="auto"`` runs a model in: :func:`vramlab.memory.compute_dtype`,
    except that float32 checkpoints run in bf16 (vLLM ``_resolve_auto_dtype``,
    ``vllm/config/model.py``, v0.10+; 0.6-0.9 picked fp16, of the same size).

    >>> import vramlab as vl
    >>> vllm_dtype(vl.load_model("Qwen/Qwen3-8B")).name
    'bf16'
    >>> vllm_dtype(vl.load_model({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
    ...     "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 100, "torch_dtype": "float32"})).name
    'bf16'
    """
    d = compute_dtype(m)
    return get_dtype("bf16") if d.bytes_per_value > 2 else d


def _weight_dtype(m: ModelSpec, weight_dtype: str | DType | None) -> DType:
    """The weight format served: the requested one, or the checkpoint's with 32 bit run as vLLM does."""
    if weight_dtype is None or (isinstance(weight_dtype, str) and weight_dtype == "auto"):
        wd = resolve_weight_dtype(m, "auto")
        return vllm_dtype(m) if wd.bytes_per_value > 2 else wd
    return resolve_weight_dtype(m, weight_dtype)


def _kv_dtype(m: ModelSpec, kv_dtype: str | DType | None) -> DType:
    auto = kv_dtype is None or (isinstance(kv_dtype, str) and kv_dtype == "auto")
    return vllm_dtype(m) if auto else resolve_kv_dtype(m, kv_dtype)


def _rope_cache_bytes(m: ModelSpec) -> int:
    cfg = m.config
    if cfg.get("alibi") or not m.max_position_embeddings:
        return 0
    if m.attention_kind == "MLA":
        dim = int(m.qk_rope_head_dim)
    else:
        dim = int(m.head_dim * float(cfg.get("partial_rotary_factor") or 1.0))
    return int(m.max_position_embeddings) * dim * int(vllm_dtype(m).bytes_per_value)


def rope_cache_bytes(m: Any) -> int:
    """The RoPE cos/sin cache vLLM keeps with the weights: positions × rotary dim × 2 bytes.

    >>> rope_cache_bytes("meta-llama/Llama-3.1-8B-Instruct") == 131072 * 128 * 2
    True
    """
    return _rope_cache_bytes(load_model(m))


def _weights_per_gpu(m: ModelSpec, wd: DType, tp: int) -> int:
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
    return math.ceil(total) + _rope_cache_bytes(m)


def weights_per_gpu(m: Any, weight_dtype: str | DType | None = None, tensor_parallel: int = 1) -> int:
    """Bytes of weights one GPU holds under tensor parallelism, RoPE cache included.

    >>> import vramlab as vl
    >>> m = vl.load_model("meta-llama/Llama-3.1-8B-Instruct")
    >>> vl.format_bytes(weights_per_gpu(m), "GiB"), vl.format_bytes(weights_per_gpu(m, None, 2), "GiB")
    ('14.99 GiB', '7.51 GiB')
    """
    m = load_model(m)
    tp = check_tensor_parallel(m, tensor_parallel)
    return _weights_per_gpu(m, _weight_dtype(m, weight_dtype), tp)


def default_batching(gpu_bytes: int, engine: str | EngineProfile = "v1", usage: str = "serve",
                     max_model_len: int = 8192, gpu_name: str = "") -> tuple[int, int]:
    """``(max_num_batched_tokens, max_num_seqs)`` vLLM picks when they are not given.

    V1: GPUs with ≥ 70 GiB (not A100) get 8192 tokens (``vllm serve``) or 16384 (``LLM``
    class) and 1024 sequences; smaller GPUs 2048 / 8192 tokens and 256 sequences.
    V0: chunked prefill (on by default from ``max_model_len`` 32768) uses 512 tokens,
    otherwise one whole ``max(max_model_len, 2048)``-token prompt; 256 sequences.

    >>> default_batching(79 * 2**30), default_batching(23 * 2**30)
    ((8192, 1024), (2048, 256))
    >>> default_batching(23 * 2**30, "v0", max_model_len=20000), default_batching(23 * 2**30, "v0", max_model_len=35000)
    ((20000, 256), (512, 256))
    """
    eng = _engine(engine)
    if usage not in ("serve", "llm"):
        raise VramlabError(f"usage {usage!r} is unknown; valid: serve, llm", field="usage")
    if eng.name == "v0":
        return (512 if max_model_len >= 32768 else max(max_model_len, 2048)), 256
    big = gpu_bytes >= 70 * GiB and "a100" not in gpu_name.lower()
    if big:
        return (8192 if usage == "serve" else 16384), 1024
    return (2048 if usage == "serve" else 8192), 256


def _profile_activation(m: ModelSpec, T: int, S: int, tp: int, eng: EngineProfile) -> dict[str, int]:
    S = min(S, T)
    dt = vllm_dtype(m)
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
                       engine: str | EngineProfile = "v1", parts: bool = False):
    """Peak activation of vLLM's profile run on one GPU, in bytes.

    ``max(forward, hidden + moe_workspace + sampler) + runtime_buffers`` where

    * forward = :func:`vramlab.activation_bytes` over ``max_num_batched_tokens`` tokens
      (no logits; MLP/attention buffers divided by TP) + one more hidden-size residual per token;
    * hidden = the ``tokens × hidden_size`` output kept while sampling;
    * moe_workspace = ``tokens × top_k × 3 × moe_intermediate / TP`` values (V1 fused MoE);
    * sampler = ``min(max_num_seqs, tokens) × vocab × SAMPLER_BYTES_PER_LOGIT``.

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
    p = _profile_activation(m, T, S, tp, eng)
    return p if parts else p["peak"]


def non_torch_bytes(tensor_parallel: int = 1, engine: str | EngineProfile = "v1") -> int:
    """Non-torch memory vLLM counts per GPU (see :class:`EngineProfile`).

    >>> round(non_torch_bytes(1) / 2**30, 2), round(non_torch_bytes(2) / 2**30, 2)
    (0.25, 2.07)
    """
    eng = _engine(engine)
    tp = check_int("tensor_parallel", tensor_parallel, minimum=1, maximum=1024)
    return eng.non_torch_tp1 + (eng.non_torch_tp_comm if tp >= 2 else 0)


def cuda_graph_bytes(m: Any) -> int:
    """CUDA-graph pool when vLLM counts it: ``CUDA_GRAPH_BASE + CUDA_GRAPH_PER_LAYER × layers``.

    >>> round(cuda_graph_bytes("meta-llama/Llama-3.1-8B-Instruct") / 2**30, 2)
    0.93
    """
    return CUDA_GRAPH_BASE + CUDA_GRAPH_PER_LAYER * load_model(m).num_layers


@dataclass(frozen=True)
class Pool:
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
    engine: str | EngineProfile = "v1",
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    usage: str = "serve",
    count_cuda_graphs: bool = False,
    weights_bytes: int | None = None,
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
        ``None``/``"auto"`` reads the checkpoint (:func:`vllm_dtype`); ``kv_dtype="fp8"`` halves 16-bit KV.
    max_model_len : int, optional
        Longest request (default: the config's ``max_position_embeddings``).
    block_size : int
        Tokens per block (vLLM default 16).
    total_memory_gib : float, optional
        Total memory per GPU as the driver reports it (vLLM logs print it).
    engine : "v1" or "v0"
        Which generation's accounting (see :data:`ENGINES`).
    max_num_batched_tokens, max_num_seqs : int, optional
        Profile-run sizes (default: :func:`default_batching`).
    usage : "serve" or "llm"
        ``vllm serve`` or the offline ``LLM`` class (their defaults differ on big GPUs).
    count_cuda_graphs : bool
        Subtract the CUDA-graph estimate (:func:`cuda_graph_bytes`) as newer vLLM can.
    weights_bytes : int, optional
        Weights per GPU to use instead of the model's (e.g. the figure a log printed).

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
    eng = _engine(engine)
    util = check_fraction("gpu_memory_utilization", gpu_memory_utilization)
    tp = check_tensor_parallel(m, tensor_parallel)
    block_size = check_int("block_size", block_size, minimum=1, maximum=4096)
    g = get_gpu(gpu)
    total = _total_memory(g, total_memory_gib)
    max_len = check_int("max_model_len", m.max_position_embeddings or 2048 if max_model_len is None else max_model_len,
                        minimum=1, maximum=10**8)
    d_tok, d_seq = default_batching(total, eng, usage, max_len, g.name)
    T = d_tok if max_num_batched_tokens is None else check_int("max_num_batched_tokens", max_num_batched_tokens,
                                                                  minimum=1, maximum=10**7)
    S = d_seq if max_num_seqs is None else check_int("max_num_seqs", max_num_seqs, minimum=1, maximum=10**6)
    kd, wd = _kv_dtype(m, kv_dtype), _weight_dtype(m, weight_dtype)
    weights = (_weights_per_gpu(m, wd, tp) if weights_bytes is None
               else check_int("weights_bytes", weights_bytes, minimum=0))
    act = _profile_activation(m, T, S, tp, eng)["peak"]
    nt = non_torch_bytes(tp, eng)
    cg = cuda_graph_bytes(m) if count_cuda_graphs else 0
    requested = int(total * Fraction(util))
    kv = max(0, requested - (weights + act + nt + cg))
    return Pool(
        model=m.name, gpu=g.name, engine=eng.name, tensor_parallel=tp, gpu_memory_utilization=util,
        weight_dtype=wd.name, kv_dtype=kd.name, max_model_len=max_len, block_size=block_size,
        max_num_batched_tokens=T, max_num_seqs=S, total_memory=total, requested=requested,
        weights=weights, activation=act, non_torch=nt, cuda_graphs=cg, kv_bytes=kv,
        **block_layout(m, kd, kv, tensor_parallel=tp, block_size=block_size, batched_tokens=T,
                       max_model_len=max_len, hybrid=eng.hybrid_groups, in_blocks=eng.concurrency_in_blocks),
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
    for u in utilizations:
        p = kv_pool(m, gpu=gpu, gpu_memory_utilization=u, **kwargs)
        rows.append({"gpu_memory_utilization": p.gpu_memory_utilization, "kv_bytes": p.kv_bytes,
                     "kv_gib": round(to_unit(p.kv_bytes, "GiB"), 2), "tokens": p.tokens,
                     "max_concurrency": round(p.max_concurrency, 2),
                     "left_for_others_gib": round(to_unit(p.total_memory - p.requested, "GiB"), 2)})
    return pd.DataFrame(rows)


def chunked_prefill_table(model: Any, chunks=(512, 1024, 2048, 4096, 8192, 16384, 32768), max_num_seqs: int = 256,
                          tensor_parallel: int = 1, engine: str | EngineProfile = "v1"):
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
    for c in chunks:
        p = profile_activation(m, c, max_num_seqs, tensor_parallel, engine, parts=True)
        rows.append({"chunk_tokens": int(c), "forward_gib": round(to_unit(p["forward"], "GiB"), 3),
                     "sampler_gib": round(to_unit(p["sampler"], "GiB"), 3),
                     "activation_gib": round(to_unit(p["peak"], "GiB"), 3)})
    return pd.DataFrame(rows)
