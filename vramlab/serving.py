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
start-up logs in ``data/vllm_logs_calibration.csv`` only (see ``benchmarks/bench_vllm_accuracy.py``).

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
  one constant per process).
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
import random
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Mapping

from .dtypes import DType, get_dtype
from .errors import VramlabError, check_fraction, check_int, check_number
from .gpus import GPU, get_gpu
from .memory import (
    activation_bytes,
    kv_bytes_per_layer,
    resolve_kv_dtype,
    resolve_weight_dtype,
    weights_breakdown,
)
from .params import param_breakdown
from .presets import load_model
from .spec import ModelSpec
from .units import GiB, MiB, format_bytes, from_unit, to_unit
from .vllm_log import explain_vllm_log, parse_vllm_log  # re-exported: the log explainer lives in vllm_log

__all__ = [
    "Pool", "EngineProfile", "ENGINES", "kv_pool", "resolve_serving_model", "check_tensor_parallel",
    "weights_per_gpu", "rope_cache_bytes", "profile_activation", "non_torch_bytes", "cuda_graph_bytes",
    "default_batching", "utilization_sweep", "calibration_table",
    "PagingResult", "simulate_paging", "sample_requests", "PAGED_ATTENTION_PAPER",
    "chunked_prefill_table", "SAMPLER_BYTES_PER_LOGIT", "EXTRA_CONFIGS", "explain_vllm_log", "parse_vllm_log",
    "pool_formulas", "pool_values", "evaluate_pool_formula", "calibration_log", "oracle_available", "transformers_kv_oracle", "ORACLE_GEOMETRY",
]

#: Bytes held per logit while the profile run samples: the compute-dtype logits (2), their
#: fp32 copy (4), the fp32 probabilities (4) and the fp32 exponential noise of the
#: Gumbel-max draw (4).
SAMPLER_BYTES_PER_LOGIT = 14

#: Configs of models in the calibration logs that are not shipped presets (real config.json
#: fields, needed to explain those logs). Instruction-tuned variants that share a preset's
#: architecture map to that preset (``vramlab.overheads.CALIBRATION_PRESETS``).
EXTRA_CONFIGS: dict[str, dict[str, Any]] = {
    "deepseek-ai/DeepSeek-V2-Lite-Chat": {
        "architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2",
        "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
        "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16,
        "q_lora_rank": None, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
        "v_head_dim": 128, "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6,
        "first_k_dense_replace": 1, "moe_layer_freq": 1, "norm_topk_prob": False,
        "vocab_size": 102400, "tie_word_embeddings": False, "max_position_embeddings": 163840,
        "rope_theta": 10000, "rope_scaling": {"type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1,
                                              "mscale": 0.707, "mscale_all_dim": 0.707,
                                              "original_max_position_embeddings": 4096},
        "torch_dtype": "bfloat16",
    },
}


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
        Added once per GPU when ``tensor_parallel >= 2`` (NCCL communicators' channel buffers,
        custom all-reduce IPC buffers).
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
        "v1", non_torch_tp1=from_unit(0.25, "GiB"), non_torch_tp_comm=from_unit(1.82, "GiB"), runtime_buffers=from_unit(0.14, "GiB"),
        source="vLLM v0.19.0 start-up logs, calibration rows 22, 24, 27, 28, 33, 43",
    ),
    "v0": EngineProfile(
        "v0", non_torch_tp1=from_unit(0.35, "GiB"), non_torch_tp_comm=from_unit(1.82, "GiB"), runtime_buffers=0,
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


def resolve_serving_model(model: Any) -> ModelSpec:
    """A ModelSpec for a model id as vLLM logs print it.

    Presets load directly; instruction-tuned ids fall back to their base preset
    (``google/gemma-2-9b-it`` → ``google/gemma-2-9b``); :data:`EXTRA_CONFIGS` covers
    calibration models without a preset.

    >>> resolve_serving_model("deepseek-ai/DeepSeek-V2-Lite-Chat").kv_lora_rank
    512
    >>> resolve_serving_model("google/gemma-2-9b-it").name
    'google/gemma-2-9b'
    """
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, str):
        from .overheads import CALIBRATION_PRESETS

        if model in EXTRA_CONFIGS:
            return load_model(EXTRA_CONFIGS[model], name=model)
        if model in CALIBRATION_PRESETS:
            return load_model(CALIBRATION_PRESETS[model])
        try:
            return load_model(model)
        except VramlabError:
            for suffix in ("-it", "-Instruct", "-Chat", "-chat", "-instruct"):
                if model.endswith(suffix):
                    try:
                        return load_model(model[: -len(suffix)])
                    except VramlabError:
                        pass
            raise
    return load_model(model)


