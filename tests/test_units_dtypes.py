"""Units (GB = 10**9, GiB = 2**30) and precisions (bits from the published block layouts)."""

from __future__ import annotations

from fractions import Fraction

import pytest

import vramlab as vl
from vramlab import units
from vramlab.dtypes import DTYPES, get_dtype, int4_group_bits, list_dtypes
from vramlab.errors import VramlabError


def test_unit_constants():
    assert (units.KB, units.MB, units.GB, units.TB) == (1000, 1000**2, 1000**3, 1000**4)
    assert (units.KiB, units.MiB, units.GiB, units.TiB) == (1024, 1024**2, 1024**3, 1024**4)
    assert vl.GB == 10**9 and vl.GiB == 2**30


@pytest.mark.parametrize(
    "n, unit, text",
    [(147_456, "KiB", "144.00 KiB"), (147_456, "KB", "147.46 KB"), (80 * 10**9, "GB", "80.00 GB"),
     (80 * 10**9, "GiB", "74.51 GiB"), (4_831_838_208, "GiB", "4.50 GiB"), (4_831_838_208, "GB", "4.83 GB"),
     (0, "GB", "0.00 GB"), (512, "B", "512.00 B")],
)
def test_format_bytes_names_the_unit(n, unit, text):
    assert vl.format_bytes(n, unit) == text
    assert units.to_unit(n, unit) == n / {"B": 1, "KB": 1e3, "KiB": 1024, "GB": 1e9, "GiB": 2**30}[unit]


def test_format_auto_and_both():
    assert vl.format_bytes(3 * 2**30, "auto") == "3.00 GiB"
    assert vl.format_bytes(1_500_000, "auto-si") == "1.50 MB"
    assert vl.format_bytes(100, "auto") == "100 B"
    assert units.format_both(80 * 10**9) == "80.00 GB (74.51 GiB)"
    assert vl.format_bytes(1_234_567_890_123, "GB", 0) == "1,235 GB"


@pytest.mark.parametrize("text, n", [("144 KiB", 147_456), ("24GB", 24 * 10**9), ("79.19 GiB", round(79.19 * 2**30)),
                                     ("1e3 B", 1000), (" 0.5 MiB ", 2**19)])
def test_parse_bytes(text, n):
    assert vl.parse_bytes(text) == n


def test_parse_format_round_trip():
    for n in (1, 999, 10**9, 2**30, 123_456_789_012):
        for unit in ("B", "KiB", "MB", "GiB"):
            assert abs(vl.parse_bytes(vl.format_bytes(n, unit, 6)) - n) <= units.UNITS[unit] * 1e-6


def test_parse_refuses_ambiguous_commas():
    for text in ("1,5 GB", "12,34 GiB", "1,2345 B"):
        with pytest.raises(VramlabError):
            vl.parse_bytes(text)


def test_from_unit_rounds_to_whole_bytes():
    assert units.from_unit(24, "GB") == 24_000_000_000
    assert units.from_unit(1.5, "KiB") == 1536
    assert isinstance(units.from_unit(0.1, "B"), int)


# -- precisions -------------------------------------------------------------------------------
def block_bits(bytes_per_block: int, weights_per_block: int) -> Fraction:
    return Fraction(8 * bytes_per_block, weights_per_block)


GGUF_LAYOUTS = {
    # llama.cpp ggml-common.h, block structs
    "Q8_0": block_bits(2 + 32, 32),                   # fp16 d + 32 x int8
    "Q4_0": block_bits(2 + 16, 32),                   # fp16 d + 32 x 4 bit
    "Q6_K": block_bits(128 + 64 + 16 + 2, 256),       # ql, qh, int8 scales, fp16 d
    "Q5_K": block_bits(2 + 2 + 12 + 32 + 128, 256),   # d, dmin, 6-bit scales, qh, qs
    "Q4_K": block_bits(2 + 2 + 12 + 128, 256),        # d, dmin, 6-bit scales, qs
    "Q3_K": block_bits(32 + 64 + 12 + 2, 256),        # hmask, qs, scales, d
    "Q2_K": block_bits(16 + 64 + 2 + 2, 256),         # scales, qs, d, dmin
}


