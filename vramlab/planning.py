"""Planning: does a workload fit on a GPU, on how many GPUs, and how far can it grow.

A serving estimate (:func:`vramlab.estimate`) is split over tensor-parallel GPUs and each
GPU's share is compared with the usable memory of the catalog (:mod:`vramlab.gpus`).
The tensor-parallel rule (which sizes a model allows) and the per-GPU buffer that tensor
parallelism adds are vLLM's, and live in :mod:`vramlab.serving`
(:func:`~vramlab.serving.check_tensor_parallel`, :data:`~vramlab.serving.TP_COMM_BYTES`).

>>> f = fit("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", tokens=8192, weight_dtype="bf16")
>>> f.fits, f.min_gpus
(False, 2)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from .errors import VramlabError, check_choice, check_concurrency, check_int, check_items, check_tokens
from .gpus import GPU, get_gpu
from .memory import DEFAULT_FRAMEWORK_BYTES, Estimate, estimate, kv_cache_bytes, weights_bytes
from .presets import load_model
from .report import RichDisplay
from .serving import TP_COMM_BYTES, check_tensor_parallel, kv_pool
from .spec import ModelSpec
from .units import format_bytes

__all__ = [
    "DEFAULT_MAX_GPUS", "GPUPlan", "Fit", "FitMap", "tp_degrees", "plan_on", "min_gpus", "max_context",
    "max_concurrency", "fit", "fit_map", "MAP_CONTEXTS", "MAP_CONCURRENCIES", "kv_overtakes_weights", "FIT_ENGINES",
    "cache_crossover",
]

#: Tensor parallelism usually stays inside one node of 8 GPUs.
DEFAULT_MAX_GPUS = 8


@dataclass(frozen=True)
class GPUPlan(RichDisplay):
    """Memory on each GPU when a model is served with ``tensor_parallel`` GPUs.

    Weights are split evenly; each GPU caches ``max(1, kv_heads // tensor_parallel)`` KV
    heads (MLA's shared latent and MQA's single head are replicated on every GPU);
    activations and the framework/CUDA context are counted whole on every GPU, and
    ``communication`` is the extra per-GPU buffer of tensor parallelism
    (:data:`vramlab.serving.TP_COMM_BYTES`). ``margin`` is the margin fraction of the rest,
    as in :func:`vramlab.estimate`.

    >>> p = plan_on("Qwen/Qwen3-8B", "H100 80GB", tensor_parallel=2, tokens=4096)
    >>> p.total == p.weights + p.kv_cache + p.activations + p.framework + p.communication + p.margin
    True
    """

    gpu: str
    tensor_parallel: int
    weights: int
    kv_cache: int
    activations: int
    framework: int
    communication: int
    margin: int
    usable: int

    @property
    def overhead(self) -> int:
        """Activations, framework/CUDA context and tensor-parallel buffers."""
        return self.activations + self.framework + self.communication

    @property
    def total(self) -> int:
        """Bytes needed on each GPU, margin included."""
        return self.weights + self.kv_cache + self.overhead + self.margin

    @property
    def headroom(self) -> int:
        """Usable minus needed, per GPU: negative when short."""
        return self.usable - self.total

    @property
    def fits(self) -> bool:
        """True when every GPU holds its share."""
        return self.headroom >= 0

    def parts(self) -> dict[str, int]:
        """Weights, KV cache, overhead and margin per GPU (they sum to ``total``)."""
        return {"weights": self.weights, "kv_cache": self.kv_cache, "overhead": self.overhead,
                "margin": self.margin}

    def to_dict(self) -> dict[str, Any]:
        """Every field plus ``overhead``, ``total``, ``headroom`` and ``fits``, JSON-ready (bytes)."""
        return {**asdict(self), "overhead": self.overhead, "total": self.total, "headroom": self.headroom,
                "fits": self.fits}


def _kv_heads(m: ModelSpec) -> int:
    """KV heads that tensor parallelism splits (1 for MLA: the latent is replicated)."""
    return 1 if m.attention_kind == "MLA" else m.num_kv_heads


def _tp_allowed(m: ModelSpec, t: int) -> bool:
    try:
        check_tensor_parallel(m, t)
    except VramlabError:
        return False
    return True


def _tp_degrees(m: ModelSpec, max_gpus: int) -> list[int]:
    # a size above the number of attention heads never divides them
    return [t for t in range(1, min(max_gpus, m.num_q_heads) + 1) if _tp_allowed(m, t)]


def tp_degrees(model: Any, max_gpus: int = DEFAULT_MAX_GPUS) -> list[int]:
    """Tensor-parallel sizes a model allows, up to ``max_gpus``.

    The rule is vLLM's, :func:`vramlab.serving.check_tensor_parallel`: the size must divide
    the attention (query) heads, and the KV heads must split evenly or be replicated evenly
    (``kv_heads % tp == 0`` or ``tp % kv_heads == 0``).

    >>> tp_degrees("Qwen/QwQ-32B")        # 40 query heads, 8 KV heads
    [1, 2, 4, 8]
    >>> tp_degrees("tiiuae/falcon-7b")    # 71 heads: no split at all
    [1]
    """
    m = load_model(model)
    return _tp_degrees(m, check_int("max_gpus", max_gpus, minimum=1, maximum=4096))


def _plan(m: ModelSpec, est: Estimate, g: GPU, t: int, comm_bytes: int) -> GPUPlan:
    kv_total = _kv_heads(m)
    kv_share = max(1, kv_total // t)
    kv = -(-est.kv_cache * kv_share // kv_total)
    w = -(-est.weights // t)
    comm = comm_bytes if t > 1 else 0
    sub = w + kv + est.activations + est.framework + comm
    return GPUPlan(gpu=g.name, tensor_parallel=t, weights=w, kv_cache=kv, activations=est.activations,
                   framework=est.framework, communication=comm,
                   margin=round(sub * Fraction(est.margin_fraction)), usable=g.usable_bytes)


@dataclass(frozen=True)
class _Workload:
    """Everything a plan needs besides tokens and concurrency (validated once)."""

    m: ModelSpec
    gpu: GPU
    tensor_parallel: int
    weight_dtype: Any
    kv_dtype: Any
    margin: float
    framework_bytes: int
    comm_bytes: int

    def plan(self, tokens: int, concurrency: int) -> GPUPlan:
        est = estimate(self.m, tokens, concurrency, self.weight_dtype, self.kv_dtype, self.margin,
                       framework_bytes=self.framework_bytes)
        return _plan(self.m, est, self.gpu, self.tensor_parallel, self.comm_bytes)


def _workload(model: Any, gpu: Any, tensor_parallel: int, weight_dtype: Any, kv_dtype: Any, margin: float,
              framework_bytes: int, comm_bytes: int) -> _Workload:
    m = load_model(model)
    return _Workload(m, get_gpu(gpu), check_tensor_parallel(m, tensor_parallel), weight_dtype, kv_dtype, margin,
                     framework_bytes, check_int("comm_bytes", comm_bytes, minimum=0, maximum=10**15))


def plan_on(model: Any, gpu: str | GPU, tensor_parallel: int = 1, tokens: int = 4096, concurrency: int = 1,
            weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
            framework_bytes: int = DEFAULT_FRAMEWORK_BYTES, comm_bytes: int = TP_COMM_BYTES) -> GPUPlan:
    """Memory on each GPU with ``tensor_parallel`` GPUs (see :class:`GPUPlan`).

    With one GPU the total is exactly :func:`vramlab.estimate`'s total.

    Examples
    --------
    >>> import vramlab as vl
    >>> p = plan_on("Qwen/Qwen3-8B", "RTX 4090", tokens=8192, concurrency=4)
    >>> p.total == vl.estimate("Qwen/Qwen3-8B", tokens=8192, concurrency=4).total
    True
    """
    w = _workload(model, gpu, tensor_parallel, weight_dtype, kv_dtype, margin, framework_bytes, comm_bytes)
    return w.plan(tokens, concurrency)


def _fewest(m: ModelSpec, est: Estimate, g: GPU, max_gpus: int, comm_bytes: int) -> GPUPlan | None:
    for t in _tp_degrees(m, max_gpus):
        p = _plan(m, est, g, t, comm_bytes)
        if p.fits:
            return p
    return None


def min_gpus(model: Any, gpu: str | GPU, tokens: int = 4096, concurrency: int = 1,
             weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
             max_gpus: int = DEFAULT_MAX_GPUS, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
             comm_bytes: int = TP_COMM_BYTES) -> GPUPlan | None:
    """The placement on the fewest GPUs (tensor parallelism) that fits, or None.

    >>> p = min_gpus("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", tokens=8192, weight_dtype="bf16")
    >>> p.tensor_parallel
    2
    """
    m = load_model(model)
    g = get_gpu(gpu)
    max_gpus = check_int("max_gpus", max_gpus, minimum=1, maximum=4096)
    comm_bytes = check_int("comm_bytes", comm_bytes, minimum=0, maximum=10**15)
    est = estimate(m, tokens, concurrency, weight_dtype, kv_dtype, margin, framework_bytes=framework_bytes)
    return _fewest(m, est, g, max_gpus, comm_bytes)


def _largest(ok, lo: int, cap: int) -> int:
    """Largest n in [lo, cap] with ok(n), for a monotone ok; lo - 1 when none."""
    if not ok(lo):
        return lo - 1
    hi = lo
    while hi < cap:
        nxt = min(cap, hi * 2)
        if not ok(nxt):
            break
        hi = nxt
    else:
        return hi
    bad = min(cap, hi * 2)
    while bad - hi > 1:
        mid = (hi + bad) // 2
        if ok(mid):
            hi = mid
        else:
            bad = mid
    return hi


def _context_cap(m: ModelSpec, limit: int | None) -> int:
    if limit is None:
        return int(m.max_position_embeddings or 10**7)
    return check_int("limit", limit, minimum=1, maximum=10**9)


def _max_context(w: _Workload, concurrency: int, cap: int) -> int:
    return _largest(lambda t: w.plan(t, concurrency).fits, 1, cap)


def _max_concurrency(w: _Workload, tokens: int, limit: int) -> int:
    return _largest(lambda c: w.plan(tokens, c).fits, 1, limit)


def max_context(model: Any, gpu: str | GPU, concurrency: int = 1, weight_dtype: str | None = "auto",
                kv_dtype: str | None = "auto", margin: float = 0.1, *, tensor_parallel: int = 1,
                limit: int | None = None, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
                comm_bytes: int = TP_COMM_BYTES) -> int:
    """Longest context (tokens per sequence) that fits with ``concurrency`` sequences.

    Searched up to ``limit`` (default: the model's ``max_position_embeddings``), so a
    result equal to the limit means the model, not the memory, is the bound. 0 when not
    even one token fits.

    >>> import vramlab as vl
    >>> n = max_context("Qwen/Qwen3-8B", "RTX 4090", concurrency=4, weight_dtype="bf16", limit=10**6)
    >>> ok = lambda t: plan_on("Qwen/Qwen3-8B", "RTX 4090", 1, t, 4, "bf16").fits
    >>> ok(n), ok(n + 1)
    (True, False)
    """
    w = _workload(model, gpu, tensor_parallel, weight_dtype, kv_dtype, margin, framework_bytes, comm_bytes)
    concurrency = check_int("concurrency", concurrency, minimum=1, maximum=10**7)
    return _max_context(w, concurrency, _context_cap(w.m, limit))


def max_concurrency(model: Any, gpu: str | GPU, tokens: int = 4096, weight_dtype: str | None = "auto",
                    kv_dtype: str | None = "auto", margin: float = 0.1, *, tensor_parallel: int = 1,
                    limit: int = 10**6, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
                    comm_bytes: int = TP_COMM_BYTES) -> int:
    """Most sequences of ``tokens`` tokens held at once (0 when not even one fits).

    >>> n = max_concurrency("Qwen/Qwen3-8B", "H100 80GB", tokens=32768, weight_dtype="bf16")
    >>> ok = lambda c: plan_on("Qwen/Qwen3-8B", "H100 80GB", 1, 32768, c, "bf16").fits
    >>> ok(n), ok(n + 1)
    (True, False)
    """
    w = _workload(model, gpu, tensor_parallel, weight_dtype, kv_dtype, margin, framework_bytes, comm_bytes)
    tokens = check_int("tokens", tokens, minimum=1, maximum=10**9)
    return _max_concurrency(w, tokens, check_int("limit", limit, minimum=1, maximum=10**7))


#: How a fit is judged: ``plain``, the estimate against usable memory; ``vllm``, whether vLLM's
#: KV pool (:func:`vramlab.serving.kv_pool`, gpu_memory_utilization 0.9) holds the requests.
FIT_ENGINES = ("plain", "vllm")


@dataclass(frozen=True)
class Fit(RichDisplay):
    """Does a workload fit on ``tensor_parallel`` GPUs, by how much, and on how many GPUs.

    Attributes
    ----------
    estimate : Estimate
        The single-GPU estimate (:func:`vramlab.estimate`).
    gpu, usable : str, int
        The GPU's name and the usable bytes of one.
    headroom : int
        Spare bytes on each of the ``tensor_parallel`` GPUs (``usable - per_gpu.total``; on
        one GPU ``usable - estimate.total``), negative when short.
    plan : GPUPlan or None
        Per-GPU memory on the fewest GPUs that fit (tensor parallelism), None when even
        ``max_gpus`` GPUs are not enough.
    max_gpus : int
        The largest tensor-parallel size tried.
    max_context : int
        Longest context at this concurrency on ``tensor_parallel`` GPUs (capped at ``context_limit``).
    context_limit : int
        The model's ``max_position_embeddings`` (the search cap of ``max_context``).
    max_concurrency : int
        Most sequences at this context on ``tensor_parallel`` GPUs.
    tensor_parallel, per_gpu : int, GPUPlan
        The GPUs asked about (1 by default) and the memory on each.
    engine : str
        ``"plain"`` or ``"vllm"`` (:data:`FIT_ENGINES`).
    pool : Pool or None
        vLLM's KV pool on each GPU (engine ``"vllm"``), with ``max_model_len = tokens``.
    """

    estimate: Estimate
    gpu: str
    usable: int
    headroom: int
    plan: GPUPlan | None
    max_gpus: int
    max_context: int
    context_limit: int
    max_concurrency: int
    tensor_parallel: int = 1
    per_gpu: GPUPlan | None = None
    engine: str = "plain"
    pool: Any = None

    @property
    def fits(self) -> bool:
        """True when the workload fits on ``tensor_parallel`` GPUs (under vLLM: its pool holds
        ``concurrency`` requests of ``tokens`` tokens)."""
        if self.pool is not None:
            return _vllm_holds(self.pool, self.estimate.concurrency)
        return self.headroom >= 0

    @property
    def min_gpus(self) -> int | None:
        """Fewest GPUs with tensor parallelism (None: more than ``max_gpus``)."""
        return None if self.plan is None else self.plan.tensor_parallel

    def _where(self) -> str:
        return f"one {self.gpu}" if self.tensor_parallel == 1 else f"{self.tensor_parallel} x {self.gpu}"

    @property
    def warnings(self) -> tuple[str, ...]:
        """The estimate's warnings (context, approximate family), vLLM's and the verdict when it does not fit."""
        out = list(self.estimate.warnings) + list(getattr(self.pool, "warnings", ()))
        if not self.fits:
            need = (f"it needs {self.min_gpus} x {self.gpu}" if self.plan is not None
                    else f"not even {self.max_gpus} x {self.gpu} hold it")
            out.append(f"the workload does not fit on {self._where()}: {need}")
        return tuple(out)

    def _first_line(self) -> str:
        each = "" if self.tensor_parallel == 1 else " each"
        usable = f"{format_bytes(self.usable, 'GiB')} usable{each}"
        p = self.pool
        if p is None and self.fits:
            return f"✓ Fits on {self._where()} ({usable}): {format_bytes(self.headroom, 'GiB')} to spare{each}."
        if p is None:
            return f"✗ Does not fit on {self._where()} ({usable}): short by {format_bytes(-self.headroom, 'GiB')}{each}."
        if p.kv_bytes <= 0:
            return (f"✗ vLLM would not start on {self._where()}: weights and overhead need "
                    f"{format_bytes(p.non_kv, 'GiB')} of the {format_bytes(p.requested, 'GiB')} it may use "
                    f"(gpu_memory_utilization {p.gpu_memory_utilization:.2f}).")
        held = (f"its KV pool of {format_bytes(p.kv_bytes, 'GiB')} holds {p.tokens:,} tokens, "
                f"{p.max_concurrency:.2f} requests of {p.max_model_len:,} tokens")
        mark = "✓ vLLM starts" if self.fits else "✗ vLLM is short"
        return f"{mark} on {self._where()}: {held} ({self.estimate.concurrency:,} wanted)."

    def verdict(self) -> str:
        """One to three lines: whether it fits, by how much, how many GPUs it needs, how far it grows."""
        p, where = self.plan, self._where()
        if p is None:
            more = f"Not even {self.max_gpus} x {self.gpu} with tensor parallelism hold it."
        elif p.tensor_parallel > self.tensor_parallel:
            more = f"Needs {p.tensor_parallel} x {self.gpu} with tensor parallelism" + (
                " (vLLM's pool then holds the requests)." if self.pool is not None else
                f": {format_bytes(p.total, 'GiB')} per GPU, {format_bytes(p.headroom, 'GiB')} to spare.")
        elif p.tensor_parallel < self.tensor_parallel:
            more = f"{p.tensor_parallel} x {self.gpu} would do" + (
                "." if self.pool is not None else f": {format_bytes(p.total, 'GiB')} per GPU.")
        else:
            more = ""
        if self.max_context == 0:
            room = f"On {where} not even one token fits: weights and overhead alone are too big."
        else:
            ctx = f"{self.max_context:,} tokens" + (" (model limit)" if self.max_context >= self.context_limit else "")
            room = (f"On {where}: longest context at {self.estimate.concurrency} sequence(s) {ctx}; "
                    f"most sequences at {self.estimate.tokens:,} tokens: {self.max_concurrency:,}.")
        return "\n".join(x for x in (self._first_line(), more, room) if x)

    def __str__(self) -> str:
        return self.verdict()

    def to_dict(self) -> dict[str, Any]:
        """The verdict and every figure as plain JSON-ready values (bytes)."""
        return {"model": self.estimate.model, "gpu": self.gpu, "tensor_parallel": self.tensor_parallel,
                "engine": self.engine, "fits": self.fits, "usable": self.usable, "headroom": self.headroom,
                "min_gpus": self.min_gpus, "max_gpus": self.max_gpus, "max_context": self.max_context,
                "context_limit": self.context_limit, "max_concurrency": self.max_concurrency,
                "per_gpu": None if self.per_gpu is None else self.per_gpu.to_dict(),
                "fewest_gpus": None if self.plan is None else self.plan.to_dict(),
                "estimate": self.estimate.to_dict(), "pool": None if self.pool is None else self.pool.to_dict(),
                "verdict": self.verdict(), "warnings": list(self.warnings)}


def _vllm_holds(pool: Any, concurrency: int) -> bool:
    return pool.kv_bytes > 0 and pool.max_concurrency >= concurrency


def _vllm_pool(m: ModelSpec, g: GPU, t: int, est: Estimate, max_model_len: int) -> Any:
    return kv_pool(m, gpu=g, tensor_parallel=t, weight_dtype=est.weight_dtype, kv_dtype=est.kv_dtype,
                   max_model_len=max_model_len)


def _vllm_fit(m: ModelSpec, g: GPU, t: int, est: Estimate, max_gpus: int, comm_bytes: int, cap: int):
    """(pool, fewest plan, longest context, most sequences) under vLLM's accounting on ``t`` GPUs."""
    pool = _vllm_pool(m, g, t, est, est.tokens)
    fewest = next((_plan(m, est, g, k, comm_bytes) for k in _tp_degrees(m, max_gpus)
                   if _vllm_holds(_vllm_pool(m, g, k, est, est.tokens), est.concurrency)), None)
    longest = _largest(lambda n: _vllm_holds(_vllm_pool(m, g, t, est, n), est.concurrency), 1, cap)
    return pool, fewest, longest, int(pool.max_concurrency) if pool.kv_bytes > 0 else 0


def fit(model: Any, gpu: str | GPU = "H100 80GB", tokens: int = 4096, concurrency: int = 1,
        weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
        tensor_parallel: int = 1, engine: str = "plain", max_gpus: int = DEFAULT_MAX_GPUS,
        framework_bytes: int = DEFAULT_FRAMEWORK_BYTES, comm_bytes: int = TP_COMM_BYTES) -> Fit:
    """Check whether serving ``concurrency`` sequences of ``tokens`` tokens fits on ``gpu``.

    Parameters
    ----------
    model : ModelSpec, preset id, path or dict
    gpu : str or GPU
        A catalog name or alias (:func:`vramlab.list_gpus`), or ``vl.GPU.custom(...)`` for
        any other GPU (a bare number of GiB is refused with that advice).
    tokens, concurrency, weight_dtype, kv_dtype, margin
        As in :func:`vramlab.estimate`.
    tensor_parallel : int
        GPUs the model is split over (default 1).
    engine : {"plain", "vllm"}
        ``"plain"``: the estimate against usable memory; ``"vllm"``: vLLM's start-up
        accounting (:data:`FIT_ENGINES`).
    max_gpus : int
        Largest tensor-parallel size to try (default 8, one node).
    framework_bytes : int
        Framework/CUDA context on each GPU (default 1 GiB).
    comm_bytes : int
        Extra per-GPU memory under tensor parallelism (default
        :data:`vramlab.serving.TP_COMM_BYTES`).

    Returns
    -------
    Fit

    Examples
    --------
    >>> import vramlab as vl
    >>> f = fit("Qwen/Qwen3-8B", "RTX 4090", tokens=32768, concurrency=1, weight_dtype="bf16")
    >>> f.fits, f.headroom == vl.get_gpu("RTX 4090").usable_bytes - f.estimate.total
    (True, True)
    >>> f = fit("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", tokens=8192, weight_dtype="bf16")
    >>> f.fits, f.min_gpus
    (False, 2)
    >>> fit("meta-llama/Llama-3.1-70B-Instruct", "H100", tokens=8192, weight_dtype="bf16", tensor_parallel=2).fits
    True
    >>> fit("Qwen/Qwen3-8B", 24)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: gpu 24 is a number, not a GPU name; for a GPU outside the catalog pass vl.GPU.custom('my GPU', memory='24GiB') (command line: --gpu-memory 24GiB). Valid names: ...
    """
    m = load_model(model)
    g = get_gpu(gpu)
    engine = check_choice("engine", engine, FIT_ENGINES)
    t = check_tensor_parallel(m, tensor_parallel)
    max_gpus = check_int("max_gpus", max_gpus, minimum=1, maximum=4096)
    comm_bytes = check_int("comm_bytes", comm_bytes, minimum=0, maximum=10**15)
    est = estimate(m, tokens, concurrency, weight_dtype, kv_dtype, margin, framework_bytes=framework_bytes)
    per_gpu = _plan(m, est, g, t, comm_bytes)
    cap = _context_cap(m, None)
    if engine == "vllm":
        pool, fewest, longest, most = _vllm_fit(m, g, t, est, max_gpus, comm_bytes, cap)
    else:
        w = _Workload(m, g, t, est.weight_dtype, est.kv_dtype, margin, framework_bytes, comm_bytes)
        pool, fewest = None, _fewest(m, est, g, max_gpus, comm_bytes)
        longest, most = _max_context(w, est.concurrency, cap), _max_concurrency(w, est.tokens, 10**6)
    return Fit(estimate=est, gpu=g.name, usable=g.usable_bytes, headroom=per_gpu.headroom, plan=fewest,
               max_gpus=max_gpus, max_context=longest, context_limit=cap, max_concurrency=most,
               tensor_parallel=t, per_gpu=per_gpu, engine=engine, pool=pool)


@dataclass(frozen=True)
class FitMap:
    """Headroom on one GPU over a grid of contexts x concurrencies.

    ``headroom[i][j]`` is for ``concurrencies[i]`` sequences of ``contexts[j]`` tokens.
    """

    model: str
    gpu: str
    tensor_parallel: int
    contexts: tuple[int, ...]
    concurrencies: tuple[int, ...]
    headroom: tuple[tuple[int, ...], ...]

    @property
    def fits(self) -> tuple[tuple[bool, ...], ...]:
        """True where the workload fits."""
        return tuple(tuple(h >= 0 for h in row) for row in self.headroom)


#: Default grid of the fit map: 1k to 128k tokens, 1 to 256 sequences (powers of two).
MAP_CONTEXTS = tuple(2**k for k in range(10, 18))
MAP_CONCURRENCIES = tuple(2**k for k in range(0, 9))


def _grid(name: str, values: Any, check) -> tuple[int, ...]:
    return check_items(f"{name}s", values, lambda v: check(name, v))


def fit_map(model: Any, gpu: str | GPU, contexts=MAP_CONTEXTS, concurrencies=MAP_CONCURRENCIES,
            weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
            tensor_parallel: int = 1, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
            comm_bytes: int = TP_COMM_BYTES) -> FitMap:
    """Headroom for every (concurrency, context) pair of a grid.

    >>> fm = fit_map("Qwen/Qwen3-8B", "RTX 4090", contexts=(4096, 131072), concurrencies=(1, 64),
    ...              weight_dtype="bf16")
    >>> fm.fits
    ((True, False), (False, False))
    """
    w = _workload(model, gpu, tensor_parallel, weight_dtype, kv_dtype, margin, framework_bytes, comm_bytes)
    contexts = _grid("context", contexts, check_tokens)
    concurrencies = _grid("concurrency", concurrencies, check_concurrency)
    rows = tuple(tuple(w.plan(t, c).headroom for t in contexts) for c in concurrencies)
    return FitMap(model=w.m.name, gpu=w.gpu.name, tensor_parallel=w.tensor_parallel, contexts=contexts,
                  concurrencies=concurrencies, headroom=rows)


def kv_overtakes_weights(model: Any, tokens: int, kv_dtype: str = "auto", weight_dtype: str = "auto") -> int:
    """The smallest number of concurrent sequences of ``tokens`` tokens whose KV cache
    takes at least as much memory as the weights.

    >>> kv_overtakes_weights("Qwen/Qwen3-8B", 4096, "bf16", "bf16")
    28
    """
    m = load_model(model)
    per_seq = kv_cache_bytes(m, tokens, 1, kv_dtype)
    if per_seq <= 0:
        raise VramlabError(f"{m.name} keeps no KV cache or state per sequence, so it never overtakes the weights",
                           field="model")
    return -(-weights_bytes(m, weight_dtype) // per_seq)


def cache_crossover(model: Any, other: Any, kv_dtype: str = "auto", state_dtype: str = "auto",
                    max_tokens: int = 10**7) -> int | None:
    """The shortest context from which ``model``'s cache per sequence stays below ``other``'s.

    The cache is :func:`vramlab.kv_cache_bytes` (K/V of the attention layers + the fixed state of
    linear-attention layers); the answer is the smallest ``T`` with model < other at every context
    from ``T`` to ``max_tokens``, or None when ``model`` is not smaller at ``max_tokens``. Exact: each
    cache is linear in ``T`` between the sliding windows, so the difference is checked at every
    window and bisected inside the last segment where it changes sign. Concurrency scales both
    caches alike and does not move the crossover.

    >>> cache_crossover("Qwen/Qwen3-Next-80B-A3B-Instruct", "Qwen/Qwen3-32B", "bf16")   # 77,856,768 / 237,568 = 327.7
    328
    >>> cache_crossover("Qwen/Qwen3-32B", "Qwen/Qwen3-Next-80B-A3B-Instruct", "bf16") is None
    True
    """
    a, b = load_model(model), load_model(other)
    max_tokens = check_tokens("max_tokens", max_tokens)

    def diff(t: int) -> int:
        return kv_cache_bytes(a, t, 1, kv_dtype, state_dtype) - kv_cache_bytes(b, t, 1, kv_dtype, state_dtype)

    kinks = {la.window for la in a.layers + b.layers if la.is_attention and la.window}
    points = sorted({1, max_tokens} | {w for w in kinks if w < max_tokens})
    if diff(max_tokens) >= 0:
        return None
    for lo, hi in zip(points[-2::-1], points[:0:-1]):   # segments from the longest context down
        if diff(lo) < 0:
            continue
        while hi - lo > 1:   # diff(lo) >= 0 > diff(hi), linear in between
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if diff(mid) >= 0 else (lo, mid)
        return hi
    return 1
