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
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .errors import VramlabError
from .units import GiB

__all__ = ["GPU", "GPUS", "get_gpu", "list_gpus", "DEFAULT_USABLE_FRACTION"]

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
    """

    name: str
    vendor: str
    memory_as_sold: str
    physical_bytes: int
    measured_usable_bytes: int | None
    source: str
    aliases: tuple[str, ...] = ()

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


def _gib(x: float) -> int:
    return round(x * GiB)


_VLLM = "vLLM start-up log (shared/data/vllm_logs_calibration.csv)"

GPUS: dict[str, GPU] = {
    g.name: g
    for g in [
        GPU("RTX 3090", "NVIDIA", "24 GB GDDR6X", 24 * GiB, _gib(23.58), f"NVIDIA spec; usable: {_VLLM}, row 1", ("3090",)),
        GPU("RTX 4090", "NVIDIA", "24 GB GDDR6X", 24 * GiB, None, "NVIDIA GeForce RTX 4090 spec", ("4090",)),
        GPU("RTX 5090", "NVIDIA", "32 GB GDDR7", 32 * GiB, None, "NVIDIA GeForce RTX 5090 spec", ("5090",)),
        GPU("RTX A6000", "NVIDIA", "48 GB GDDR6", 48 * GiB, None, "NVIDIA RTX A6000 datasheet", ("A6000",)),
        GPU("L40S", "NVIDIA", "48 GB GDDR6", 48 * GiB, None, "NVIDIA L40S datasheet"),
        GPU("T4", "NVIDIA", "16 GB GDDR6", 16 * GiB, None, "NVIDIA T4 datasheet"),
        GPU("A10", "NVIDIA", "24 GB GDDR6", 24 * GiB, None, "NVIDIA A10 datasheet"),
        GPU("L4", "NVIDIA", "24 GB GDDR6", 24 * GiB, None, "NVIDIA L4 datasheet"),
        GPU("A100 40GB", "NVIDIA", "40 GB HBM2", 40 * GiB, None, "NVIDIA A100 datasheet"),
        GPU("A100 80GB", "NVIDIA", "80 GB HBM2e", 80 * GiB, None, "NVIDIA A100 datasheet", ("A100",)),
        GPU("H100 80GB", "NVIDIA", "80 GB HBM3", 80 * GiB, _gib(79.19), f"NVIDIA H100 SXM datasheet; usable: {_VLLM}, rows 22-43", ("H100", "H100 SXM", "H100 SXM 80GB")),
        GPU("H100 PCIe", "NVIDIA", "80 GB HBM2e", 80 * GiB, None, "NVIDIA H100 PCIe datasheet"),
        GPU("H200", "NVIDIA", "141 GB HBM3e", 141 * 10**9, None, "NVIDIA H200 datasheet (141 GB)"),
        GPU("B200", "NVIDIA", "180 GB HBM3e", 180 * 10**9, None, "NVIDIA DGX B200 datasheet (1,440 GB for 8 GPUs)"),
        GPU("MI300X", "AMD", "192 GB HBM3", 192 * GiB, None, "AMD Instinct MI300X datasheet"),
        GPU("Gaudi 3", "Intel", "128 GB HBM2e", 128 * GiB, None, "Intel Gaudi 3 AI accelerator white paper"),
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