@pytest.mark.parametrize("name", list(GGUF_LAYOUTS))
def test_gguf_block_bits(name):
    assert get_dtype(name).bits == GGUF_LAYOUTS[name]


def test_gguf_values():
    assert [float(get_dtype(n).bits) for n in ("Q8_0", "Q6_K", "Q5_K", "Q4_K", "Q4_0", "Q3_K", "Q2_K")] == [
        8.5, 6.5625, 5.5, 4.5, 4.5, 3.4375, 2.625]
    # the k-quant mixes are llama.cpp's measured whole-file figures (Llama 2 7B table)
    assert float(get_dtype("Q4_K_M").bits) == 4.84 and float(get_dtype("Q5_K_M").bits) == 5.68


def test_group_quantization_bits():
    assert int4_group_bits(128) == Fraction(4) + Fraction(16 + 4, 128) == Fraction(133, 32)
    assert float(get_dtype("int4").bits) == 4.15625
    assert float(get_dtype("int4-g64").bits) == 4 + 20 / 64
    assert float(get_dtype("int4-g32").bits) == 4.625
    assert get_dtype("int4-raw").bits == 4
    assert get_dtype("nf4").bits == Fraction(4) + Fraction(8, 64) + Fraction(32, 64 * 256)
    assert round(float(get_dtype("nf4").bits), 3) == 4.127
    assert float(get_dtype("nf4-nodq").bits) == 4.5
    assert float(get_dtype("mxfp4").bits) == 4.25


@pytest.mark.parametrize("name, bits", [("fp32", 32), ("fp16", 16), ("bf16", 16), ("fp8", 8), ("fp8_e4m3", 8),
                                        ("fp8_e5m2", 8), ("int8", 8)])
def test_plain_bits(name, bits):
    d = get_dtype(name)
    assert d.bits == bits and d.bytes_per_value == Fraction(bits, 8)


def test_aliases():
    assert get_dtype("bfloat16").name == "bf16"
    assert get_dtype("torch.float16").name == "fp16"
    assert get_dtype("float32").name == "fp32"
    assert get_dtype("GPTQ").name == "int4"
    assert get_dtype("q4_k_m").name == "Q4_K_M"
    assert get_dtype(get_dtype("fp8")) is get_dtype("fp8")


def test_every_format_documents_its_source():
    for d in DTYPES.values():
        assert d.source and d.description
        assert d.kind in ("float", "int", "block", "gguf")
        assert d.bits > 0


def test_weight_only_and_kv_flags():
    assert get_dtype("int4").weight_only and get_dtype("nf4").weight_only and get_dtype("mxfp4").weight_only
    assert not get_dtype("Q4_K_M").weight_only  # GGUF quantizes embeddings too
    kv = list_dtypes(kv_only=True)
    assert {"bf16", "fp16", "fp8", "int8", "int4"} <= set(kv)
    assert not {"nf4", "mxfp4", "Q4_K_M"} & set(kv)


def test_bytes_for_rounds_up():
    assert get_dtype("int4-raw").bytes_for(3) == 2
    assert get_dtype("bf16").bytes_for(5) == 10
    assert get_dtype("int4").bytes_for(128) == 128 * 133 // 256 + 1  # 66.5 -> 67
    assert get_dtype("fp8").bytes_for(0) == 0


def test_unknown_dtype_suggests_names():
    with pytest.raises(VramlabError, match=r"did you mean: .*int8") as exc:
        get_dtype("int3")
    assert exc.value.field == "dtype"
    assert "Valid:" in str(exc.value) and "bf16" in str(exc.value)
