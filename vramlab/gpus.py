"""GPU catalog: memory as sold and memory the driver reports as usable.

"Memory as sold" is the marketing figure; NVIDIA and AMD sell "80GB" cards whose memory is
80 GiB of HBM, of which the driver reports a little less as total (ECC/reserved regions):
an H100 80GB reports 79.19 GiB to vLLM and an RTX 3090 23.58 GiB (vLLM start-up logs in
``shared/data/vllm_logs_calibration.csv``). Where no measurement is known, ``usable``
is estimated as ``DEFAULT_USABLE_FRACTION`` of the physical memory and flagged.

>>> from vramlab.gpus import get_gpu
>>> g = get_gpu("H100 80GB")
>>> round(g.usable_bytes / 2**30, 2)
79.19

Fit checks (:func:`fit`) split a serving estimate (:func:`vramlab.estimate`) over tensor-parallel
GPUs and compare each GPU's share with its usable memory.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import VramlabError, check_int
from .memory import DEFAULT_FRAMEWORK_BYTES, Estimate, estimate
from .presets import load_model
from .units import GiB, format_bytes, from_unit

__all__ = [
    "GPU", "GPUS", "get_gpu", "list_gpus", "DEFAULT_USABLE_FRACTION", "DEFAULT_TP_COMM_BYTES",
    "DEFAULT_MAX_GPUS", "GPUPlan", "Fit", "FitMap", "tp_degrees", "plan_on", "min_gpus",
    "max_context", "max_concurrency", "fit", "fit_map", "MAP_CONTEXTS", "MAP_CONCURRENCIES",
    "fit_table", "precision_table", "PRECISION_OPTIONS", "per_gpu_formula",
]

#: Share of physical memory reported as usable when no measurement is known
#: (H100: 79.19/80 = 0.990; RTX 3090: 23.58/24 = 0.9825).
DEFAULT_USABLE_FRACTION = 0.985


@dataclass(frozen=True)
class GPU:
    """One accelerator.

    Attributes
    ----------
    name : str
        Catalog name, e.g. ``"H100 80GB"``.
    vendor : str
    memory_as_sold : str
        The figure on the box, e.g. ``"80 GB"``.
    physical_bytes : int
        Memory on the card, in bytes.
    measured_usable_bytes : int or None
        Total memory the driver reports (``torch.cuda.mem_get_info()[1]``), where measured.
    source : str
        Where the figures come from.
    memory_bandwidth : int or None
        Peak memory bandwidth in bytes/s (datasheet; 1 TB/s = 10**12 bytes/s).
    bf16_flops : int or None
        Dense (no 2:4 sparsity) peak 16-bit tensor FLOP/s: bf16 with fp32 accumulate, or fp16
        on a GPU without bf16 (T4).
    fp8_flops : int or None
        Dense peak fp8 tensor FLOP/s; None where the GPU has no fp8 tensor cores.
    speed_source : str
        Where bandwidth and FLOP/s come from.
    """

    name: str
    vendor: str
    memory_as_sold: str
    physical_bytes: int
    measured_usable_bytes: int | None
    source: str
    aliases: tuple[str, ...] = ()
    memory_bandwidth: int | None = None
    bf16_flops: int | None = None
    fp8_flops: int | None = None
    speed_source: str = ""

    @property
    def usable_bytes(self) -> int:
        """Measured usable memory, or ``DEFAULT_USABLE_FRACTION`` of the physical memory."""
        if self.measured_usable_bytes is not None:
            return self.measured_usable_bytes
        return int(self.physical_bytes * DEFAULT_USABLE_FRACTION)

    @property
    def usable_is_measured(self) -> bool:
        """True when ``usable_bytes`` comes from a real log, not the default fraction."""
        return self.measured_usable_bytes is not None


_VLLM = "vLLM start-up log (vramlab/data/vllm_logs_calibration.csv)"
_SMI = "nvidia-smi memory.total as printed on public machines"

GPUS: dict[str, GPU] = {
    g.name: g
    for g in [
        GPU("RTX 3090", "NVIDIA", "24 GB GDDR6X", 24 * GiB, from_unit(23.58, "GiB"),
            f"NVIDIA GeForce RTX 3090 spec (24 GB GDDR6X); usable 23.58 GiB: {_VLLM}, rows 1-2 "
            "(github.com/vllm-project/vllm/issues/10517)", ("3090",),
            memory_bandwidth=936 * 10**9, bf16_flops=71 * 10**12, fp8_flops=None,
            speed_source="NVIDIA Ampere GA102 GPU architecture whitepaper: 936 GB/s; BF16 tensor with FP32 "
                         "accumulate 71 TFLOPS dense (142 with sparsity); no FP8"),
        GPU("RTX 4090", "NVIDIA", "24 GB GDDR6X", 24 * GiB, None,
            "NVIDIA GeForce RTX 4090 spec (24 GB GDDR6X); nvidia-smi total 24,564 MiB "
            "(github.com/vllm-project/vllm/issues/7768)", ("4090",),
            memory_bandwidth=1008 * 10**9, bf16_flops=165_200 * 10**9, fp8_flops=660_600 * 10**9,
            speed_source="NVIDIA Ada GPU architecture whitepaper (RTX 4090): 1,008 GB/s; BF16 tensor with FP32 "
                         "accumulate 165.2 TFLOPS dense; FP8 tensor 660.6 TFLOPS dense (1,321.2 with sparsity)"),
        GPU("RTX 5090", "NVIDIA", "32 GB GDDR7", 32 * GiB, None, "NVIDIA GeForce RTX 5090 spec (32 GB GDDR7)", ("5090",),
            memory_bandwidth=1792 * 10**9, bf16_flops=209_500 * 10**9, fp8_flops=838_400 * 10**9,
            speed_source="NVIDIA RTX Blackwell GPU architecture whitepaper (RTX 5090): 1,792 GB/s; BF16 tensor "
                         "with FP32 accumulate 209.5 TFLOPS dense; FP8 838.4 TFLOPS dense (1,676.8 with sparsity)"),
        GPU("RTX A6000", "NVIDIA", "48 GB GDDR6", 48 * GiB, None, "NVIDIA RTX A6000 datasheet (48 GB GDDR6 with ECC)", ("A6000",),
            memory_bandwidth=768 * 10**9, bf16_flops=154_800 * 10**9, fp8_flops=None,
            speed_source="NVIDIA RTX A6000 datasheet: 768 GB/s; tensor 309.7 TFLOPS with sparsity, so 154.8 "
                         "dense; no FP8"),
        GPU("L40S", "NVIDIA", "48 GB GDDR6", 48 * GiB, None, "NVIDIA L40S datasheet (48 GB GDDR6 with ECC)",
            memory_bandwidth=864 * 10**9, bf16_flops=362_050 * 10**9, fp8_flops=733_000 * 10**9,
            speed_source="NVIDIA L40S datasheet: 864 GB/s; BF16 tensor 362.05 TFLOPS dense (733 with sparsity); "
                         "FP8 733 TFLOPS dense (1,466 with sparsity)"),
        GPU("T4", "NVIDIA", "16 GB GDDR6", 16 * GiB, None, "NVIDIA T4 datasheet (16 GB GDDR6)",
            memory_bandwidth=320 * 10**9, bf16_flops=65 * 10**12, fp8_flops=None,
            speed_source="NVIDIA T4 datasheet: 320 GB/s; mixed-precision FP16/FP32 tensor 65 TFLOPS (Turing has "
                         "no BF16: the 16-bit figure is FP16); no FP8"),
        GPU("A10", "NVIDIA", "24 GB GDDR6", 24 * GiB, None, "NVIDIA A10 datasheet (24 GB GDDR6)",
            memory_bandwidth=600 * 10**9, bf16_flops=125 * 10**12, fp8_flops=None,
            speed_source="NVIDIA A10 datasheet: 600 GB/s; BF16 tensor 125 TFLOPS dense (250 with sparsity); no FP8"),
        GPU("L4", "NVIDIA", "24 GB GDDR6", 24 * GiB, None, "NVIDIA L4 datasheet (24 GB GDDR6)",
            memory_bandwidth=300 * 10**9, bf16_flops=121 * 10**12, fp8_flops=242_500 * 10**9,
            speed_source="NVIDIA L4 datasheet: 300 GB/s; BF16 tensor 242 TFLOPS and FP8 485 TFLOPS with "
                         "sparsity, so 121 and 242.5 dense"),
        GPU("A100 40GB", "NVIDIA", "40 GB HBM2", 40 * GiB, None, "NVIDIA A100 datasheet (40 GB HBM2)",
            memory_bandwidth=1555 * 10**9, bf16_flops=312 * 10**12, fp8_flops=None,
            speed_source="NVIDIA A100 datasheet: 40GB 1,555 GB/s; BF16 tensor 312 TFLOPS dense (624 with "
                         "sparsity); no FP8"),
        GPU("A100 80GB", "NVIDIA", "80 GB HBM2e", 80 * GiB, None, "NVIDIA A100 datasheet (80 GB HBM2e)", ("A100",),
            memory_bandwidth=2039 * 10**9, bf16_flops=312 * 10**12, fp8_flops=None,
            speed_source="NVIDIA A100 datasheet: 80GB SXM 2,039 GB/s (80GB PCIe 1,935 GB/s: the SXM figure "
                         "bounds both); BF16 tensor 312 TFLOPS dense (624 with sparsity); no FP8"),
        GPU("H100 80GB", "NVIDIA", "80 GB HBM3", 80 * GiB, from_unit(79.19, "GiB"),
            f"NVIDIA H100 SXM datasheet (80 GB HBM3); nvidia-smi total 81,559 MiB ({_SMI}); "
            f"usable 79.19 GiB: {_VLLM}, rows 22-43 (llm-d-incubation/llm-d-planner, vLLM v0.19.0 logs "
            "named 'H100 80GB')", ("H100", "H100 SXM", "H100 SXM 80GB"),
            memory_bandwidth=3350 * 10**9, bf16_flops=989_400 * 10**9, fp8_flops=1_978_900 * 10**9,
            speed_source="NVIDIA H100 datasheet, SXM: 3.35 TB/s; BF16 tensor 1,979 TFLOPS and FP8 3,958 "
                         "TFLOPS with sparsity, so 989.4 and 1,978.9 dense (Hopper whitepaper)"),
        GPU("H100 PCIe", "NVIDIA", "80 GB HBM2e", 80 * GiB, None, "NVIDIA H100 PCIe datasheet (80 GB HBM2e)",
            memory_bandwidth=2000 * 10**9, bf16_flops=756_500 * 10**9, fp8_flops=1_513_000 * 10**9,
            speed_source="NVIDIA H100 datasheet, PCIe: 2 TB/s; BF16 tensor 1,513 TFLOPS and FP8 3,026 TFLOPS "
                         "with sparsity, so 756.5 and 1,513 dense"),
        GPU("H200", "NVIDIA", "141 GB HBM3e", 141 * GiB, None,
            f"NVIDIA H200 datasheet ('141GB' HBM3e); nvidia-smi total 143,771 MiB = 140.4 GiB ({_SMI}), "
            "so the box figure is close to 141 GiB, not 141 x 10^9 bytes", ("H200 SXM",),
            memory_bandwidth=4800 * 10**9, bf16_flops=989_400 * 10**9, fp8_flops=1_978_900 * 10**9,
            speed_source="NVIDIA H200 datasheet, SXM: 4.8 TB/s; BF16 tensor 1,979 TFLOPS and FP8 3,958 TFLOPS "
                         "with sparsity, so 989.4 and 1,978.9 dense (the H100 SXM's compute)"),
        GPU("B200", "NVIDIA", "180 GB HBM3e", 180 * GiB, None,
            f"NVIDIA DGX B200 datasheet (1,440 GB for 8 GPUs); nvidia-smi total 183,359 MiB = 179.1 GiB "
            f"({_SMI}), so close to 180 GiB",
            memory_bandwidth=8000 * 10**9, bf16_flops=2_250 * 10**12, fp8_flops=4_500 * 10**12,
            speed_source="NVIDIA DGX B200 datasheet: 64 TB/s HBM3e for 8 GPUs (8 TB/s each), FP8 72 PFLOPS "
                         "training for 8 GPUs with sparsity (4.5 PFLOPS dense each); BF16 half of FP8: 2.25 "
                         "PFLOPS dense"),
        GPU("MI300X", "AMD", "192 GB HBM3", 192 * GiB, None, "AMD Instinct MI300X datasheet (192 GB HBM3)",
            memory_bandwidth=5300 * 10**9, bf16_flops=1_307_400 * 10**9, fp8_flops=2_614_900 * 10**9,
            speed_source="AMD Instinct MI300X datasheet: 5.3 TB/s; BF16 1,307.4 TFLOPS and FP8 2,614.9 TFLOPS "
                         "dense (twice that with sparsity)"),
        GPU("Gaudi 3", "Intel", "128 GB HBM2e", 128 * GiB, None, "Intel Gaudi 3 AI accelerator white paper (128 GB HBM2e)",
            memory_bandwidth=3700 * 10**9, bf16_flops=1_835 * 10**12, fp8_flops=1_835 * 10**12,
            speed_source="Intel Gaudi 3 AI accelerator white paper: 3.7 TB/s; matrix engines 1,835 TFLOPS in "
                         "BF16 and in FP8 (no sparsity)"),
    ]
}


def list_gpus() -> list[str]:
    """Catalog names.

    >>> "RTX 3090" in list_gpus()
    True
    """
    return list(GPUS)


def get_gpu(name: str | GPU) -> GPU:
    """Look up a GPU by name or alias (case-insensitive).

    >>> get_gpu("h100").name
    'H100 80GB'
    >>> get_gpu("H800")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: gpu 'H800' is unknown; closest: H200, B200, H100 PCIe. Valid: RTX 3090, RTX 4090, RTX 5090, RTX A6000, L40S, T4, A10, L4, A100 40GB, A100 80GB, H100 80GB, H100 PCIe, H200, B200, MI300X, Gaudi 3
    """
    if isinstance(name, GPU):
        return name
    key = str(name).strip().lower()
    for g in GPUS.values():
        if key == g.name.lower() or key in (a.lower() for a in g.aliases):
            return g
    close = difflib.get_close_matches(str(name), list(GPUS), n=3, cutoff=0.3)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise VramlabError(f"gpu {name!r} is unknown{hint}. Valid: {', '.join(GPUS)}", field="gpu")


# --------------------------------------------------------------------------------------
# Fit checks
# --------------------------------------------------------------------------------------

#: Extra memory on each GPU under tensor parallelism (NCCL buffers, custom all-reduce):
#: vLLM v0.19.0 logs Llama-3.1-8B on H100 80GB with 0.25 GiB outside torch at TP=1 and
#: 2.07 GiB at TP=2 (calibration CSV rows 22 and 24), so 1.82 GiB per GPU.
DEFAULT_TP_COMM_BYTES = round(Fraction("1.82") * GiB)

#: Tensor parallelism usually stays inside one node of 8 GPUs.
DEFAULT_MAX_GPUS = 8


@dataclass(frozen=True)
class GPUPlan:
    """Memory on each GPU when a model is served with ``tensor_parallel`` GPUs.

    Weights are split evenly; each GPU caches ``max(1, kv_heads // tensor_parallel)`` KV
    heads (MLA's shared latent and MQA's single head are replicated on every GPU);
    activations and the framework/CUDA context are counted whole on every GPU, and
    ``communication`` is the extra per-GPU buffer of tensor parallelism.
    ``margin`` is the margin fraction of the rest, as in :func:`vramlab.estimate`.

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


def _kv_heads(m) -> int:
    """KV heads that tensor parallelism splits (1 for MLA: the latent is replicated)."""
    return 1 if m.attention_kind == "MLA" else m.num_kv_heads


def tp_degrees(model: Any, max_gpus: int = DEFAULT_MAX_GPUS) -> list[int]:
    """Tensor-parallel sizes a model allows, up to ``max_gpus``.

    The size must divide the attention (query) heads, and the KV heads must split evenly
    or be replicated evenly (``kv_heads % tp == 0`` or ``tp % kv_heads == 0``, as vLLM
    checks).

    >>> tp_degrees("Qwen/QwQ-32B")        # 40 query heads, 8 KV heads
    [1, 2, 4, 8]
    >>> tp_degrees("tiiuae/falcon-7b")    # 71 heads: no split at all
    [1]
    """
    m = load_model(model)
    max_gpus = check_int("max_gpus", max_gpus, minimum=1, maximum=4096)
    kv = _kv_heads(m)
    return [t for t in range(1, max_gpus + 1)
            if m.num_q_heads % t == 0 and (kv % t == 0 or t % kv == 0)]


def _plan(m, est: Estimate, g: GPU, t: int, comm_bytes: int) -> GPUPlan:
    kv_total = _kv_heads(m)
    kv_share = max(1, kv_total // t)
    kv = -(-est.kv_cache * kv_share // kv_total)
    w = -(-est.weights // t)
    comm = comm_bytes if t > 1 else 0
    sub = w + kv + est.activations + est.framework + comm
    return GPUPlan(gpu=g.name, tensor_parallel=t, weights=w, kv_cache=kv, activations=est.activations,
                   framework=est.framework, communication=comm,
                   margin=round(sub * Fraction(est.margin_fraction)), usable=g.usable_bytes)


def plan_on(model: Any, gpu: str | GPU, tensor_parallel: int = 1, tokens: int = 4096, concurrency: int = 1,
            weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
            framework_bytes: int = DEFAULT_FRAMEWORK_BYTES, comm_bytes: int = DEFAULT_TP_COMM_BYTES) -> GPUPlan:
    """Memory on each GPU with ``tensor_parallel`` GPUs (see :class:`GPUPlan`).

    With one GPU the total is exactly :func:`vramlab.estimate`'s total.

    Examples
    --------
    >>> import vramlab as vl
    >>> p = plan_on("Qwen/Qwen3-8B", "RTX 4090", tokens=8192, concurrency=4)
    >>> p.total == vl.estimate("Qwen/Qwen3-8B", tokens=8192, concurrency=4).total
    True
    """
    m = load_model(model)
    g = get_gpu(gpu)
    t = check_int("tensor_parallel", tensor_parallel, minimum=1, maximum=4096)
    comm_bytes = check_int("comm_bytes", comm_bytes, minimum=0, maximum=10**15)
    allowed = tp_degrees(m, max(t, 1))
    if t not in allowed:
        raise VramlabError(
            f"tensor_parallel {t} does not split {m.name}: {m.num_q_heads} attention heads and "
            f"{_kv_heads(m)} KV heads; valid up to {t}: {', '.join(map(str, allowed))}",
            field="tensor_parallel",
        )
    est = estimate(m, tokens, concurrency, weight_dtype, kv_dtype, margin, framework_bytes=framework_bytes)
    return _plan(m, est, g, t, comm_bytes)


def min_gpus(model: Any, gpu: str | GPU, tokens: int = 4096, concurrency: int = 1,
             weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
             max_gpus: int = DEFAULT_MAX_GPUS, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
             comm_bytes: int = DEFAULT_TP_COMM_BYTES) -> GPUPlan | None:
    """The placement on the fewest GPUs (tensor parallelism) that fits, or None.

    >>> p = min_gpus("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", tokens=8192, weight_dtype="bf16")
    >>> p.tensor_parallel
    2
    """
    m = load_model(model)
    g = get_gpu(gpu)
    comm_bytes = check_int("comm_bytes", comm_bytes, minimum=0, maximum=10**15)
    est = estimate(m, tokens, concurrency, weight_dtype, kv_dtype, margin, framework_bytes=framework_bytes)
    for t in tp_degrees(m, max_gpus):
        p = _plan(m, est, g, t, comm_bytes)
        if p.fits:
            return p
    return None


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


def _context_cap(m, limit: int | None) -> int:
    if limit is None:
        return int(m.max_position_embeddings or 10**7)
    return check_int("limit", limit, minimum=1, maximum=10**9)


def max_context(model: Any, gpu: str | GPU, concurrency: int = 1, weight_dtype: str | None = "auto",
                kv_dtype: str | None = "auto", margin: float = 0.1, *, tensor_parallel: int = 1,
                limit: int | None = None, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
                comm_bytes: int = DEFAULT_TP_COMM_BYTES) -> int:
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
    m = load_model(model)
    g = get_gpu(gpu)
    cap = _context_cap(m, limit)
    return _largest(lambda t: plan_on(m, g, tensor_parallel, t, concurrency, weight_dtype, kv_dtype, margin,
                                      framework_bytes=framework_bytes, comm_bytes=comm_bytes).fits, 1, cap)


def max_concurrency(model: Any, gpu: str | GPU, tokens: int = 4096, weight_dtype: str | None = "auto",
                    kv_dtype: str | None = "auto", margin: float = 0.1, *, tensor_parallel: int = 1,
                    limit: int = 10**6, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
                    comm_bytes: int = DEFAULT_TP_COMM_BYTES) -> int:
    """Most sequences of ``tokens`` tokens held at once (0 when not even one fits).

    >>> n = max_concurrency("Qwen/Qwen3-8B", "H100 80GB", tokens=32768, weight_dtype="bf16")
    >>> ok = lambda c: plan_on("Qwen/Qwen3-8B", "H100 80GB", 1, 32768, c, "bf16").fits
    >>> ok(n), ok(n + 1)
    (True, False)
    """
    m = load_model(model)
    g = get_gpu(gpu)
    limit = check_int("limit", limit, minimum=1, maximum=10**7)
    return _largest(lambda c: plan_on(m, g, tensor_parallel, tokens, c, weight_dtype, kv_dtype, margin,
                                      framework_bytes=framework_bytes, comm_bytes=comm_bytes).fits, 1, limit)


@dataclass(frozen=True)
class Fit:
    """Does a workload fit on a GPU, by how much, and on how many GPUs.

    Attributes
    ----------
    estimate : Estimate
        The single-GPU estimate (:func:`vramlab.estimate`).
    gpu : str
    usable : int
        Usable bytes of one GPU.
    headroom : int
        ``usable - estimate.total``: spare bytes on one GPU, negative when short.
    plan : GPUPlan or None
        Per-GPU memory on the fewest GPUs that fit (tensor parallelism), None when even
        ``max_gpus`` GPUs are not enough.
    max_gpus : int
        The largest tensor-parallel size tried.
    max_context : int
        Longest context at this concurrency on one GPU (capped at ``context_limit``).
    context_limit : int
        The model's ``max_position_embeddings`` (the search cap of ``max_context``).
    max_concurrency : int
        Most sequences at this context on one GPU.
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

    @property
    def fits(self) -> bool:
        """True when the workload fits on one GPU."""
        return self.headroom >= 0

    @property
    def min_gpus(self) -> int | None:
        """Fewest GPUs with tensor parallelism (None: more than ``max_gpus``)."""
        return None if self.plan is None else self.plan.tensor_parallel

    def verdict(self) -> str:
        """One or two lines saying whether it fits, by how much, and how many GPUs it needs."""
        usable = format_bytes(self.usable, "GiB")
        if self.fits:
            first = f"✓ Fits on one {self.gpu} ({usable} usable): {format_bytes(self.headroom, 'GiB')} to spare."
        else:
            first = f"✗ Does not fit on one {self.gpu} ({usable} usable): short by {format_bytes(-self.headroom, 'GiB')}."
        if self.plan is None:
            more = f"Not even {self.max_gpus} x {self.gpu} with tensor parallelism hold it."
        elif self.plan.tensor_parallel > 1:
            p = self.plan
            more = (f"Needs {p.tensor_parallel} x {self.gpu} with tensor parallelism: "
                    f"{format_bytes(p.total, 'GiB')} per GPU, {format_bytes(p.headroom, 'GiB')} to spare.")
        else:
            more = ""
        if self.max_context == 0:
            room = f"On one {self.gpu} not even one token fits: weights and overhead alone are too big."
        else:
            ctx = f"{self.max_context:,} tokens" + (" (model limit)" if self.max_context >= self.context_limit else "")
            room = (f"On one {self.gpu}: longest context at {self.estimate.concurrency} sequence(s) {ctx}; "
                    f"most sequences at {self.estimate.tokens:,} tokens: {self.max_concurrency:,}.")
        return "\n".join(x for x in (first, more, room) if x)

    def __str__(self) -> str:
        return self.verdict()


def fit(model: Any, gpu: str | GPU = "H100 80GB", tokens: int = 4096, concurrency: int = 1,
        weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
        max_gpus: int = DEFAULT_MAX_GPUS, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
        comm_bytes: int = DEFAULT_TP_COMM_BYTES) -> Fit:
    """Check whether serving ``concurrency`` sequences of ``tokens`` tokens fits on ``gpu``.

    Parameters
    ----------
    model : ModelSpec, preset id, path or dict
    gpu : str or GPU
        A catalog name or alias (:func:`list_gpus`).
    tokens, concurrency, weight_dtype, kv_dtype, margin
        As in :func:`vramlab.estimate`.
    max_gpus : int
        Largest tensor-parallel size to try (default 8, one node).
    framework_bytes : int
        Framework/CUDA context on each GPU (default 1 GiB).
    comm_bytes : int
        Extra per-GPU memory under tensor parallelism (default ``DEFAULT_TP_COMM_BYTES``).

    Returns
    -------
    Fit

    Examples
    --------
    >>> import vramlab as vl
    >>> f = fit("Qwen/Qwen3-8B", "RTX 4090", tokens=32768, concurrency=1, weight_dtype="bf16")
    >>> f.fits, f.headroom == get_gpu("RTX 4090").usable_bytes - f.estimate.total
    (True, True)
    >>> f = fit("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", tokens=8192, weight_dtype="bf16")
    >>> f.fits, f.min_gpus
    (False, 2)
    """
    m = load_model(model)
    g = get_gpu(gpu)
    comm_bytes = check_int("comm_bytes", comm_bytes, minimum=0, maximum=10**15)
    est = estimate(m, tokens, concurrency, weight_dtype, kv_dtype, margin, framework_bytes=framework_bytes)
    plan = None
    for t in tp_degrees(m, max_gpus):
        p = _plan(m, est, g, t, comm_bytes)
        if p.fits:
            plan = p
            break
    kw = dict(weight_dtype=est.weight_dtype, kv_dtype=est.kv_dtype, margin=margin,
              framework_bytes=framework_bytes, comm_bytes=comm_bytes)
    cap = _context_cap(m, None)
    return Fit(
        estimate=est, gpu=g.name, usable=g.usable_bytes, headroom=g.usable_bytes - est.total, plan=plan,
        max_gpus=max_gpus, max_context=max_context(m, g, est.concurrency, limit=cap, **kw), context_limit=cap,
        max_concurrency=max_concurrency(m, g, est.tokens, **kw),
    )


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


def fit_map(model: Any, gpu: str | GPU, contexts=MAP_CONTEXTS, concurrencies=MAP_CONCURRENCIES,
            weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
            tensor_parallel: int = 1, framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
            comm_bytes: int = DEFAULT_TP_COMM_BYTES) -> FitMap:
    """Headroom for every (concurrency, context) pair of a grid.

    >>> fm = fit_map("Qwen/Qwen3-8B", "RTX 4090", contexts=(4096, 131072), concurrencies=(1, 64),
    ...              weight_dtype="bf16")
    >>> fm.fits
    ((True, False), (False, False))
    """
    m = load_model(model)
    g = get_gpu(gpu)
    contexts = tuple(check_int("context", c, minimum=1, maximum=10**9) for c in contexts)
    concurrencies = tuple(check_int("concurrency", c, minimum=1, maximum=10**7) for c in concurrencies)
    rows = tuple(
        tuple(plan_on(m, g, tensor_parallel, t, c, weight_dtype, kv_dtype, margin, framework_bytes=framework_bytes,
                      comm_bytes=comm_bytes).headroom for t in contexts)
        for c in concurrencies
    )
    return FitMap(model=m.name, gpu=g.name, tensor_parallel=tensor_parallel, contexts=contexts,
                  concurrencies=concurrencies, headroom=rows)


def fit_table(model: Any, gpus: list[str] | None = None, tokens: int = 4096, concurrency: int = 1,
              weight_dtype: str | None = "auto", kv_dtype: str | None = "auto", margin: float = 0.1, *,
              max_gpus: int = DEFAULT_MAX_GPUS):
    """One row per GPU: usable memory, headroom on one GPU, fewest GPUs, longest context, most sequences.

    Returns a pandas DataFrame; memory in GiB (rounded to 0.01), ``usable measured`` says
    whether the usable figure comes from a vLLM log.

    >>> t = fit_table("Qwen/Qwen3-8B", ["RTX 4090", "H100 80GB"], tokens=32768)
    >>> t["fewest GPUs"].tolist()
    [1, 1]
    """
    import pandas as pd

    rows = []
    for name in gpus if gpus is not None else list_gpus():
        f = fit(model, name, tokens, concurrency, weight_dtype, kv_dtype, margin, max_gpus=max_gpus)
        g = get_gpu(name)
        rows.append({
            "GPU": g.name, "usable (GiB)": round(f.usable / GiB, 2), "usable measured": g.usable_is_measured,
            "headroom on one (GiB)": round(f.headroom / GiB, 2), "fits on one": f.fits,
            "fewest GPUs": f.min_gpus if f.min_gpus is not None else f">{max_gpus}",
            "longest context": f.max_context, "most sequences": f.max_concurrency,
        })
    return pd.DataFrame(rows)


#: Weight / KV precision pairs compared by :func:`precision_table`.
PRECISION_OPTIONS = (("bf16", "bf16"), ("bf16", "fp8"), ("int4", "bf16"), ("int4", "fp8"))


def precision_table(model: Any, gpu: str | GPU, tokens: int = 4096, concurrency: int = 1,
                    options=PRECISION_OPTIONS, margin: float = 0.1):
    """What FP8 KV and 4-bit weights buy: one row per (weight, KV) precision pair.

    Returns a pandas DataFrame with weights, KV cache and total in GiB, the headroom on one
    GPU, the fewest GPUs, the longest context and the most sequences.

    >>> t = precision_table("Qwen/Qwen3-8B", "RTX 4090", tokens=32768)
    >>> t["KV cache (GiB)"].tolist()
    [4.5, 2.25, 4.5, 2.25]
    """
    import pandas as pd

    rows = []
    for w, kv in options:
        f = fit(model, gpu, tokens, concurrency, w, kv, margin)
        e = f.estimate
        rows.append({
            "weights": e.weight_dtype, "KV": e.kv_dtype, "weights (GiB)": round(e.weights / GiB, 2),
            "KV cache (GiB)": round(e.kv_cache / GiB, 2), "total (GiB)": round(e.total / GiB, 2),
            "headroom (GiB)": round(f.headroom / GiB, 2),
            "fewest GPUs": f.min_gpus if f.min_gpus is not None else f">{f.max_gpus}",
            "longest context": f.max_context, "most sequences": f.max_concurrency,
        })
    return pd.DataFrame(rows)


def per_gpu_formula():
    """The per-GPU memory under tensor parallelism as a sympy equation.

    ``M_gpu = (ceil(M_w / t) + ceil(M_KV * max(1, floor(H_kv / t)) / H_kv) + M_act + M_fw + M_comm) * (1 + m)``
    with ``M_comm = 0`` when ``t = 1`` (MLA and MQA: ``H_kv = 1``, the cache is replicated).

    >>> import sympy as sp
    >>> eq = per_gpu_formula()
    >>> s = {x.name: x for x in eq.rhs.free_symbols}
    >>> eq.rhs.subs({s["M_w"]: 16, s["t"]: 2, s["M_KV"]: 8, s["H_kv"]: 8, s["M_act"]: 0, s["M_fw"]: 1,
    ...              s["M_comm"]: 1, s["m"]: sp.Rational(1, 10)})
    77/5
    """
    import sympy as sp

    from .formulas import symbol

    Mw, Mkv, Hkv, Ma, Mf, m = (symbol(n) for n in ("M_w", "M_KV", "H_kv", "M_act", "M_fw", "m"))
    t, Mc = sp.Symbol("t", positive=True, integer=True), sp.Symbol("M_comm", nonnegative=True)
    kv = sp.ceiling(Mkv * sp.Max(1, sp.floor(Hkv / t)) / Hkv)
    return sp.Eq(sp.Symbol("M_gpu"), (sp.ceiling(Mw / t) + kv + Ma + Mf + Mc) * (1 + m), evaluate=False)
