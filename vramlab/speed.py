"""Memory sets the speed: roofline bounds of decoding and prefill.

Every decode step reads the weights once (for a mixture of experts only the experts the
step's tokens are routed to) and the whole KV cache of every sequence, and does about two
FLOPs per active parameter per token plus attention over the context. A GPU cannot move
bytes faster than its memory bandwidth nor compute faster than its peak tensor FLOP/s, so

    seconds per step >= max(bytes / bandwidth, FLOPs / peak)

the *roofline* bound. It is a bound, not a prediction: real engines reach 40-80 % of it
(kernel launches, sampling, scheduling, imperfect bandwidth). Decoding one sequence is far
below the ridge point (about 2 FLOPs per byte against an H100's 295), so it is memory-bound;
batching sequences shares the weight reads until compute catches up at
``crossover_concurrency``.

Figures come from vramlab's own byte rules (:func:`vramlab.weights_breakdown`,
:func:`vramlab.kv_cache_bytes`, :func:`vramlab.active_param_count`) and the GPU catalog's
datasheet bandwidth and dense peak FLOP/s (:mod:`vramlab.gpus`).

>>> import vramlab as vl
>>> s = vl.decode_speed("Qwen/Qwen3-8B", gpu="H100 80GB", tokens=4096, concurrency=1, weight_dtype="bf16")
>>> s.bound, round(s.tokens_per_s)
('memory', 197)
"""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .errors import MAX_CONCURRENCY, VramlabError, check_concurrency, check_tokens
from .gpus import GPU, get_gpu
from .memory import kv_cache_bytes, resolve_kv_dtype, resolve_weight_dtype, weights_breakdown
from .params import active_param_count, param_breakdown
from .presets import load_model
from .serving import check_tensor_parallel
from .spec import ModelSpec

__all__ = [
    "DecodeSpeed", "PrefillTime", "decode_speed", "prefill_time",
    "Measurement", "load_decode_benchmarks", "BenchmarkCheck", "check_decode_benchmarks", "benchmark_report",
    "SOURCE_NOTES", "kv_cache_savings", "CacheSavings",
]


class _Roofline:
    """Shared arithmetic: per-GPU seconds at full bandwidth and at peak, and which is larger."""

    tensor_parallel: int
    bandwidth: int
    peak_flops: int

    def _totals(self) -> tuple[int, int]:  # (bytes, FLOPs), all GPUs together; set by each result
        raise NotImplementedError  # pragma: no cover

    @property
    def memory_seconds(self) -> float:
        """Time to move this GPU's share of the bytes at full bandwidth."""
        return self._totals()[0] / self.tensor_parallel / self.bandwidth

    @property
    def compute_seconds(self) -> float:
        """Time to do this GPU's share of the FLOPs at peak."""
        return self._totals()[1] / self.tensor_parallel / self.peak_flops

    @property
    def bound(self) -> str:
        """``"memory"`` when moving bytes takes longer than computing, else ``"compute"``."""
        return "memory" if self.memory_seconds >= self.compute_seconds else "compute"


