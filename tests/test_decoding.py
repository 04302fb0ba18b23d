"""Why a KV cache: the decoding step's work counted by hand, and the toy decoder both ways."""

from __future__ import annotations

import dataclasses

import pytest

import vramlab as vl
from vramlab import decoding
from vramlab.presets import preset_record


def qwen3_counts():
    c = preset_record("Qwen/Qwen3-8B")["config"]
    L, h, v = c["num_hidden_layers"], c["hidden_size"], c["vocab_size"]
    total = preset_record("Qwen/Qwen3-8B")["reference"]["params_computed_from_config"]
    layers = total - 2 * v * h                      # untied: embedding and lm_head are both V x h
    per_pair = 4 * c["num_attention_heads"] * c["head_dim"] * L
    return L, v * h, layers, per_pair


@pytest.mark.parametrize("n", [1, 2, 1000, 32768])
def test_decode_work_matches_the_hand_count(n):
    L, head, layers, per_pair = qwen3_counts()
    w = decoding.decode_work("Qwen/Qwen3-8B", n)
    assert (w.context, w.model) == (n, "Qwen/Qwen3-8B")
    assert w.kv_vectors_no_cache == L * n and w.kv_vectors_cache == L
    assert w.flops_cache == 2 * layers + 2 * head + per_pair * n
    assert w.flops_no_cache == 2 * layers * n + 2 * head + per_pair * n * (n + 1) // 2
    assert w.flops_ratio == w.flops_no_cache / w.flops_cache


def test_moe_counts_only_the_active_experts():
    w = decoding.decode_work("Qwen/Qwen3-30B-A3B", 1)
    m = vl.load_model("Qwen/Qwen3-30B-A3B")
    vh = m.vocab_size * m.hidden_size
    active = vl.active_param_count(m)
    assert active < m.param_count()
    assert w.flops_cache == 2 * (active - 2 * vh) + 2 * vh + 4 * m.num_q_heads * m.head_dim * m.num_layers


def test_curve_is_decode_work_at_each_context():
    curve = decoding.decode_work_curve("Qwen/Qwen3-8B", [1, 8, 64])
    assert curve == tuple(decoding.decode_work("Qwen/Qwen3-8B", n) for n in (1, 8, 64))
    assert [w.context for w in decoding.decode_work_curve("Qwen/Qwen3-8B")] == list(decoding.DECODE_CONTEXTS)


def test_toy_decoder_gives_the_same_outputs_with_far_fewer_projections():
    r = decoding.toy_decode(steps=10, dim=8, seed=3)
    assert r.kv_projections_no_cache == 10 * 11 // 2 and r.kv_projections_cache == 10
    assert r.max_abs_difference < 1e-12
    assert r.outputs_cache == r.outputs_no_cache
    assert len(r.outputs_cache) == 10 and all(len(o) == 8 for o in r.outputs_cache)
    assert r.cache_values == 2 * 10 * 8
    assert decoding.toy_decode(steps=10, dim=8, seed=3) == r                 # seeded: repeatable
    assert decoding.toy_decode(steps=10, dim=8, seed=4).outputs_cache != r.outputs_cache


def test_results_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoding.decode_work("Qwen/Qwen3-8B", 4).context = 5


def test_bad_input_names_the_field():
    with pytest.raises(vl.VramlabError) as err:
        decoding.decode_work("Qwen/Qwen3-8B", 0)
    assert err.value.field == "context"
    with pytest.raises(vl.VramlabError) as err:
        decoding.decode_work_curve("Qwen/Qwen3-8B", 4096)
    assert err.value.field == "contexts"
    for kw, field in (({"steps": 0}, "steps"), ({"dim": 0}, "dim"), ({"seed": -1}, "seed")):
        with pytest.raises(vl.VramlabError) as err:
            decoding.toy_decode(**kw)
        assert err.value.field == field
