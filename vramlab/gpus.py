"""GPU catalog: memory as sold and memory the driver reports as usable.

"Memory as sold" is the marketing figure; NVIDIA and AMD sell "80GB" cards whose memory is
80 GiB of HBM, of which the driver reports a little less as total (reserved regions):
an H100 80GB reports 79.19 GiB to vLLM and an RTX 3090 23.58 GiB (vLLM start-up logs in
``shared/data/vllm_logs_calibration.csv``). Data-centre cards with GDDR memory (T4, A10/A10G,
L4, L40S) run with ECC on by default, which keeps its check bits in the same memory: the
driver then reports 1/16 less (:data:`ECC_USABLE_FRACTION`). One rule gives the usable memory
everywhere (fit, kv_pool, widgets): the measured figure where a log gave one, else
``physical × ECC_USABLE_FRACTION (ECC on) × DEFAULT_USABLE_FRACTION``, flagged as estimated.

>>> from vramlab.gpus import get_gpu
>>> g = get_gpu("H100 80GB")
>>> round(g.usable_bytes / 2**30, 2)
79.19

What fits on these GPUs, and on how many, is :mod:`vramlab.planning`'s job.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from fractions import Fraction

from .errors import VramlabError, show
from .report import RichDisplay
from .units import GiB, format_bytes, from_unit, parse_size

__all__ = ["GPU", "GPUS", "get_gpu", "list_gpus", "DEFAULT_USABLE_FRACTION", "ECC_USABLE_FRACTION", "PRICE_CLASSES"]

#: Share of physical memory reported as usable when no measurement is known
#: (H100: 79.19/80 = 0.990; RTX 3090: 23.58/24 = 0.9825).
DEFAULT_USABLE_FRACTION = 0.985

#: Share of GDDR memory left when ECC is on: "On GPUs with GDDR memory with ECC enabled the
#: available DRAM is reduced by 6.25% to allow for the storage of ECC bits" (NVIDIA CUDA C++
#: Best Practices Guide, device memory spaces). HBM keeps its ECC bits apart (no loss).
ECC_USABLE_FRACTION = Fraction(15, 16)


@dataclass(frozen=True)
class GPU(RichDisplay):
    """One accelerator (a catalog entry, or :meth:`GPU.custom` for any other).

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
    ecc_default : bool
        GDDR memory with ECC on by default (data-centre cards): 1/16 of it holds check bits.
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
    ecc_default: bool = False

    @property
    def usable_bytes(self) -> int:
        """Measured usable memory, or ``DEFAULT_USABLE_FRACTION`` of the physical memory left
        after ECC (``ECC_USABLE_FRACTION`` when ``ecc_default``).

        >>> round(get_gpu("L40S").usable_bytes / 2**30, 2), round(get_gpu("L4").usable_bytes / 2**30, 2)
        (44.32, 22.16)
        """
        if self.measured_usable_bytes is not None:
            return self.measured_usable_bytes
        left = self.physical_bytes * ECC_USABLE_FRACTION if self.ecc_default else self.physical_bytes
        return int(left * DEFAULT_USABLE_FRACTION)

    @property
    def usable_is_measured(self) -> bool:
        """True when ``usable_bytes`` comes from a real log, not the default fraction."""
        return self.measured_usable_bytes is not None

    @property
    def price_class(self) -> str:
        """The vendor's product line (:data:`PRICE_CLASSES`), "" when unknown (a custom GPU)."""
        return PRICE_CLASSES.get(self.name, "")

    @classmethod
    def custom(cls, name: str | None = None, memory: str | int = "", *, usable: str | int | None = None,
               bandwidth: str | int | None = None, bf16_flops: int | None = None, fp8_flops: int | None = None,
               vendor: str = "custom", like: "GPU | None" = None) -> "GPU":
        """A GPU outside the catalog, from its memory: ``"24GiB"``, ``"80 GB"`` or bytes (an int).

        ``usable`` is the total the driver reports, if known (default: ``DEFAULT_USABLE_FRACTION``
        of ``memory``, flagged as estimated); ``bandwidth`` is bytes/s or text such as
        ``"1008 GB/s"``; ``like`` is a catalog GPU whose vendor, bandwidth and FLOP/s it keeps.

        >>> g = GPU.custom("my card", memory="24GiB", bandwidth="1 TB/s")
        >>> g.physical_bytes == 24 * 2**30, g.usable_is_measured, g.memory_bandwidth
        (True, False, 1000000000000)
        >>> GPU.custom(memory="16GiB", like=get_gpu("RTX 4090")).name
        'RTX 4090 with 16.00 GiB'
        """
        def size(field: str, v: str | int) -> int:
            if isinstance(v, int) and not isinstance(v, bool) and v >= 2**20:
                return v
            if isinstance(v, str) and v.strip():
                return parse_size(v.strip().removesuffix("/s"), field=field)
            raise VramlabError(f"{field} must be a size with its unit such as '24GiB' or '80GB', or bytes as an "
                               f"integer of at least 1 MiB, got {show(v)}", field=field)

        physical = size("memory", memory)
        measured = None if usable is None else size("usable", usable)
        if measured is not None and measured > physical:
            raise VramlabError(f"usable {show(usable)} exceeds memory {show(memory)}", field="usable")
        if like is not None:
            like = get_gpu(like)
            vendor, bandwidth = like.vendor, like.memory_bandwidth if bandwidth is None else bandwidth
            bf16_flops, fp8_flops = bf16_flops or like.bf16_flops, fp8_flops or like.fp8_flops
        gib = format_bytes(physical, "GiB")
        label = name or (f"{like.name} with {gib}" if like is not None else f"custom GPU ({gib})")
        return cls(str(label), str(vendor), f"{gib} (custom)", physical, measured,
                   f"custom: memory {gib} as given" + ("" if measured else
                                                        f"; usable estimated as {DEFAULT_USABLE_FRACTION:.1%}"),
                   memory_bandwidth=None if bandwidth is None else size("bandwidth", bandwidth),
                   bf16_flops=bf16_flops, fp8_flops=fp8_flops, speed_source="custom: as given")


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
        GPU("RTX A6000", "NVIDIA", "48 GB GDDR6", 48 * GiB, None, "NVIDIA RTX A6000 datasheet (48 GB GDDR6 with ECC, off by default on this workstation card: "
            "vLLM logs of 2024 fit 47.5 GiB, calibration rows 3-4)", ("A6000",),
            memory_bandwidth=768 * 10**9, bf16_flops=154_800 * 10**9, fp8_flops=None,
            speed_source="NVIDIA RTX A6000 datasheet: 768 GB/s; tensor 309.7 TFLOPS with sparsity, so 154.8 "
                         "dense; no FP8"),
        GPU("L40S", "NVIDIA", "48 GB GDDR6", 48 * GiB, None,
            "NVIDIA L40S datasheet (48 GB GDDR6 with ECC); ECC on by default: 45 GiB left, about 44.3 usable "
            "(vLLM logs print 44.42 GiB)",
            memory_bandwidth=864 * 10**9, bf16_flops=362_050 * 10**9, fp8_flops=733_000 * 10**9,
            speed_source="NVIDIA L40S datasheet: 864 GB/s; BF16 tensor 362.05 TFLOPS dense (733 with sparsity); "
                         "FP8 733 TFLOPS dense (1,466 with sparsity)", ecc_default=True),
        GPU("T4", "NVIDIA", "16 GB GDDR6", 16 * GiB, None,
            "NVIDIA T4 datasheet (16 GB GDDR6); ECC on by default: nvidia-smi total 15,079 MiB "
            "(forums.developer.nvidia.com/t/nvidia-t4-has-only-15g-of-memory/173099)",
            memory_bandwidth=320 * 10**9, bf16_flops=65 * 10**12, fp8_flops=None,
            speed_source="NVIDIA T4 datasheet: 320 GB/s; mixed-precision FP16/FP32 tensor 65 TFLOPS (Turing has "
                         "no BF16: the 16-bit figure is FP16); no FP8", ecc_default=True),
        GPU("A10", "NVIDIA", "24 GB GDDR6", 24 * GiB, from_unit(21.99, "GiB"),
            "NVIDIA A10 datasheet (24 GB GDDR6); ECC on by default (A10G likewise); usable 21.99 GiB: PyTorch's "
            "'GPU 1 has a total capacity of 21.99 GiB' in a vLLM log of Qwen3-30B-A3B on 4 x A10 "
            "(github.com/QwenLM/Qwen3/issues/1387), the total vLLM's budget starts from",
            memory_bandwidth=600 * 10**9, bf16_flops=125 * 10**12, fp8_flops=None,
            speed_source="NVIDIA A10 datasheet: 600 GB/s; BF16 tensor 125 TFLOPS dense (250 with sparsity); no FP8",
            ecc_default=True),
        GPU("L4", "NVIDIA", "24 GB GDDR6", 24 * GiB, None,
            "NVIDIA L4 datasheet (24 GB GDDR6); ECC on by default: 22.5 GiB left",
            memory_bandwidth=300 * 10**9, bf16_flops=121 * 10**12, fp8_flops=242_500 * 10**9,
            speed_source="NVIDIA L4 datasheet: 300 GB/s; BF16 tensor 242 TFLOPS and FP8 485 TFLOPS with "
                         "sparsity, so 121 and 242.5 dense", ecc_default=True),
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
        GPU("A30", "NVIDIA", "24 GB HBM2", 24 * GiB, None, "NVIDIA A30 datasheet (24 GB HBM2)",
            memory_bandwidth=933 * 10**9, bf16_flops=165 * 10**12, fp8_flops=None,
            speed_source="NVIDIA A30 datasheet: 933 GB/s; BF16 tensor 165 TFLOPS dense (330 with sparsity); no FP8"),
        GPU("A40", "NVIDIA", "48 GB GDDR6", 48 * GiB, None, "NVIDIA A40 datasheet (48 GB GDDR6 with ECC)",
            memory_bandwidth=696 * 10**9, bf16_flops=149_700 * 10**9, fp8_flops=None,
            speed_source="NVIDIA A40 datasheet: 696 GB/s; BF16 tensor 149.7 TFLOPS dense (299.4 with sparsity); "
                         "no FP8"),
        GPU("V100 32GB", "NVIDIA", "32 GB HBM2", 32 * GiB, None, "NVIDIA V100 datasheet (32 GB HBM2, SXM2)", ("V100",),
            memory_bandwidth=900 * 10**9, bf16_flops=125 * 10**12, fp8_flops=None,
            speed_source="NVIDIA V100 datasheet, SXM2: 900 GB/s; tensor 125 TFLOPS (Volta has no BF16: the "
                         "16-bit figure is FP16); no FP8"),
        GPU("RTX 6000 Ada", "NVIDIA", "48 GB GDDR6", 48 * GiB, None,
            "NVIDIA RTX 6000 Ada Generation datasheet (48 GB GDDR6 with ECC)",
            memory_bandwidth=960 * 10**9, bf16_flops=364_200 * 10**9, fp8_flops=728_500 * 10**9,
            speed_source="NVIDIA RTX 6000 Ada datasheet: 960 GB/s; FP8 tensor 1,457 TFLOPS with sparsity, so 728.5 "
                         "dense; BF16 tensor with FP32 accumulate 364.2 TFLOPS dense (Ada GPU architecture "
                         "whitepaper)"),
        GPU("H100 NVL", "NVIDIA", "94 GB HBM3", 94 * GiB, None, "NVIDIA H100 datasheet, NVL (94 GB HBM3)",
            memory_bandwidth=3900 * 10**9, bf16_flops=835_500 * 10**9, fp8_flops=1_670_500 * 10**9,
            speed_source="NVIDIA H100 datasheet, NVL: 3.9 TB/s; BF16 tensor 1,671 TFLOPS and FP8 3,341 TFLOPS "
                         "with sparsity, so 835.5 and 1,670.5 dense"),
        GPU("MI250X", "AMD", "128 GB HBM2e", 128 * GiB, None, "AMD Instinct MI250X datasheet (128 GB HBM2e)",
            memory_bandwidth=3277 * 10**9, bf16_flops=383 * 10**12, fp8_flops=None,
            speed_source="AMD Instinct MI250X datasheet: 3.2768 TB/s; BF16 383 TFLOPS (no sparsity); no FP8"),
        GPU("MI325X", "AMD", "256 GB HBM3E", 256 * GiB, None, "AMD Instinct MI325X datasheet (256 GB HBM3E)",
            memory_bandwidth=6000 * 10**9, bf16_flops=1_307_400 * 10**9, fp8_flops=2_614_900 * 10**9,
            speed_source="AMD Instinct MI325X datasheet: 6 TB/s; BF16 1,307.4 TFLOPS and FP8 2,614.9 TFLOPS dense "
                         "(twice that with sparsity)"),
        GPU("Gaudi 3", "Intel", "128 GB HBM2e", 128 * GiB, None, "Intel Gaudi 3 AI accelerator white paper (128 GB HBM2e)",
            memory_bandwidth=3700 * 10**9, bf16_flops=1_835 * 10**12, fp8_flops=1_835 * 10**12,
            speed_source="Intel Gaudi 3 AI accelerator white paper: 3.7 TB/s; matrix engines 1,835 TFLOPS in "
                         "BF16 and in FP8 (no sparsity)"),
    ]
}


