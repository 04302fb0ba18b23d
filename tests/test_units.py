"""The parsers of what people type: counts (k = 1024), sizes with units, fractions or percentages.

Expected values are written out by hand (32 x 1024, 16 x 2**30, ...), not produced by the
code under test.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import vramlab as vl
from vramlab import units
from vramlab.errors import MAX_BYTES, VramlabError
from vramlab.units import parse_count, parse_fraction, parse_size


# -- counts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, n", [
    ("32768", 32768), ("32k", 32768), ("32K", 32768), (" 32k ", 32768), ("32 k", 32768), ("128k", 131072),
    ("1M", 1048576), ("1.5k", 1536), ("0.5k", 512), ("32,768", 32768), ("1,000,000", 1000000), ("32_768", 32768),
    ("1", 1), ("1000000000", 1000000000),
])
def test_parse_count(text, n):
    assert parse_count(text) == n


def test_tokens_32k_is_32768():
    """``--tokens 32k`` must equal ``--tokens 32768``: k = 1024 for token counts."""
    assert parse_count("32k") == parse_count("32768")
    assert units.COUNT_SUFFIXES["k"] == 1024 and units.COUNT_SUFFIXES["M"] == 1024 * 1024
    # the convention the suffix follows: Llama 3.1's "128K context" is 131,072 positions
    assert vl.load_model("meta-llama/Llama-3.1-8B-Instruct").max_position_embeddings == parse_count("128k")


@pytest.mark.parametrize("text", [
    "", " ", "k", "32x", "32kk", "32 kB", "1e6", "-1", "0", "1.0001k", "0.3", "1,00", "1,0000", "12,34,567",
    "1000000001", "2M" * 3, "nan", "inf", "0x10", "1G", "32m", "٣٢", "1" * 101, "32k\x00",
])
def test_parse_count_refuses(text):
    with pytest.raises(VramlabError) as exc:
        parse_count(text)
    msg = str(exc.value)
    assert exc.value.field == "tokens" and "between 1 and 1000000000" in msg and "k = 1024" in msg
    assert "\n" not in msg


def test_parse_count_names_its_field_and_range():
    with pytest.raises(VramlabError, match=r"^concurrency must be a whole number between 1 and 4096 .*got '5000'"):
        parse_count("5000", field="concurrency", maximum=4096)
    assert parse_count("0", field="activation_tokens", minimum=0) == 0


@pytest.mark.parametrize("value, n", [(8, 8), (8.0, 8), (np.int64(8), 8), (Fraction(16, 2), 8)])
def test_parse_count_numbers(value, n):
    assert parse_count(value) == n and type(parse_count(value)) is int


@pytest.mark.parametrize("value", [True, 8.5, float("nan"), b"8", [8], None, np.array([8])])
def test_parse_count_refuses_non_counts(value):
    with pytest.raises(VramlabError, match="tokens"):
        parse_count(value)


# -- sizes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, n", [
    ("16GiB", 16 * 2**30), ("80GB", 80 * 10**9), ("24 GiB", 24 * 2**30), ("24 gib", 24 * 2**30), ("24 gb", 24 * 10**9),
    ("0.5 MiB", 2**19), ("144 KiB", 147456), ("1 TiB", 2**40), ("1024 TiB", 2**50), ("512 B", 512), ("512b", 512),
    ("1,234.5 GB", 1_234_500_000_000), ("0 GB", 0),
])
def test_parse_size(text, n):
    assert parse_size(text) == n


def test_parse_size_default_unit():
    assert parse_size("1.5", default_unit="GiB") == 3 * 2**29
    assert parse_size(2, default_unit="GiB") == 2 * 2**30
    assert parse_size("2 GB", default_unit="GiB") == 2 * 10**9  # an explicit unit wins


@pytest.mark.parametrize("text", ["16", "16 G", "16 GiBs", "GiB", "-1 GB", "1e999 GB", "nan GB", "inf GiB",
                                  "1025 TiB", "2 PiB", "1,5 GB", "16 Gb/s", "1" * 200 + " GB", None, 16, b"16GB"])
def test_parse_size_refuses(text):
    with pytest.raises(VramlabError) as exc:
        parse_size(text)
    assert exc.value.field == "size" and "1 PiB" in str(exc.value)


def test_sizes_are_bounded_by_one_pebibyte():
    assert MAX_BYTES == 2**50
    with pytest.raises(VramlabError, match="between 0 and 1 PiB"):
        parse_size("1e300", default_unit="GiB")
    with pytest.raises(VramlabError, match="framework_gib"):
        parse_size("x", default_unit="GiB", field="framework_gib")


# -- fractions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, x", [("0.1", 0.1), ("10%", 0.1), ("10 %", 0.1), ("0", 0.0), ("1", 1.0),
                                     ("100%", 1.0), (".25", 0.25), ("2.5e-1", 0.25), ("0%", 0.0)])
def test_parse_fraction(text, x):
    assert parse_fraction(text) == pytest.approx(x, rel=1e-15)


def test_margin_10_is_refused_not_1000_percent():
    with pytest.raises(VramlabError) as exc:
        parse_fraction("10")
    assert exc.value.field == "margin" and "10%" in str(exc.value)
    with pytest.raises(VramlabError):
        parse_fraction("10", maximum=10)  # even where 1000 % would be allowed as "1000%"
    assert parse_fraction("1000%", maximum=10) == 10.0


@pytest.mark.parametrize("text", ["", "-0.1", "-10%", "101%", "1.01", "nan", "inf", "1e999", "10%%", "%", "0.1.2",
                                  "ten", "0,5", None, "1" * 150])
def test_parse_fraction_refuses(text):
    with pytest.raises(VramlabError) as exc:
        parse_fraction(text)
    assert exc.value.field == "margin" and "from 0 to 1" in str(exc.value)


def test_parse_fraction_without_zero():
    with pytest.raises(VramlabError, match="gpu_memory_utilization must be a fraction above 0"):
        parse_fraction("0", field="gpu_memory_utilization", allow_zero=False)
    assert parse_fraction("90%", field="gpu_memory_utilization", allow_zero=False) == 0.9


@pytest.mark.parametrize("value, ok", [(0.1, True), (Decimal("0.5"), True), (np.float64(0.2), True), (1.5, False),
                                       (True, False), (b"0.1", False), (float("nan"), False)])
def test_parse_fraction_numbers(value, ok):
    if ok:
        assert parse_fraction(value) == float(value)
    else:
        with pytest.raises(VramlabError, match="margin"):
            parse_fraction(value)


# -- formatting and amounts ----------------------------------------------------------------------
@pytest.mark.parametrize("value", [1e300, -1e300, 10**400, float("inf"), b"1", "1", True, np.array([1.0]), 1 + 1j])
def test_amounts_are_bounded_real_numbers(value):
    with pytest.raises(VramlabError):
        units.from_unit(value, "TiB")
    with pytest.raises(VramlabError):
        vl.format_bytes(value)


def test_format_bytes_exact_for_large_ints():
    assert vl.format_bytes(2**50, "B", 0) == "1,125,899,906,842,624 B"
    assert vl.format_bytes(-3 * 2**30) == "-3.00 GiB"


@pytest.mark.parametrize("unit", [None, 5, ["GB"], np.array(["GB", "GiB"]), "Gb"])
def test_format_bytes_refuses_unknown_units(unit):
    with pytest.raises(VramlabError) as exc:
        vl.format_bytes(10, unit)
    assert exc.value.field == "unit" and "GiB" in str(exc.value)