def check_tensor_parallel(m: ModelSpec, tensor_parallel: int) -> int:
    """Validate a tensor-parallel size as vLLM does; return it.

    Query heads must split evenly; KV heads must split evenly, or (fewer KV heads than
    GPUs) the TP size must be a multiple of them, each KV head then being replicated.

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


def _compute_dtype(m: ModelSpec) -> DType:
    """The activation/KV 'auto' dtype vLLM uses: the checkpoint's 16-bit dtype (fp32 → bf16)."""
    d = resolve_kv_dtype(m, "auto")
    return get_dtype("bf16") if d.bytes_per_value > 2 else d


def rope_cache_bytes(m: Any) -> int:
    """The RoPE cos/sin cache vLLM keeps with the weights: positions × rotary dim × 2 bytes.

    >>> rope_cache_bytes("meta-llama/Llama-3.1-8B-Instruct") == 131072 * 128 * 2
    True
    """
    m = resolve_serving_model(m)
    cfg = m.config
    if cfg.get("alibi") or not m.max_position_embeddings:
        return 0
    if m.attention_kind == "MLA":
        dim = int(m.qk_rope_head_dim)
    else:
        dim = int(m.head_dim * float(cfg.get("partial_rotary_factor") or 1.0))
    return int(m.max_position_embeddings) * dim * int(_compute_dtype(m).bytes_per_value)