@dataclass(frozen=True)
class DecodeSpeed(_Roofline):
    """Roofline bound of one decode step: ``concurrency`` sequences, each at ``tokens`` of context.

    Attributes
    ----------
    weight_bytes : int
        Weight bytes read per step, all GPUs together (MoE: only the experts routed to).
    kv_bytes : int
        KV cache (and fixed state) of every sequence, read once per step.
    flops_per_step : int
        2 x active matmul parameters x concurrency, plus ``attention_flops``.
    attention_flops : int
        QK^T and AV over the context: 2 * H_q * (d_qk + d_v) * positions, summed over layers.
    experts_read : float or None
        MoE only: routed experts read per MoE layer (the expected number chosen by at least one
        of the step's tokens, uniform routing).
    bandwidth, peak_flops : int
        Of one GPU (bytes/s, FLOP/s); ``peak_dtype`` says which peak (``"bf16"`` or ``"fp8"``).
        ``memory_seconds``, ``compute_seconds``, ``seconds_per_step`` (the larger),
        ``tokens_per_s`` (all sequences) and ``bound`` follow from them.
    crossover_concurrency : int or None
        Fewest sequences (at this context) at which the step turns compute-bound; None when
        it never does up to ``MAX_CONCURRENCY`` (long contexts: the KV reads grow as fast as the
        FLOPs).
    """

    model: str
    gpu: str
    tokens: int
    concurrency: int
    tensor_parallel: int
    weight_dtype: str
    kv_dtype: str
    weight_bytes: int
    kv_bytes: int
    flops_per_step: int
    attention_flops: int
    experts_read: float | None
    bandwidth: int
    peak_flops: int
    peak_dtype: str
    crossover_concurrency: int | None

    def _totals(self) -> tuple[int, int]:
        return self.bytes_per_step, self.flops_per_step

    @property
    def bytes_per_step(self) -> int:
        """Bytes read per step, all GPUs together: ``weight_bytes + kv_bytes``."""
        return self.weight_bytes + self.kv_bytes

    @property
    def seconds_per_step(self) -> float:
        """Roofline lower bound of one decode step."""
        return max(self.memory_seconds, self.compute_seconds)

    @property
    def tokens_per_s(self) -> float:
        """Upper bound of output tokens per second, all sequences together."""
        return self.concurrency / self.seconds_per_step

    @property
    def tokens_per_s_per_sequence(self) -> float:
        """Upper bound of one sequence's tokens per second (1 / seconds per step)."""
        return 1.0 / self.seconds_per_step

    @property
    def arithmetic_intensity(self) -> float:
        """FLOPs per byte read; the step is compute-bound above ``peak_flops / bandwidth``."""
        return self.flops_per_step / self.bytes_per_step

    @property
    def ridge_point(self) -> float:
        """The GPU's FLOPs per byte at which bandwidth and compute take equally long."""
        return self.peak_flops / self.bandwidth

    def to_dict(self) -> dict[str, Any]:
        """Every field and derived figure, for JSON."""
        keys = ("bytes_per_step", "memory_seconds", "compute_seconds", "seconds_per_step", "tokens_per_s",
                "tokens_per_s_per_sequence", "bound", "arithmetic_intensity", "ridge_point")
        return {**{f: getattr(self, f) for f in self.__dataclass_fields__}, **{k: getattr(self, k) for k in keys}}

    def summary(self) -> str:
        """A few lines: bytes, FLOPs, the bound and the crossover."""
        tp = f" x {self.tensor_parallel}" if self.tensor_parallel > 1 else ""
        cross = (f"compute-bound from {self.crossover_concurrency:,} sequences at this context"
                 if self.crossover_concurrency is not None else
                 f"never compute-bound (up to {MAX_CONCURRENCY:,} sequences): each sequence's KV read "
                 "takes longer than its FLOPs")
        return (f"{self.model} on {self.gpu}{tp}: {self.concurrency:,} sequence(s) at {self.tokens:,} tokens, "
                f"weights {self.weight_dtype}, KV {self.kv_dtype}\n"
                f"  bytes per step  {self.bytes_per_step / 1e9:10.2f} GB (weights {self.weight_bytes / 1e9:.2f} GB"
                f" + KV {self.kv_bytes / 1e9:.2f} GB)\n"
                f"  FLOPs per step  {self.flops_per_step / 1e12:10.3f} TFLOP (attention {self.attention_flops / 1e12:.3f})\n"
                f"  memory time     {self.memory_seconds * 1e3:10.3f} ms at {self.bandwidth / 1e12:.2f} TB/s\n"
                f"  compute time    {self.compute_seconds * 1e3:10.3f} ms at {self.peak_flops / 1e12:.1f} "
                f"{self.peak_dtype} TFLOP/s\n"
                f"  {self.bound}-bound: >= {self.seconds_per_step * 1e3:.3f} ms per step, <= {self.tokens_per_s:,.0f} "
                f"tokens/s ({self.tokens_per_s_per_sequence:,.1f} per sequence)\n  {cross}")

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class PrefillTime(_Roofline):
    """Roofline bound of a prefill (time to first token) of ``concurrency`` prompts of ``tokens``.

    ``flops`` = 2 x active matmul parameters x prompt tokens + causal attention (each position
    attends to the positions before it: the quadratic term); ``bytes`` = weights read once +
    the KV cache written. ``seconds`` = max(bytes / bandwidth, FLOPs / peak), per GPU.
    """

    model: str
    gpu: str
    tokens: int
    concurrency: int
    tensor_parallel: int
    weight_bytes: int
    kv_bytes: int
    flops: int
    attention_flops: int
    bandwidth: int
    peak_flops: int
    peak_dtype: str

    def _totals(self) -> tuple[int, int]:
        return self.bytes, self.flops

    @property
    def bytes(self) -> int:
        """Weights read once plus the KV cache written, all GPUs together."""
        return self.weight_bytes + self.kv_bytes

    @property
    def seconds(self) -> float:
        """Lower bound of the time to first token (compute-bound for any real prompt)."""
        return max(self.memory_seconds, self.compute_seconds)

    @property
    def tokens_per_s(self) -> float:
        """Upper bound of prompt tokens processed per second."""
        return self.concurrency * self.tokens / self.seconds


