"""Why a KV cache: the decoding step's work counted by hand, and the toy decoder both ways."""

from __future__ import annotations

import dataclasses

import pytest

import vramlab as vl
from vramlab import decoding
from vramlab.presets import preset_record

from .reference import FALCON_H1, NEMOTRON_H


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


# --- hybrids: only attention layers cache K/V and attend over the context --------------------
def _step_gain(model, n):
    """FLOPs the cached step at position n + 1 costs beyond the one at n: the attention term only."""
    return decoding.decode_work(model, n + 1).flops_cache - decoding.decode_work(model, n).flops_cache


def test_qwen3_next_caches_and_attends_in_its_full_attention_layers_only():
    c = preset_record("Qwen/Qwen3-Next-80B-A3B-Instruct")["config"]
    full = sum((i + 1) % c["full_attention_interval"] == 0 for i in range(c["num_hidden_layers"]))
    assert full == 12
    w = decoding.decode_work("Qwen/Qwen3-Next-80B-A3B-Instruct", 500)
    assert w.kv_vectors_cache == full and w.kv_vectors_no_cache == 500 * full
    assert _step_gain("Qwen/Qwen3-Next-80B-A3B-Instruct", 500) == 4 * c["num_attention_heads"] * c["head_dim"] * full


def test_qwen3_next_recurrence_is_counted_per_token_from_the_config():
    c = preset_record("Qwen/Qwen3-Next-80B-A3B-Instruct")["config"]
    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    linear = c["num_hidden_layers"] - c["num_hidden_layers"] // c["full_attention_interval"]
    nk, nv = c["linear_num_key_heads"], c["linear_num_value_heads"]
    dk, dv = c["linear_key_head_dim"], c["linear_value_head_dim"]
    conv = (2 * nk * dk + nv * dv) * c["linear_conv_kernel_dim"]
    state = linear * (2 * conv + decoding.STATE_FLOPS_PER_VALUE * nv * dk * dv)
    vh = c["vocab_size"] * c["hidden_size"]
    layers = vl.active_param_count(m) - 2 * vh  # untied embeddings
    full = c["num_hidden_layers"] - linear
    per_pair = 4 * c["num_attention_heads"] * c["head_dim"] * full
    w = decoding.decode_work(m, 64)
    assert w.flops_cache == 2 * layers + state + 2 * vh + per_pair * 64
    assert w.flops_no_cache == (2 * layers + state) * 64 + 2 * vh + per_pair * 64 * 65 // 2


