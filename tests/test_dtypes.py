"""Formats added for checkpoints read from quantization_config: GPTQ/AWQ 8-bit groups.

The bits are recomputed here from the GPTQ storage layout: per group of ``g`` weights one
fp16 scale and one zero point packed at the weight's own width (``qzeros``)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from vramlab.dtypes import get_dtype, int4_group_bits, list_dtypes


@pytest.mark.parametrize("group", [32, 64, 128])
def test_int8_group_formats(group):
    d = get_dtype(f"int8-g{group}")
    assert d.bits == 8 + Fraction(16 + 8, group)
    assert d.weight_only and not d.kv_ok and d.kind == "block"
    assert d.bytes_for(group) == group + 3   # 8-bit weights + 2-byte scale + 1-byte zero


def test_int8_groups_sit_between_int4_and_bf16():
    assert get_dtype("int4").bits == int4_group_bits(128) < get_dtype("int8-g128").bits < get_dtype("bf16").bits
    assert float(get_dtype("int8-g128").bits) == 8.1875


def test_new_formats_are_listed_but_not_kv_formats():
    assert {"int8-g32", "int8-g64", "int8-g128"} <= set(list_dtypes())
    assert not {"int8-g32", "int8-g64", "int8-g128"} & set(list_dtypes(kv_only=True))


@pytest.mark.parametrize("group", [32, 64, 128])
def test_symmetric_int4_groups_store_no_zero_point(group):
    d = get_dtype(f"int4-sym-g{group}")
    assert d.bits == 4 + Fraction(16, group) < get_dtype(f"int4-g{group}").bits
    assert d.bytes_for(2 * group) == group + 4   # two groups: 2 x g/2 bytes of codes + 2 x 2-byte scales