# -- the pieces: bytes and FLOPs from vramlab's own rules ------------------------------

@dataclass(frozen=True)
class _Pieces:
    dense_bytes: int          # weight bytes read whatever the routing (everything but routed experts)
    expert_bytes: int         # bytes of all routed experts
    experts: int              # routed experts per MoE layer (0: dense)
    per_token: int            # routed experts per token
    matmul_params: int        # active parameters that multiply (untied input embeddings do not)
    weight_dtype: str
    kv_dtype: str
    peak_flops: int
    peak_dtype: str
    bandwidth: int


def _pieces(m: ModelSpec, g: GPU, weight_dtype: Any, kv_dtype: Any) -> _Pieces:
    if not g.memory_bandwidth or not g.bf16_flops:
        raise VramlabError(f"gpu {g.name!r} has no memory_bandwidth and bf16_flops in the catalog; "
                           "pass a GPU with both set", field="gpu")
    wd = resolve_weight_dtype(m, weight_dtype)
    kd = resolve_kv_dtype(m, kv_dtype)
    parts = weights_breakdown(m, wd)
    expert_bytes = parts.get("experts", 0) if m.is_moe else 0
    matmul = active_param_count(m)
    if not m.tie_word_embeddings:  # the input table is looked up, not multiplied
        matmul -= param_breakdown(m).get("embeddings", 0)
    fp8 = wd.name.startswith(("fp8", "int8")) and g.fp8_flops  # 8-bit tensor cores (fp8 = int8 on Hopper)
    return _Pieces(
        dense_bytes=sum(parts.values()) - expert_bytes, expert_bytes=expert_bytes,
        experts=m.num_experts if expert_bytes else 0, per_token=m.num_experts_per_tok if expert_bytes else 0,
        matmul_params=matmul, weight_dtype=wd.name, kv_dtype=kd.name,
        peak_flops=int(g.fp8_flops) if fp8 else int(g.bf16_flops), peak_dtype="fp8" if fp8 else "bf16",
        bandwidth=int(g.memory_bandwidth),
    )


def _experts_read(p: _Pieces, routed_tokens: int) -> float | None:
    """Expected routed experts per layer chosen by at least one of ``routed_tokens`` tokens."""
    if not p.experts:
        return None
    if routed_tokens == 1:
        return float(p.per_token)
    return p.experts * -math.expm1(routed_tokens * math.log1p(-p.per_token / p.experts))


def _weight_bytes(p: _Pieces, routed_tokens: int) -> int:
    read = _experts_read(p, routed_tokens)
    if read is None:
        return p.dense_bytes
    return p.dense_bytes + math.ceil(p.expert_bytes * read / p.experts)


def _attention_per_position(m: ModelSpec) -> int:
    """FLOPs per attended position and layer: 2 * H_q * (d_qk + d_v) (QK^T plus AV)."""
    d_v = int(m.config.get("v_head_dim") or m.head_dim) if m.attention_kind == "MLA" else m.head_dim
    return 2 * m.num_q_heads * (m.head_dim + d_v)


