"""Layer kinds and patterns: which layers cache K/V per token and which keep a fixed state."""

from __future__ import annotations

import pytest

import vramlab as vl
from vramlab.errors import VramlabError
from vramlab.layers import ATTENTION_KINDS, STATE_KINDS, LayerAttention


def test_kinds_cache_per_token_or_per_sequence():
    assert set(ATTENTION_KINDS).isdisjoint(STATE_KINDS)
    for kind in ATTENTION_KINDS:
        assert LayerAttention(kind, 8 if kind != "full" else None).tokens_cached(100) in (8, 100)
    for kind in STATE_KINDS:
        la = LayerAttention(kind, conv_state=3, recurrent_state=5)
        assert la.tokens_cached(10**6) == 0 and not la.is_attention


def test_qwen3_next_layers_follow_full_attention_interval():
    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    c = m.hf_config
    assert [la.kind for la in m.layers] == [
        "full" if (i + 1) % c["full_attention_interval"] == 0 else "linear" for i in range(c["num_hidden_layers"])]
    # the same model written with layer_types
    listed = dict(c, layer_types=["full_attention" if la.kind == "full" else "linear_attention" for la in m.layers])
    assert vl.load_model(listed).layers == m.layers


def test_jamba_and_llama4_patterns_from_their_periods():
    base = {"hidden_size": 64, "intermediate_size": 96, "num_attention_heads": 4, "vocab_size": 100}
    j = vl.load_model({**base, "model_type": "jamba", "num_hidden_layers": 16, "num_experts": 4,
                       "num_experts_per_tok": 2})
    assert [i for i, la in enumerate(j.layers) if la.kind == "full"] == [4, 12]  # i % 8 == 4
    assert {la.kind for la in j.layers} == {"full", "mamba"}
    l4 = vl.load_model({**base, "model_type": "llama4_text", "num_hidden_layers": 8, "num_local_experts": 4,
                        "num_experts_per_tok": 1, "head_dim": 16, "attention_chunk_size": 256})
    assert [la.kind for la in l4.layers] == (["chunked"] * 3 + ["full"]) * 2
    assert l4.layers[0].window == 256


def test_an_unknown_layer_kind_names_the_model_type():
    base = {"model_type": "qwen3", "hidden_size": 64, "intermediate_size": 96, "num_attention_heads": 4,
            "vocab_size": 100, "num_hidden_layers": 2, "layer_types": ["full_attention", "linear_attention"]}
    with pytest.raises(VramlabError, match="'qwen3'") as exc:
        vl.load_model(base)
    assert exc.value.field == "layer_types"
