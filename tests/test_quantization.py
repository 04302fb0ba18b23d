"""quantization_config reading: every method vramlab knows gives its weight format; the rest is refused."""

from __future__ import annotations

import pytest

from vramlab.errors import VramlabError
from vramlab.quantization import QUANT_METHODS, weight_format


@pytest.mark.parametrize("q, fmt", [
    (None, None),
    ({"quant_method": "fp8"}, "fp8"),
    ({"quant_method": "mxfp4"}, "mxfp4"),
    ({"quant_method": "gptq", "bits": 4, "group_size": 128}, "int4"),
    ({"quant_method": "awq", "w_bit": 4, "q_group_size": 64}, "int4-g64"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True}, "nf4"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_use_double_quant": False}, "nf4-nodq"),
    ({"quant_method": "bitsandbytes", "load_in_8bit": True}, "int8"),
    ({"quant_method": "compressed-tensors", "config_groups": {"g": {"weights": {
        "num_bits": 4, "type": "int", "symmetric": True, "group_size": 32}}}}, "int4-sym-g32"),
])
def test_formats(q, fmt):
    assert weight_format(q) == fmt


@pytest.mark.parametrize("q", [
    {"quant_method": "hqq"}, {"quant_method": "gptq", "bits": 3, "group_size": 128},
    {"quant_method": "gptq", "bits": 4, "group_size": -1}, "fp8",
    {"quant_method": "bitsandbytes", "load_in_4bit": True, "load_in_8bit": True},
    {"quant_method": "compressed-tensors", "config_groups": {}},
])
def test_unknown_or_malformed_configs_are_refused_by_field(q):
    with pytest.raises(VramlabError) as exc:
        weight_format(q)
    assert exc.value.field == "quantization_config"


def test_the_refusal_lists_the_methods_read():
    with pytest.raises(VramlabError, match=", ".join(QUANT_METHODS)):
        weight_format({"quant_method": "eetq"})