def _decode_attention(m: ModelSpec, tokens: int) -> int:
    """Attention FLOPs of one new token at ``tokens`` of context: sliding layers read their window,
    chunked layers the ((n - 1) mod C) + 1 positions of their own chunk."""
    return _attention_per_position(m) * sum(
        (tokens - 1) % la.window + 1 if la.kind == "chunked" and la.window and tokens else la.tokens_cached(tokens)
        for la in m.layers)


def _check_workload(m: ModelSpec, tokens: Any, concurrency: Any, tensor_parallel: Any) -> tuple[int, int, int]:
    return (check_tokens("tokens", tokens), check_concurrency("concurrency", concurrency),
            check_tensor_parallel(m, tensor_parallel))


def _step(m: ModelSpec, p: _Pieces, tokens: int, c: int) -> tuple[int, int, int]:
    """(weight bytes, FLOPs, attention FLOPs) of one step of ``c`` sequences."""
    att = c * _decode_attention(m, tokens)
    return _weight_bytes(p, c), 2 * p.matmul_params * c + att, att


def _crossover(m: ModelSpec, p: _Pieces, tokens: int, kv_seq: int) -> int | None:
    """Fewest sequences that make the step compute-bound (FLOPs/bytes grows with c), or None."""
    def ok(c: int) -> bool:
        w, flops, _ = _step(m, p, tokens, c)
        return flops * p.bandwidth >= (w + c * kv_seq) * p.peak_flops

    lo, hi = 0, 1  # ok(lo) is False (or lo = 0), ok(hi) is being searched for
    while not ok(hi):
        if hi >= MAX_CONCURRENCY:
            return None
        lo, hi = hi, min(MAX_CONCURRENCY, hi * 2)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def decode_speed(model: Any, gpu: str | GPU = "H100 80GB", tokens: int = 4096, concurrency: int = 1,
                 weight_dtype: str | None = None, kv_dtype: str | None = "auto",
                 tensor_parallel: int = 1) -> DecodeSpeed:
    """Roofline bound of decoding: bytes and FLOPs per step, the bound and tokens/s.

    Parameters
    ----------
    model : ModelSpec, preset id, path or dict
    gpu : str or GPU
        A catalog name (:func:`vramlab.list_gpus`); needs bandwidth and peak FLOP/s.
    tokens : int
        Context of every sequence (prompt + tokens generated so far).
    concurrency : int
        Sequences decoded together in one step (the batch).
    weight_dtype, kv_dtype : str
        As in :func:`vramlab.estimate` (None/``"auto"`` read the checkpoint). The fp8 peak is
        used when the weights are 8-bit (fp8, int8) and the GPU has fp8 tensor cores, else the
        bf16 peak (weight-only int4 multiplies in 16 bits; Ampere's int8 peak is not catalogued).
    tensor_parallel : int
        GPUs sharing the step. Tensor parallelism splits bytes and FLOPs evenly and adds
        nothing else here: no all-reduce time, no replicated KV heads (MQA, MLA), so the bound
        stays a lower bound of the time.

    Returns
    -------
    DecodeSpeed

    Notes
    -----
    ``weight_bytes`` counts every weight of :func:`vramlab.weights_breakdown` once, the
    embedding table included (a step looks up only ``concurrency`` rows of an untied input
    table, so for untied models the bytes are a little high: 7.6 % of Qwen3-8B's). A
    mixture of experts reads, per MoE layer, the experts chosen by at least one token of the
    step: exactly k for one sequence, E * (1 - (1 - k/E)**c) on average for c sequences with
    uniform routing (a skewed router reads fewer). MoE FLOPs count k experts per token.

    Examples
    --------
    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> s = decode_speed(m, "H100 80GB", tokens=4096, concurrency=1, weight_dtype="bf16")
    >>> s.bytes_per_step == vl.weights_bytes(m, "bf16") + vl.kv_cache_bytes(m, 4096, 1, "bf16")
    True
    >>> s.bound, decode_speed(m, "H100 80GB", tokens=64, concurrency=1024, weight_dtype="bf16").bound
    ('memory', 'compute')
    """
    m = load_model(model)
    g = get_gpu(gpu)
    tokens, c, tp = _check_workload(m, tokens, concurrency, tensor_parallel)
    p = _pieces(m, g, weight_dtype, kv_dtype)
    kv_seq = kv_cache_bytes(m, tokens, 1, p.kv_dtype)
    w, flops, att = _step(m, p, tokens, c)
    return DecodeSpeed(
        model=m.name, gpu=g.name, tokens=tokens, concurrency=c, tensor_parallel=tp,
        weight_dtype=p.weight_dtype, kv_dtype=p.kv_dtype, weight_bytes=w,
        kv_bytes=kv_cache_bytes(m, tokens, c, p.kv_dtype), flops_per_step=flops, attention_flops=att,
        experts_read=_experts_read(p, c), bandwidth=p.bandwidth, peak_flops=p.peak_flops,
        peak_dtype=p.peak_dtype, crossover_concurrency=_crossover(m, p, tokens, kv_seq),
    )