def test_sliding_window_layers_read_at_most_the_window():
    c = preset_record("mistralai/Mistral-7B-v0.1")["config"]
    W, L = c["sliding_window"], c["num_hidden_layers"]
    per_pair = 4 * c["num_attention_heads"] * (c["hidden_size"] // c["num_attention_heads"]) * L
    assert _step_gain("mistralai/Mistral-7B-v0.1", W - 1) == per_pair      # still inside the window
    assert _step_gain("mistralai/Mistral-7B-v0.1", W + 10) == 0            # the window is full
    # without a cache the step at n reruns positions 1..n, each reading min(i, W) keys
    n = W + 100
    gain = (decoding.decode_work("mistralai/Mistral-7B-v0.1", n + 1).flops_no_cache
            - decoding.decode_work("mistralai/Mistral-7B-v0.1", n).flops_no_cache)
    gain_before = (decoding.decode_work("mistralai/Mistral-7B-v0.1", n).flops_no_cache
                   - decoding.decode_work("mistralai/Mistral-7B-v0.1", n - 1).flops_no_cache)
    assert gain == gain_before  # one more token of W keys each time past the window


def test_gemma2_alternating_layers_split_full_and_sliding():
    c = preset_record("google/gemma-2-9b")["config"]
    W, L = c["sliding_window"], c["num_hidden_layers"]
    per_layer = 4 * c["num_attention_heads"] * c["head_dim"]
    assert _step_gain("google/gemma-2-9b", W + 10) == per_layer * (L // 2)  # only the full half still grows


LLAMA4 = {"model_type": "llama4_text", "hidden_size": 64, "intermediate_size": 96, "num_attention_heads": 4,
          "vocab_size": 100, "num_hidden_layers": 8, "num_local_experts": 4, "num_experts_per_tok": 1,
          "head_dim": 16, "attention_chunk_size": 256}


def test_chunked_layers_attend_within_their_chunk():
    C, L = LLAMA4["attention_chunk_size"], LLAMA4["num_hidden_layers"]
    chunked = L - L // 4  # NoPE (full) every 4th layer
    per_layer = 4 * LLAMA4["num_attention_heads"] * LLAMA4["head_dim"]
    first, next_chunk = decoding.decode_work(LLAMA4, 1), decoding.decode_work(LLAMA4, C + 1)
    # position C + 1 opens a new chunk: its chunked layers read 1 key, as at position 1
    assert next_chunk.flops_cache - first.flops_cache == per_layer * (L - chunked) * C
    assert _step_gain(LLAMA4, C) == per_layer * (L - chunked) - per_layer * chunked * (C - 1)
    # without a cache: positions 1..2C, each chunked layer sums 1..C twice
    two = decoding.decode_work(LLAMA4, 2 * C).flops_no_cache - decoding.decode_work(LLAMA4, 1).flops_no_cache
    one = decoding.decode_work(LLAMA4, 1).flops_no_cache
    m = vl.load_model(LLAMA4)
    vh = m.vocab_size * m.hidden_size
    lin = 2 * (vl.active_param_count(m) - 2 * vh)
    pairs = (L - chunked) * (2 * C) * (2 * C + 1) // 2 + chunked * 2 * (C * (C + 1) // 2)
    assert one == lin + 2 * vh + per_layer * L
    assert two + one == lin * 2 * C + 2 * vh + per_layer * pairs


JAMBA = {"model_type": "jamba", "hidden_size": 256, "num_hidden_layers": 16, "num_attention_heads": 8,
         "num_key_value_heads": 2, "intermediate_size": 512, "vocab_size": 1000, "num_experts": 4,
         "num_experts_per_tok": 2, "attn_layer_period": 8, "attn_layer_offset": 4, "mamba_d_state": 16,
         "mamba_d_conv": 4, "mamba_expand": 2}


def test_jamba_mamba_layers_keep_a_state_not_a_cache():
    c = JAMBA
    att = sum(i % c["attn_layer_period"] == c["attn_layer_offset"] for i in range(c["num_hidden_layers"]))
    mamba = c["num_hidden_layers"] - att
    inner = c["mamba_expand"] * c["hidden_size"]
    state = mamba * (2 * inner * c["mamba_d_conv"] + decoding.STATE_FLOPS_PER_VALUE * inner * c["mamba_d_state"])
    m = vl.load_model(c)
    vh = c["vocab_size"] * c["hidden_size"]
    per_pair = 4 * c["num_attention_heads"] * (c["hidden_size"] // c["num_attention_heads"])
    w = decoding.decode_work(c, 10)
    assert w.kv_vectors_cache == att == 2
    assert w.flops_cache == 2 * (vl.active_param_count(m) - 2 * vh) + state + 2 * vh + per_pair * att * 10


def test_mla_attends_with_its_query_key_and_value_widths():
    c = preset_record("deepseek-ai/DeepSeek-V3")["config"]
    d_qk = c["qk_nope_head_dim"] + c["qk_rope_head_dim"]
    want = 2 * c["num_attention_heads"] * (d_qk + c["v_head_dim"]) * c["num_hidden_layers"]
    assert _step_gain("deepseek-ai/DeepSeek-V3", 1000) == want
    assert decoding.decode_work("deepseek-ai/DeepSeek-V3", 7).kv_vectors_cache == c["num_hidden_layers"]




def _state_flops(conv_channels, kernel, state_values):
    return 2 * conv_channels * kernel + decoding.STATE_FLOPS_PER_VALUE * state_values


@pytest.mark.parametrize("cfg", [FALCON_H1, NEMOTRON_H], ids=["falcon_h1", "nemotron_h"])
def test_mamba2_layers_and_blocks_from_the_config(cfg):
    m = vl.load_model(cfg)
    vh = cfg["vocab_size"] * cfg["hidden_size"]
    lin = 2 * (vl.active_param_count(m) - vh - (0 if m.tie_word_embeddings else vh))
    if cfg["model_type"] == "falcon_h1":  # attention and a Mamba-2 mixer in every layer
        att = mamba = cfg["num_hidden_layers"]
        conv = cfg["mamba_d_ssm"] + 2 * cfg["mamba_n_groups"] * cfg["mamba_d_state"]
        heads = cfg["mamba_n_heads"] * cfg["mamba_d_head"]
        state = _state_flops(conv, cfg["mamba_d_conv"], heads * cfg["mamba_d_state"])
    else:  # one block per letter: M Mamba-2, * attention, - MLP, E MoE (the last two attend to nothing)
        att, mamba = cfg["hybrid_override_pattern"].count("*"), cfg["hybrid_override_pattern"].count("M")
        inner = cfg["mamba_num_heads"] * cfg["mamba_head_dim"]
        conv = inner + 2 * cfg["n_groups"] * cfg["ssm_state_size"]
        state = _state_flops(conv, cfg["conv_kernel"], inner * cfg["ssm_state_size"])
    per_pair = 4 * cfg["num_attention_heads"] * cfg["head_dim"]
    w = decoding.decode_work(cfg, 9)
    assert w.kv_vectors_cache == att
    assert w.flops_cache == lin + mamba * state + 2 * vh + per_pair * att * 9