def weights_per_gpu(m: Any, weight_dtype: str | DType | None = None, tensor_parallel: int = 1) -> int:
    """Bytes of weights one GPU holds under tensor parallelism, RoPE cache included.

    >>> import vramlab as vl
    >>> m = vl.load_model("meta-llama/Llama-3.1-8B-Instruct")
    >>> vl.format_bytes(weights_per_gpu(m), "GiB"), vl.format_bytes(weights_per_gpu(m, None, 2), "GiB")
    ('14.99 GiB', '7.51 GiB')
    """
    m = resolve_serving_model(m)
    tp = check_tensor_parallel(m, tensor_parallel)
    wd = resolve_weight_dtype(m, weight_dtype)
    if wd.bytes_per_value > 2 and weight_dtype in (None, "auto"):
        wd = get_dtype("bf16")  # vLLM serves fp32 checkpoints in 16 bit
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
                replicated = L * h * (int(m.config.get("q_lora_rank") or 0) + int(m.kv_lora_rank) + int(m.qk_rope_head_dim))
                share = Fraction(n - replicated, tp) + replicated
            else:
                kv = L * 2 * h * m.num_kv_heads * m.head_dim
                kv_gpu = max(1, m.num_kv_heads // tp)
                share = Fraction(n - kv, tp) + Fraction(kv * kv_gpu, m.num_kv_heads)
            total += nbytes * share / n
        else:
            total += Fraction(nbytes, tp)
    return math.ceil(total) + rope_cache_bytes(m)


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
    m = resolve_serving_model(m)
    eng = _engine(engine)
    tp = check_tensor_parallel(m, tensor_parallel)
    T = check_int("max_num_batched_tokens", max_num_batched_tokens, minimum=1, maximum=10**7)
    S = min(check_int("max_num_seqs", max_num_seqs, minimum=1, maximum=10**6), T)
    b = int(_compute_dtype(m).bytes_per_value)
    residual = T * m.hidden_size * b
    full = activation_bytes(m, T, 0, _compute_dtype(m).name)
    wide = full - 2 * residual  # MLP / attention buffers, split across TP
    forward = 2 * residual + -(-wide // tp) + residual
    moe = 0
    if m.is_moe and eng.moe_workspace:
        width = int(m.config.get("moe_intermediate_size") or m.intermediate_size)
        moe = -(-(T * m.num_experts_per_tok * 3 * width * b) // tp)
    sampler = S * m.vocab_size * eng.sampler_bytes_per_logit
    peak = max(forward, residual + moe + sampler) + eng.runtime_buffers
    if parts:
        return {"forward": forward, "hidden": residual, "moe_workspace": moe, "sampler": sampler,
                "runtime_buffers": eng.runtime_buffers, "peak": peak}
    return peak


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
    m = resolve_serving_model(m)
    return CUDA_GRAPH_BASE + CUDA_GRAPH_PER_LAYER * m.num_layers


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
        g = lambda v: format_bytes(v, "GiB")  # noqa: E731
        return "\n".join([
            f"{self.model} on {self.gpu} x{self.tensor_parallel} (vLLM {self.engine}), "
            f"gpu_memory_utilization {self.gpu_memory_utilization:.2f}, KV {self.kv_dtype}, block {self.block_size}",
            f"  requested   {g(self.total_memory)} x {self.gpu_memory_utilization:.2f} = {g(self.requested)}",
            f"  weights     {g(self.weights)}",
            f"  activation  {g(self.activation)}  (profile run: {self.max_num_batched_tokens:,} tokens, {self.max_num_seqs:,} sequences)",
            f"  non-torch   {g(self.non_torch)}",
            f"  CUDA graphs {g(self.cuda_graphs)}",
            f"  KV cache    {g(self.kv_bytes)} = {self.num_blocks:,} blocks = {self.tokens:,} tokens "
            f"({format_bytes(self.kv_bytes_per_token, 'KiB')} per token)",
            f"  max concurrency for {self.max_model_len:,} tokens per request: {self.max_concurrency:.2f}x",
        ])


def _groups(m: ModelSpec, hybrid: bool) -> list[tuple[str, int | None, int]]:
    """Block groups as vLLM's hybrid allocator forms them: (kind, window, layers in group)."""
    kinds: dict[tuple[str, int | None], int] = {}
    for la in m.layers:
        key = (la.kind, la.window) if hybrid else ("full", None)
        kinds[key] = kinds.get(key, 0) + 1
    if len(kinds) == 1:
        (k, w), n = next(iter(kinds.items()))
        return [(k, w, n)]
    lo, hi = min(kinds.values()), max(kinds.values())
    size = hi if hi < lo * 1.25 else lo
    out = []
    for (k, w), n in kinds.items():
        out += [(k, w, size)] * (-(-n // size))
    return out


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
        GPUs the model is split over; must divide the attention heads.
    weight_dtype, kv_dtype : str
        ``None``/``"auto"`` reads the checkpoint; ``kv_dtype="fp8"`` halves 16-bit KV.
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
    m = resolve_serving_model(model)
    eng = _engine(engine)
    util = check_fraction("gpu_memory_utilization", gpu_memory_utilization)
    tp = check_tensor_parallel(m, tensor_parallel)
    block_size = check_int("block_size", block_size, minimum=1, maximum=4096)
    g = get_gpu(gpu)
    if total_memory_gib is None:
        total = g.usable_bytes
    else:
        total = from_unit(check_number("total_memory_gib", total_memory_gib, minimum=0.0, inclusive_min=False), "GiB")
    if max_model_len is None:
        max_model_len = m.max_position_embeddings or 2048
    max_model_len = check_int("max_model_len", max_model_len, minimum=1, maximum=10**8)
    d_tok, d_seq = default_batching(total, eng, usage, max_model_len, g.name)
    T = d_tok if max_num_batched_tokens is None else check_int("max_num_batched_tokens", max_num_batched_tokens, minimum=1, maximum=10**7)
    S = d_seq if max_num_seqs is None else check_int("max_num_seqs", max_num_seqs, minimum=1, maximum=10**6)

    kd = resolve_kv_dtype(m, kv_dtype)
    if kd.bytes_per_value > 2 and kv_dtype in (None, "auto"):
        kd = _compute_dtype(m)
    wd = resolve_weight_dtype(m, weight_dtype)
    if wd.bytes_per_value > 2 and weight_dtype in (None, "auto"):
        wd = get_dtype("bf16")
    weights = weights_per_gpu(m, wd, tp) if weights_bytes is None else check_int("weights_bytes", weights_bytes, minimum=0)
    act = profile_activation(m, T, S, tp, eng)
    nt = non_torch_bytes(tp, eng)
    cg = cuda_graph_bytes(m) if count_cuda_graphs else 0
    requested = int(total * Fraction(util))
    kv = max(0, requested - (weights + act + nt + cg))

    # bytes one token adds to one layer on this GPU
    per_layer = kv_bytes_per_layer(m, kd)
    if m.attention_kind != "MLA":
        per_layer = per_layer * max(1, m.num_kv_heads // tp) / m.num_kv_heads
    page = math.ceil(per_layer * block_size)
    groups = _groups(m, eng.hybrid_groups)
    group_size = max(n for _, _, n in groups)
    block_bytes = page * group_size
    num_blocks = kv // block_bytes
    tokens = num_blocks // len(groups) * block_size
    per_token = -(-block_bytes * len(groups) // block_size)

    def blocks_needed(kind: str, window: int | None) -> int:
        if kind == "sliding" and window:
            n = min(window - 1 + T, max_model_len)
            return -(-n // block_size) + 1
        return -(-max_model_len // block_size)

    per_request = sum(blocks_needed(k, w) for k, w, _ in groups)
    if eng.concurrency_in_blocks:
        conc = num_blocks / per_request if per_request else 0.0
    else:
        conc = num_blocks * block_size / max_model_len
    return Pool(
        model=m.name, gpu=g.name, engine=eng.name, tensor_parallel=tp, gpu_memory_utilization=util,
        weight_dtype=wd.name, kv_dtype=kd.name, max_model_len=max_model_len, block_size=block_size,
        max_num_batched_tokens=T, max_num_seqs=S, total_memory=total, requested=requested,
        weights=weights, activation=act, non_torch=nt, cuda_graphs=cg, kv_bytes=kv, page_bytes=page,
        block_bytes=block_bytes, num_groups=len(groups), num_blocks=num_blocks, tokens=tokens,
        kv_bytes_per_token=per_token, blocks_per_request=per_request, max_concurrency=conc,
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

    if utilizations is None:
        utilizations = [round(0.30 + 0.05 * i, 2) for i in range(14)]
    rows = []
    for u in utilizations:
        p = kv_pool(model, gpu=gpu, gpu_memory_utilization=u, **kwargs)
        rows.append({"gpu_memory_utilization": p.gpu_memory_utilization, "kv_bytes": p.kv_bytes,
                     "kv_gib": round(to_unit(p.kv_bytes, "GiB"), 2), "tokens": p.tokens,
                     "max_concurrency": round(p.max_concurrency, 2),
                     "left_for_others_gib": round(to_unit(p.total_memory - p.requested, "GiB"), 2)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Calibration rows

def _row_value(r: Mapping[str, Any], key: str) -> Any:
    v = r.get(key)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def calibration_table(engine_by_version: bool = True):
    """Every calibration row: logged figures beside :func:`kv_pool`'s, with errors (a DataFrame).

    Columns ``*_logged`` / ``*_pred`` for weights (GiB), KV memory (GiB), tokens and max
    concurrency, and ``*_err_%`` (relative error, prediction − logged). Rows without a
    logged token count use blocks × block size (16).

    >>> df = calibration_table()
    >>> len(df), bool((df["weights_err_%"].abs() < 1).all())
    (8, True)
    """
    import pandas as pd

    from .overheads import load_vllm_calibration

    df = load_vllm_calibration()
    out = []
    for r in df.to_dict("records"):
        engine = "v1" if (_row_value(r, "engine_version") or "").startswith("v0.1") else "v0"
        kvd = _row_value(r, "kv_cache_dtype") or "auto"
        p = kv_pool(r["model"], gpu=r["gpu"], gpu_memory_utilization=float(r["gpu_memory_utilization"]),
                    tensor_parallel=int(r["tensor_parallel_size"]), kv_dtype=kvd,
                    max_model_len=int(r["max_model_len"]), total_memory_gib=float(r["total_gpu_memory_gib"]),
                    engine=engine)
        w_logged = to_unit(from_unit(float(r["weights_value"]), str(r["weights_unit_as_printed"])), "GiB")
        if str(r["weights_unit_as_printed"]) == "GB" and engine == "v0":
            w_logged = float(r["weights_value"])  # old vLLM printed GiB under the label "GB"
        tokens = _row_value(r, "gpu_kv_cache_tokens")
        if tokens is None and _row_value(r, "num_gpu_blocks") is not None:
            tokens = int(r["num_gpu_blocks"]) * 16
        row = {
            "row_id": int(r["row_id"]), "model": r["model"], "gpu": r["gpu"], "tp": int(r["tensor_parallel_size"]),
            "kv_dtype": kvd, "max_model_len": int(r["max_model_len"]), "engine": engine,
            "weights_logged": w_logged, "weights_pred": to_unit(p.weights, "GiB"),
            "activation_logged": _row_value(r, "activation_peak_gib"),
            "activation_pred": to_unit(p.activation, "GiB"),
            "non_torch_logged": _row_value(r, "non_torch_memory_gib"), "non_torch_pred": to_unit(p.non_torch, "GiB"),
            "kv_logged": float(r["kv_cache_memory_gib"]), "kv_pred": to_unit(p.kv_bytes, "GiB"),
            "tokens_logged": int(tokens), "tokens_pred": p.tokens,
            "concurrency_logged": float(r["max_concurrency_x"]), "concurrency_pred": p.max_concurrency,
        }
        if row["activation_logged"] is None and _row_value(r, "peak_torch_memory_gib_incl_weights") is not None:
            row["activation_logged"] = float(r["peak_torch_memory_gib_incl_weights"]) - w_logged
        for k in ("weights", "kv", "tokens", "concurrency"):
            row[f"{k}_err_%"] = 100 * (row[f"{k}_pred"] - row[f"{k}_logged"]) / row[f"{k}_logged"]
        out.append(row)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------
# PagedAttention, simulated

#: Figures of the PagedAttention paper (Kwon et al., "Efficient Memory Management for Large
#: Language Model Serving with PagedAttention", SOSP 2023): share of KV memory holding token
#: states in prior systems (Fig. 2) and vLLM's waste.
PAGED_ATTENTION_PAPER = {"prior_used_low_%": 20.4, "prior_used_high_%": 38.2, "paged_waste_below_%": 4.0,
                         "sharegpt_mean_input": 161.31, "sharegpt_mean_output": 337.99}


def sample_requests(n: int = 1000, seed: int = 0, mean_prompt: float = 161.31, mean_output: float = 337.99,
                    sigma: float = 1.0, max_model_len: int = 2048) -> list[tuple[int, int]]:
    """A seeded stream of ``(prompt, output)`` token lengths.

    Log-normal lengths with the ShareGPT means the PagedAttention paper reports
    (161 prompt, 338 output tokens), capped so that prompt + output ≤ ``max_model_len``.

    >>> sample_requests(3, seed=1)
    [(180, 202), (335, 566), (70, 693)]
    """
    n = check_int("n", n, minimum=1, maximum=10**6)
    max_model_len = check_int("max_model_len", max_model_len, minimum=2, maximum=10**8)
    sigma = check_number("sigma", sigma, minimum=0.0, maximum=5.0)
    rng = random.Random(seed)
    mu_p = math.log(mean_prompt) - sigma**2 / 2
    mu_o = math.log(mean_output) - sigma**2 / 2
    out = []
    for _ in range(n):
        p = max(1, min(max_model_len - 1, round(rng.lognormvariate(mu_p, sigma))))
        o = max(1, min(max_model_len - p, round(rng.lognormvariate(mu_o, sigma))))
        out.append((p, o))
    return out


@dataclass(frozen=True)
class PagingResult:
    """Contiguous max-length reservation versus paged blocks for one request stream.

    Token counts are KV slots (one slot = one token's K and V in every layer).
    """

    requests: int
    max_model_len: int
    block_size: int
    tokens_used: int
    contiguous_reserved: int
    paged_reserved: int
    budget_tokens: int
    fit_contiguous: int
    fit_paged: int
    lengths: tuple[tuple[int, int], ...] = field(repr=False, compare=False)

    @property
    def contiguous_used_pct(self) -> float:
        """Share of reserved KV memory holding tokens, contiguous reservation (%)."""
        return 100 * self.tokens_used / self.contiguous_reserved

    @property
    def paged_used_pct(self) -> float:
        """Share of reserved KV memory holding tokens with paging (%)."""
        return 100 * self.tokens_used / self.paged_reserved

    @property
    def contiguous_waste_pct(self) -> float:
        """Reserved but unused, contiguous (%)."""
        return 100 - self.contiguous_used_pct

    @property
    def paged_waste_pct(self) -> float:
        """Reserved but unused with paging: only the last, partly filled block of each request (%)."""
        return 100 - self.paged_used_pct

    def table(self):
        """Contiguous and paged side by side, with the paper's figures (a DataFrame)."""
        import pandas as pd

        paper = PAGED_ATTENTION_PAPER
        return pd.DataFrame([
            {"scheme": "contiguous (max length reserved)", "used %": round(self.contiguous_used_pct, 1),
             "waste %": round(self.contiguous_waste_pct, 1), "requests that fit": self.fit_contiguous,
             "paper": f"{paper['prior_used_low_%']}-{paper['prior_used_high_%']} % used"},
            {"scheme": f"paged ({self.block_size}-token blocks)", "used %": round(self.paged_used_pct, 1),
             "waste %": round(self.paged_waste_pct, 1), "requests that fit": self.fit_paged,
             "paper": f"waste < {paper['paged_waste_below_%']:.0f} %"},
        ])


def simulate_paging(n: int = 1000, max_model_len: int = 2048, block_size: int = 16, seed: int = 0,
                    budget_tokens: int | None = None, requests: list[tuple[int, int]] | None = None) -> PagingResult:
    """Simulate KV reservation for a request stream: contiguous max-length slots vs paged blocks.

    Contiguous systems (before vLLM) reserve ``max_model_len`` slots per request up front;
    PagedAttention allocates ``ceil(length / block_size)`` blocks as tokens arrive, so only
    the last block of each request is partly empty. ``budget_tokens`` (default: 64
    max-length requests' worth) is filled with the stream in order under each scheme.

    >>> r = simulate_paging(1000, seed=0)
    >>> r.paged_waste_pct < 4 < 20.4 < r.contiguous_used_pct < 38.2
    True
    >>> r.fit_paged > 3 * r.fit_contiguous
    True
    """
    max_model_len = check_int("max_model_len", max_model_len, minimum=2, maximum=10**8)
    block_size = check_int("block_size", block_size, minimum=1, maximum=4096)
    reqs = list(requests) if requests is not None else sample_requests(n, seed, max_model_len=max_model_len)
    if not reqs:
        raise VramlabError("requests must hold at least one (prompt, output) pair", field="requests")
    lengths = [p + o for p, o in reqs]
    if max(lengths) > max_model_len:
        raise VramlabError(f"a request of {max(lengths)} tokens exceeds max_model_len {max_model_len}",
                           field="requests")
    used = sum(lengths)
    paged = sum(-(-x // block_size) * block_size for x in lengths)
    budget = 64 * max_model_len if budget_tokens is None else check_int("budget_tokens", budget_tokens, minimum=1)
    fit_c = min(len(lengths), budget // max_model_len)
    fit_p, acc = 0, 0
    for x in lengths:
        acc += -(-x // block_size) * block_size
        if acc > budget:
            break
        fit_p += 1
    return PagingResult(requests=len(lengths), max_model_len=max_model_len, block_size=block_size,
                        tokens_used=used, contiguous_reserved=len(lengths) * max_model_len,
                        paged_reserved=paged, budget_tokens=budget, fit_contiguous=fit_c, fit_paged=fit_p,
                        lengths=tuple(reqs))


# --------------------------------------------------------------------------------------
# Chunked prefill

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

    rows = []
    for c in chunks:
        p = profile_activation(model, c, max_num_seqs, tensor_parallel, engine, parts=True)
        rows.append({"chunk_tokens": int(c), "forward_gib": round(to_unit(p["forward"], "GiB"), 3),
                     "sampler_gib": round(to_unit(p["sampler"], "GiB"), 3),
                     "activation_gib": round(to_unit(p["peak"], "GiB"), 3)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Formulas and the transformers oracle

def pool_formulas() -> dict[str, Any]:
    """vLLM's pool accounting as sympy equations (sympy imported here).

    >>> f = pool_formulas()
    >>> sorted(f)
    ['kv_memory', 'max_concurrency', 'num_blocks', 'tokens']
    >>> f["kv_memory"]
    Eq(M_KV, -A - N + T*u - W)
    """
    import sympy as sp

    T, u, W, A, N = sp.symbols("T u W A N", nonnegative=True)
    M, B, b, P, L = sp.symbols("M_KV B b P L_max", positive=True)
    n = sp.Symbol("n_blocks", nonnegative=True)
    return {
        "kv_memory": sp.Eq(M, T * u - (W + A + N)),
        "num_blocks": sp.Eq(n, sp.floor(M / (b * P))),
        "tokens": sp.Eq(sp.Symbol("tokens"), n * b),
        "max_concurrency": sp.Eq(sp.Symbol("C"), n / sp.ceiling(L / b)),
    }


def pool_values(p: Pool) -> dict[str, Any]:
    """The values of :func:`pool_formulas`' symbols for a pool (bytes, exact fractions).

    >>> import vramlab as vl
    >>> v = pool_values(vl.kv_pool("Qwen/Qwen3-8B", max_model_len=8192))
    >>> v["P"], v["b"], v["L_max"]
    (147456, 16, 8192)
    """
    return {"T": p.total_memory, "u": Fraction(p.gpu_memory_utilization).limit_denominator(10**6),
            "W": p.weights, "A": p.activation, "N": p.non_torch + p.cuda_graphs, "M_KV": p.kv_bytes,
            "b": p.block_size, "P": p.block_bytes // p.block_size, "L_max": p.max_model_len,
            "n_blocks": p.num_blocks}


def oracle_available() -> bool:
    """True when torch and transformers can be imported (for the KV-cache oracle).

    >>> isinstance(oracle_available(), bool)
    True
    """
    import importlib.util

    return all(importlib.util.find_spec(x) is not None for x in ("torch", "transformers"))


#: Shrunk geometry for the oracle: small enough to run on a CPU in well under a second.
ORACLE_GEOMETRY = {"num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128,
                   "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 256}


def transformers_kv_oracle(model: str = "Qwen/Qwen3-8B", tokens: int = 64, batch: int = 1, seed: int = 0,
                           **overrides: Any) -> dict[str, Any]:
    """Real KV-cache tensors of a tiny random model built from a preset's config, vs the formula.

    The preset's config is shrunk (:data:`ORACLE_GEOMETRY`, then ``overrides``), built with
    transformers on the CPU in float32, run once over ``batch × tokens`` random ids with
    ``use_cache=True``; the bytes of every key and value tensor are summed and set beside
    :func:`vramlab.kv_cache_bytes` of the same shrunk config. Nothing is downloaded.

    Raises :class:`VramlabError` when torch or transformers is missing.
    """
    if not oracle_available():
        raise VramlabError("the KV-cache oracle needs torch and transformers (pip install 'vramlab[oracle]')",
                           field="oracle")
    import copy

    import torch
    import transformers

    from .memory import kv_cache_bytes
    from .presets import preset_record

    tokens = check_int("tokens", tokens, minimum=1, maximum=4096)
    batch = check_int("batch", batch, minimum=1, maximum=64)
    cfg = copy.deepcopy(preset_record(model)["config"])
    cfg.update(ORACLE_GEOMETRY)
    cfg.update(overrides)
    for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
        if key in cfg:
            cfg[key] = 0
    cfg.pop("quantization_config", None)
    cls = transformers.AutoConfig.for_model(cfg["model_type"]).__class__
    hf = cls(**{k: v for k, v in cfg.items() if k != "model_type"})
    torch.manual_seed(seed)
    net = transformers.AutoModelForCausalLM.from_config(hf, dtype=torch.float32).eval()
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, hf.vocab_size, (batch, tokens), generator=g)
    with torch.no_grad():
        cache = net(input_ids=ids, use_cache=True).past_key_values
    if hasattr(cache, "layers"):
        pairs = [(la.keys, la.values) for la in cache.layers]
    elif hasattr(cache, "key_cache"):
        pairs = list(zip(cache.key_cache, cache.value_cache))
    else:
        pairs = [(k, v) for k, v, *_ in cache]
    measured = sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in pairs)
    spec = load_model(cfg, name=f"{model} (shrunk)")
    formula = kv_cache_bytes(spec, tokens, batch, "fp32")
    return {"model": model, "tokens": tokens, "batch": batch, "layers": len(pairs),
            "key_shape": tuple(pairs[0][0].shape), "measured_bytes": measured, "formula_bytes": formula}


def evaluate_pool_formula(name: str, p: Pool):
    """Evaluate one of :func:`pool_formulas` for a pool, exactly (an int or a Fraction).

    >>> import vramlab as vl
    >>> p = vl.kv_pool("Qwen/Qwen3-8B", max_model_len=8192)
    >>> evaluate_pool_formula("num_blocks", p) == p.num_blocks
    True
    """
    f = pool_formulas()
    if name not in f:
        raise VramlabError(f"formula {name!r} is unknown; valid: {', '.join(sorted(f))}", field="name")
    v = pool_values(p)
    rhs = f[name].rhs
    val = rhs.subs({s: v[s.name] for s in rhs.free_symbols if s.name in v})
    q = Fraction(int(val.p), int(val.q))
    return int(q) if q.denominator == 1 else q


def calibration_log(row_id: int) -> str:
    """The start-up lines of one calibration row, rebuilt from its logged figures.

    The CSV keeps the figures, not the logs; this writes them back in the line formats of
    the row's vLLM generation (V1: ``Model loading took ...``, the DEBUG profiling line,
    ``Available KV cache memory``, ``GPU KV cache size``, ``Maximum concurrency``; V0:
    ``Loading model weights took ... GB``, ``Memory profiling results: ...``, ``# GPU blocks``)
    so that :func:`vramlab.explain_vllm_log` can explain every row.

    >>> print(calibration_log(1).splitlines()[1])
    Loading model weights took 14.9888 GB
    """
    import ast

    from .overheads import load_vllm_calibration

    df = load_vllm_calibration()
    rows = df[df.row_id == row_id].to_dict("records")
    if not rows:
        raise VramlabError(f"row_id {row_id!r} is not in the calibration data; valid: "
                           f"{', '.join(str(i) for i in df.row_id)}", field="row_id")
    r = rows[0]
    v = lambda k: _row_value(r, k)  # noqa: E731
    notes = str(r.get("notes") or "")
    args = {"model": r["model"], "max_model_len": int(r["max_model_len"]),
            "gpu_memory_utilization": float(r["gpu_memory_utilization"])}
    if "non-default args: {" in notes:
        lit = notes.split("non-default args: ", 1)[1]
        args = ast.literal_eval(lit[: lit.index("}") + 1])
    if int(r["tensor_parallel_size"]) > 1:
        args.setdefault("tensor_parallel_size", int(r["tensor_parallel_size"]))
    if v("kv_cache_dtype") not in (None, "auto"):
        args.setdefault("kv_cache_dtype", v("kv_cache_dtype"))
    lines = [f"# rebuilt from calibration row {row_id}: {r['source_url']}"]
    if v("engine_version"):
        lines += [f"vLLM API server version {str(v('engine_version')).lstrip('v')}",
                  f"non-default args: {args}",
                  f"Model loading took {float(r['weights_value']):.2f} GiB memory",
                  f"Memory profiling takes 5.00 seconds. Total non KV cache memory: {float(v('total_non_kv_memory_gib')):.2f}GiB; "
                  f"torch peak memory increase: {float(v('activation_peak_gib')):.2f}GiB; non-torch forward increase "
                  f"memory: {float(v('non_torch_memory_gib')):.2f}GiB; weights memory: {float(r['weights_value']):.2f}GiB.",
                  f"Requested memory: {float(r['gpu_memory_utilization']):.2f} (util), "
                  f"{float(r['total_gpu_memory_gib']) * float(r['gpu_memory_utilization']):.2f} GiB",
                  f"Available KV cache memory: {float(r['kv_cache_memory_gib']):.2f} GiB",
                  f"GPU KV cache size: {int(r['gpu_kv_cache_tokens']):,} tokens",
                  f"Maximum concurrency for {int(r['max_concurrency_at_tokens']):,} tokens per request: "
                  f"{float(r['max_concurrency_x']):.2f}x"]
    else:
        lines = [lines[0], f"Loading model weights took {float(r['weights_value']):.4f} GB",
                 f"non-default args: {args}",
                 f"Memory profiling results: total_gpu_memory={float(r['total_gpu_memory_gib']):.2f}GiB, "
                 f"peak_torch_memory={float(v('peak_torch_memory_gib_incl_weights')):.2f}GiB, "
                 f"non_torch_memory={float(v('non_torch_memory_gib')):.2f}GiB, "
                 f"kv_cache_size={float(r['kv_cache_memory_gib']):.2f}GiB, "
                 f"gpu_memory_utilization={float(r['gpu_memory_utilization']):.2f}",
                 f"# GPU blocks: {int(r['num_gpu_blocks'])}, # CPU blocks: 2048"]
        if "failed" in str(v("flags") or ""):
            lines.append(f"ValueError: The model's max seq len ({int(r['max_model_len'])}) is larger than the maximum "
                         f"number of tokens that can be stored in KV cache ({int(r['gpu_kv_cache_tokens'])}).")
        else:
            lines.append(f"Maximum concurrency for {int(r['max_concurrency_at_tokens'])} tokens per request: "
                         f"{float(r['max_concurrency_x']):.2f}x")
    return "\n".join(lines) + "\n"
