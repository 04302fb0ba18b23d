"""The GPU catalog, against datasheet figures and the usable memory logged by vLLM."""

from __future__ import annotations

import csv
import dataclasses
from importlib import resources

import pytest

import vramlab as vl
from vramlab import gpus

GiB = 2**30


# ---------------------------------------------------------------- catalog
REQUIRED = ["RTX 3090", "RTX 4090", "RTX 5090", "RTX A6000", "L40S", "T4", "A10", "L4", "A100 40GB",
            "A100 80GB", "H100 80GB", "H100 PCIe", "H200", "B200", "MI300X"]


def test_catalog_has_the_cards_people_deploy_on():
    names = vl.list_gpus()
    assert len(names) >= 15
    for n in REQUIRED:
        assert n in names
    assert {vl.get_gpu(n).vendor for n in names} >= {"NVIDIA", "AMD", "Intel"}


@pytest.mark.parametrize("name", vl.list_gpus())
def test_every_gpu_has_a_source_and_usable_below_physical(name):
    g = vl.get_gpu(name)
    assert g.source and g.memory_as_sold
    ecc = 15 / 16 if g.ecc_default else 1      # ECC on GDDR keeps its check bits in 1/16 of the memory
    assert 0.95 * g.physical_bytes * ecc < g.usable_bytes <= g.physical_bytes * ecc
    sold = float(g.memory_as_sold.split()[0])
    # the box figure is within 8 % of the physical bytes, read as GB or GiB
    assert min(abs(g.physical_bytes / 10**9 - sold), abs(g.physical_bytes / GiB - sold)) <= 0.08 * sold


def test_measured_usable_memory_matches_the_vllm_logs():
    path = resources.files("vramlab") / "data" / "vllm_logs_calibration.csv"
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    seen = {}
    for r in rows:
        if r["gpu"] in vl.list_gpus() and r["total_gpu_memory_gib"]:
            seen.setdefault(r["gpu"], set()).add(float(r["total_gpu_memory_gib"]))
    assert seen["RTX 3090"] == {23.58} and seen["H100 80GB"] == {79.19}
    for gpu_name, values in seen.items():
        g = vl.get_gpu(gpu_name)
        assert g.usable_is_measured
        assert round(g.usable_bytes / GiB, 2) in values
    # a GPU without a log row is flagged as estimated, unless its source names the log it was read in
    for n in vl.list_gpus():
        g = vl.get_gpu(n)
        if n not in seen and g.usable_is_measured:
            assert f"usable {g.usable_bytes / GiB:.2f} GiB" in g.source and "github.com/" in g.source, n
    assert [n for n in vl.list_gpus() if n not in seen and vl.get_gpu(n).usable_is_measured] == ["A10"]


def test_h200_and_b200_are_sized_like_nvidia_smi_reports_them():
    # nvidia-smi memory.total: H200 143,771 MiB, B200 183,359 MiB; the usable estimate must not exceed it
    for name, smi_mib in (("H200", 143_771), ("B200", 183_359)):
        g = vl.get_gpu(name)
        assert g.usable_bytes <= smi_mib * 2**20
        assert g.usable_bytes > 0.97 * smi_mib * 2**20


def test_lookup_by_alias_is_case_insensitive_and_a_gpu_passes_through():
    h = vl.get_gpu("H100 80GB")
    assert vl.get_gpu("h100") is h and vl.get_gpu(" H100 SXM ") is h and vl.get_gpu(h) is h
    assert vl.get_gpu("3090").name == "RTX 3090"


def test_unknown_gpu_names_the_field_and_the_closest():
    with pytest.raises(vl.VramlabError, match="gpu 'H800' is unknown; closest:") as err:
        vl.get_gpu("H800")
    assert err.value.field == "gpu"
    assert all(n in str(err.value) for n in gpus.list_gpus())


def test_usable_memory_defaults_to_the_documented_fraction():
    g = vl.get_gpu("L4")                            # no vLLM log: the default fraction, flagged
    assert not g.usable_is_measured
    assert g.usable_bytes == int(24 * GiB * gpus.ECC_USABLE_FRACTION * gpus.DEFAULT_USABLE_FRACTION)
    # the fraction lies between the two measured cards' ratios
    assert 23.58 / 24 <= gpus.DEFAULT_USABLE_FRACTION <= 79.19 / 80


def test_catalog_entries_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        vl.get_gpu("L4").physical_bytes = 0


def test_the_catalog_module_does_no_planning():
    # what fits, and on how many GPUs, is planning's job (vramlab.planning)
    for name in ("fit", "plan_on", "fit_map", "min_gpus", "tp_degrees", "fit_table", "DEFAULT_TP_COMM_BYTES"):
        assert not hasattr(gpus, name)