#: The vendor's product line of each catalog GPU, a rough price class: consumer (GeForce),
#: workstation (RTX professional) or data center (the vendors' data-center lines).
PRICE_CLASSES: dict[str, str] = {
    **{n: "consumer" for n in ("RTX 3090", "RTX 4090", "RTX 5090")},
    **{n: "workstation" for n in ("RTX A6000", "RTX 6000 Ada")},
    **{n: "data center" for n in ("L40S", "T4", "A10", "L4", "A30", "A40", "A100 40GB", "A100 80GB", "V100 32GB",
                                  "H100 80GB", "H100 PCIe", "H100 NVL", "H200", "B200", "MI250X", "MI300X",
                                  "MI325X", "Gaudi 3")},
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
    vramlab.errors.VramlabError: gpu 'H800' is unknown; closest: H200, H100 NVL, B200. Valid: RTX 3090, RTX 4090, RTX 5090, RTX A6000, L40S, T4, A10, L4, A100 40GB, A100 80GB, H100 80GB, H100 PCIe, H200, B200, MI300X, A30, A40, V100 32GB, RTX 6000 Ada, H100 NVL, MI250X, MI325X, Gaudi 3
    >>> get_gpu(24)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: gpu 24 is a number, not a GPU name; for a GPU outside the catalog pass vl.GPU.custom('my GPU', memory='24GiB') (command line: --gpu-memory 24GiB). Valid names: ...
    """
    if isinstance(name, GPU):
        return name
    key = str(name).strip().lower()
    for g in GPUS.values():
        if key == g.name.lower() or key in (a.lower() for a in g.aliases):
            return g
    if isinstance(name, (int, float)) or (isinstance(name, str) and name.strip().replace(".", "", 1).isdigit()):
        raise VramlabError(f"gpu {show(name)} is a number, not a GPU name; for a GPU outside the catalog pass "
                           f"vl.GPU.custom('my GPU', memory='{name}GiB') (command line: --gpu-memory {name}GiB). "
                           f"Valid names: {', '.join(GPUS)}", field="gpu")
    close = difflib.get_close_matches(str(name), list(GPUS), n=3, cutoff=0.3)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise VramlabError(f"gpu {name!r} is unknown{hint}. Valid: {', '.join(GPUS)}", field="gpu")
