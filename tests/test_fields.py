"""The config field table: every field vramlab reads has a kind and range; aliases are read in order."""

from __future__ import annotations

import pytest

from vramlab.errors import VramlabError
from vramlab.fields import ALIASES, FIELDS, check_field, get_field, need_int


def test_every_field_rule_has_a_known_kind():
    for key, rule in FIELDS.items():
        assert rule.kind in ("int", "float", "bool", "str", "int_list", "str_list"), key
        if rule.kind == "int":
            assert rule.minimum is not None and rule.maximum is not None and rule.minimum <= rule.maximum, key


def test_aliases_are_read_when_the_field_is_absent_or_null():
    assert get_field({"n_layer": 12}, "num_hidden_layers") == 12
    assert get_field({"num_hidden_layers": None, "n_layer": 12}, "num_hidden_layers") == 12
    assert get_field({"num_hidden_layers": 6, "n_layer": 12}, "num_hidden_layers") == 6
    assert get_field({"n_inner": 80}, "intermediate_size") == 80 and "n_inner" in ALIASES["intermediate_size"]
    assert get_field({}, "hidden_size", 7) == 7


def test_need_int_names_the_field_and_validates_an_alias():
    with pytest.raises(VramlabError) as exc:
        need_int({}, "hidden_size", "m")
    assert exc.value.field == "hidden_size"
    with pytest.raises(VramlabError, match="'hidden_size' must be an integer"):
        need_int({"n_embd": 0}, "hidden_size", "m")


@pytest.mark.parametrize("key, bad", [("linear_conv_kernel_dim", 0), ("mamba_conv_bias", "yes"),
                                      ("no_rope_layers", [2]), ("attention_chunk_size", -1)])
def test_new_fields_are_checked(key, bad):
    with pytest.raises(VramlabError) as exc:
        check_field(key, bad)
    assert exc.value.field == key