def _causal_positions(la, tokens: int) -> int:
    """Positions attended over a prompt: sum over i of min(i, window) (chunked: i within its chunk;
    a linear-attention or SSM layer attends to none: its per-token work is in the matmuls)."""
    if not la.is_attention:
        return 0
    w = min(tokens, la.window or tokens)
    if la.kind == "chunked":
        return (tokens // w) * w * (w + 1) // 2 + (tokens % w) * (tokens % w + 1) // 2
    return w * (w + 1) // 2 + (tokens - w) * w


def prefill_time(model: Any, gpu: str | GPU = "H100 80GB", tokens: int = 4096, concurrency: int = 1,
                 weight_dtype: str | None = None, kv_dtype: str | None = "auto",
                 tensor_parallel: int = 1) -> PrefillTime:
    """Roofline bound of the prefill (time to first token) of ``concurrency`` prompts of ``tokens``.

    Compute-bound for any real prompt: 2 FLOPs per active parameter per prompt token, plus
    causal attention whose cost grows with the square of the prompt (position i attends to
    i positions, or to the window of a sliding layer). Tensor parallelism splits bytes and
    FLOPs and adds nothing else (see :func:`decode_speed`).

    Examples
    --------
    >>> import vramlab as vl
    >>> p = prefill_time("Qwen/Qwen3-8B", "H100 80GB", tokens=4096, weight_dtype="bf16")
    >>> p.bound, round(p.seconds * 1e3, 1)
    ('compute', 67.7)
    >>> long = prefill_time("Qwen/Qwen3-8B", "H100 80GB", tokens=32768, weight_dtype="bf16")
    >>> long.attention_flops > 8 * 8 * p.attention_flops * 0.99   # 8x the prompt, ~64x the attention
    True
    """
    m = load_model(model)
    g = get_gpu(gpu)
    tokens, c, tp = _check_workload(m, tokens, concurrency, tensor_parallel)
    p = _pieces(m, g, weight_dtype, kv_dtype)
    att = c * _attention_per_position(m) * sum(_causal_positions(la, tokens) for la in m.layers)
    return PrefillTime(
        model=m.name, gpu=g.name, tokens=tokens, concurrency=c, tensor_parallel=tp,
        weight_bytes=_weight_bytes(p, c * tokens), kv_bytes=kv_cache_bytes(m, tokens, c, p.kv_dtype),
        flops=2 * p.matmul_params * c * tokens + att, attention_flops=att, bandwidth=p.bandwidth,
        peak_flops=p.peak_flops, peak_dtype=p.peak_dtype,
    )


@dataclass(frozen=True)
class CacheSavings:
    """A decode step with a KV cache (``with_cache``, :func:`decode_speed`) beside the same step
    without one (``without_cache``): a forward pass over the whole context (:func:`prefill_time`)."""

    with_cache: DecodeSpeed
    without_cache: PrefillTime

    @property
    def speedup(self) -> float:
        """How many times longer the uncached step takes (roofline bounds of both)."""
        return self.without_cache.seconds / self.with_cache.seconds_per_step


def kv_cache_savings(model: Any, gpu: str | GPU = "H100 80GB", tokens: int = 4096,
                     weight_dtype: str | None = None, kv_dtype: str | None = "auto") -> CacheSavings:
    """Why decoding caches K and V: one step at ``tokens`` of context, with and without a cache.

    With a cache a step moves the weights and ``tokens`` cached K/V, ~2 FLOPs per parameter;
    without one it recomputes K and V of every position: ~2 FLOPs per parameter *per position*.

    >>> s = kv_cache_savings("Qwen/Qwen3-8B", "H100 80GB", tokens=32768, weight_dtype="bf16")
    >>> s.with_cache.bound, s.without_cache.bound, s.speedup > 50
    ('memory', 'compute', True)
    """
    return CacheSavings(decode_speed(model, gpu, tokens, 1, weight_dtype, kv_dtype),
                        prefill_time(model, gpu, tokens, 1, weight_dtype, kv_dtype))


# -- published measurements beside the bound ------------------------------------------

@dataclass(frozen=True)
class Measurement:
    """One published decode-throughput run (a row of ``data/decode_benchmarks.csv``)."""

    model: str
    gpu: str
    tensor_parallel: int
    weight_dtype: str
    kv_dtype: str
    concurrency: int
    input_tokens: int
    output_tokens: int
    measured_output_tokens_per_s: float
    engine: str
    source_url: str

    @property
    def context(self) -> int:
        """The average context of the decode steps: ``input + output / 2`` (rounded down)."""
        return self.input_tokens + self.output_tokens // 2


#: What each source's figure measures: (note, whether its time includes the prefill).
SOURCE_NOTES = {
    "github.com/NVIDIA/TensorRT-LLM": (
        "static batches (gptSessionBenchmark): batch x output tokens / whole run", True),
    "github.com/QwenLM/Qwen2.5": ("batch 1: 2,048 generated tokens / generation time", True),
    "github.com/tenstorrent/tt-inference-server": ("Tput Decode = 1 / mean time per output token", False),
    "github.com/SemiAnalysisAI/InferenceX": ("output tokens / benchmark duration (time to first token included)", True),
}


def load_decode_benchmarks() -> tuple[Measurement, ...]:
    """The published runs shipped in ``vramlab/data/decode_benchmarks.csv``.

    >>> rows = load_decode_benchmarks()
    >>> len(rows) >= 10, all(r.source_url.startswith("https://") for r in rows)
    (True, True)
    """
    path = resources.files("vramlab").joinpath("data", "decode_benchmarks.csv")
    with path.open("r", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ints = ("tensor_parallel", "concurrency", "input_tokens", "output_tokens")
    out = []
    for i, r in enumerate(rows, start=2):
        try:
            kw = {k: int(r[k]) if k in ints else r[k] for k in Measurement.__dataclass_fields__}
            kw["measured_output_tokens_per_s"] = float(r["measured_output_tokens_per_s"])
            out.append(Measurement(**kw))
        except (KeyError, TypeError, ValueError) as e:
            raise VramlabError(f"decode_benchmarks.csv line {i} is malformed: {e}", field="decode_benchmarks") from e
    return tuple(out)


@dataclass(frozen=True)
class BenchmarkCheck:
    """A published run beside its roofline bound.

    ``bound`` is :func:`decode_speed` at the run's average context (input + output/2);
    ``prefill`` the bound of its prefill; ``reasons`` why the measurement falls short.
    """

    measurement: Measurement
    bound: DecodeSpeed
    prefill: PrefillTime
    reasons: tuple[str, ...]

    @property
    def ratio(self) -> float:
        """Measured output tokens/s over the decode bound (at most 1 for a sound bound)."""
        return self.measurement.measured_output_tokens_per_s / self.bound.tokens_per_s

    @property
    def bound_with_prefill(self) -> float:
        """Upper bound of output tokens/s when the prefill time is counted too."""
        m = self.measurement
        total = self.prefill.seconds + m.output_tokens * self.bound.seconds_per_step
        return m.concurrency * m.output_tokens / total

    @property
    def within_bound(self) -> bool:
        """True when the measurement does not beat the decode bound."""
        return self.ratio <= 1.0


def _reasons(m: Measurement, bound: DecodeSpeed, with_prefill: float) -> tuple[str, ...]:
    spec = load_model(m.model)
    note, prefill_inside = next((v for k, v in SOURCE_NOTES.items() if k in m.source_url), ("", True))
    out = [note] if note else []
    rules = [
        (prefill_inside, f"the prefill is inside the measured time: counting it the bound is {with_prefill:,.0f} "
                         f"tokens/s (measured/bound {m.measured_output_tokens_per_s / with_prefill:.2f})"),
        (m.concurrency == 1, "one sequence: each step is a few ms of matrix-vector products, and kernel launches, "
                             "sampling and scheduling between steps are not hidden"),
        (m.weight_dtype.startswith("int4"), "int4 weights are dequantized inside the kernel, which reaches a "
                                            "smaller share of the bandwidth than a 16-bit GEMV"),
        (bound.experts_read is not None, f"mixture of experts: {bound.experts_read or 0:.0f} of {spec.num_experts} "
                                         "experts per layer, each a small GEMM, plus routing"),
        (m.tensor_parallel > 1, f"{m.tensor_parallel} GPUs: two all-reduces per layer, not in the bound"),
        (m.tensor_parallel > 1 and spec.attention_kind in ("MLA", "MQA"),
         f"{spec.attention_kind} KV is replicated on every GPU, not split {m.tensor_parallel} ways as in the bound"),
        ("eager" in m.engine, "enforce_eager: no CUDA graphs, every kernel launched from Python"),
        (m.gpu == "A100 80GB", "bound with the A100 SXM's 2,039 GB/s; on a PCIe card (1,935 GB/s) the ratio "
                               "is 5 % higher"),
        (True, "achievable DRAM bandwidth is below the datasheet peak (about 80-90 % in copy benchmarks)"),
    ]
    return tuple(out + [text for cond, text in rules if cond])


def check_decode_benchmarks(rows: tuple[Measurement, ...] | None = None) -> tuple[BenchmarkCheck, ...]:
    """Every published run beside its bound, with the reasons for the gap.

    >>> checks = check_decode_benchmarks()
    >>> all(c.within_bound for c in checks)
    True
    """
    out = []
    for m in load_decode_benchmarks() if rows is None else rows:
        b = decode_speed(m.model, m.gpu, m.context, m.concurrency, m.weight_dtype, m.kv_dtype, m.tensor_parallel)
        p = prefill_time(m.model, m.gpu, m.input_tokens, m.concurrency, m.weight_dtype, m.kv_dtype,
                         m.tensor_parallel)
        total = p.seconds + m.output_tokens * b.seconds_per_step
        out.append(BenchmarkCheck(m, b, p, _reasons(m, b, m.concurrency * m.output_tokens / total)))
    return tuple(out)


def benchmark_report(checks: tuple[BenchmarkCheck, ...] | None = None) -> str:
    """A plain-text table: each run, its measurement, its bound and measured/bound.

    >>> benchmark_report().splitlines()[-1].endswith("all at or below the bound: True")
    True
    """
    checks = check_decode_benchmarks() if checks is None else checks
    head = (f"{'model':26} {'GPU':10} {'TP':>3} {'weights':7} {'KV':5} {'batch':>6} {'in/out':>11} "
            f"{'measured':>9} {'bound':>9} {'ratio':>6} {'with prefill':>12}")
    lines = [head]
    for c in checks:
        m = c.measurement
        lines.append(
            f"{m.model.split('/')[-1][:26]:26} {m.gpu:10} {m.tensor_parallel:>3} {m.weight_dtype:7} "
            f"{m.kv_dtype:5} {m.concurrency:>6} {f'{m.input_tokens}/{m.output_tokens}':>11} "
            f"{m.measured_output_tokens_per_s:>9,.1f} {c.bound.tokens_per_s:>9,.1f} {c.ratio:>6.2f} "
            f"{m.measured_output_tokens_per_s / c.bound_with_prefill:>12.2f}")
    ratios = sorted(c.ratio for c in checks)
    lines.append(f"{len(checks)} runs; measured/bound: median {statistics.median(ratios):.2f}, "
                 f"min {ratios[0]:.2f}, max {ratios[-1]:.2f}; all at or below the bound: "
                 f"{all(c.within_bound for c in checks)}")
    return "\n".join(lines)
