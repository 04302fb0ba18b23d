"""Oracle: the classic GPT-style families (vramlab/families/classic.py) against transformers.

Parameter counts: configs other than transformers' defaults (the sizes of public checkpoints, or the
default with switches toggled) are built on the meta device and counted. KV caches: a tiny random model
of each cache layout runs one forward pass on the CPU and the bytes of its cache tensors are compared
with :func:`vramlab.kv_cache_bytes`; the two families whose cache vramlab refuses are checked to cache
what the refusal says (GPT-1: nothing; CPM-Ant: prompt_length positions more than the context).
"""

from __future__ import annotations

import pytest

import vramlab as vl
from vramlab.errors import VramlabError
from vramlab.oracle import default_config

from .oracle import transformers  # noqa: F401  (skips the module without torch/transformers)
from .oracle import build_model, cache_bytes, cache_layers, forward_cache, meta_param_count, torch  # noqa: E402

pytestmark = pytest.mark.oracle

# -- parameter counts ---------------------------------------------------------------------------
PARAM_CASES = {
    # bigcode/starcoder's sizes: multi-query attention, 8k learned positions
    "gpt_bigcode: StarCoder sizes (multi-query)": {
        "model_type": "gpt_bigcode", "n_embd": 6144, "n_layer": 40, "n_head": 48, "n_inner": 24576,
        "n_positions": 8192, "vocab_size": 49152, "multi_query": True},
    "gpt_bigcode: multi-head, untied head": {
        "model_type": "gpt_bigcode", "n_embd": 1024, "n_layer": 6, "n_head": 16, "n_positions": 2048,
        "vocab_size": 32000, "multi_query": False, "tie_word_embeddings": False},
    "gpt_neo: GPT-Neo-125M sizes": {
        "model_type": "gpt_neo", "hidden_size": 768, "num_layers": 12, "num_heads": 12,
        "attention_types": [[["global", "local"], 6]], "window_size": 256, "vocab_size": 50257,
        "max_position_embeddings": 2048},
    "gpt_neo: explicit attention_layers and intermediate_size, untied": {
        "model_type": "gpt_neo", "hidden_size": 512, "num_layers": 3, "num_heads": 8, "intermediate_size": 1000,
        "attention_types": [[["global"], 3]], "attention_layers": ["global", "global", "global"],
        "vocab_size": 5000, "max_position_embeddings": 1024, "tie_word_embeddings": False},
    "codegen: CodeGen-350M sizes": {
        "model_type": "codegen", "n_embd": 1024, "n_layer": 20, "n_head": 16, "rotary_dim": 32,
        "n_positions": 2048, "n_ctx": 2048, "vocab_size": 51200, "tie_word_embeddings": False},
    "codegen: n_inner given, tied": {
        "model_type": "codegen", "n_embd": 512, "n_layer": 4, "n_head": 8, "rotary_dim": 16, "n_inner": 1536,
        "vocab_size": 3000, "tie_word_embeddings": True},
    "mpt: MPT-7B sizes": {
        "model_type": "mpt", "d_model": 4096, "n_heads": 32, "n_layers": 32, "expansion_ratio": 4,
        "max_seq_len": 2048, "vocab_size": 50432, "no_bias": True, "learned_pos_emb": True,
        "attn_config": {"alibi": True, "attn_type": "multihead_attention", "qk_ln": False}},
    "mpt: untied head": {
        "model_type": "mpt", "d_model": 768, "n_heads": 12, "n_layers": 4, "vocab_size": 4000,
        "tie_word_embeddings": False},
    "openai-gpt: deeper, untied": {
        "model_type": "openai-gpt", "n_embd": 512, "n_layer": 5, "n_head": 8, "n_positions": 256,
        "vocab_size": 4000, "tie_word_embeddings": False},
    "biogpt: BioGPT-Large sizes": {
        "model_type": "biogpt", "hidden_size": 1600, "num_hidden_layers": 48, "num_attention_heads": 25,
        "intermediate_size": 6400, "vocab_size": 57717, "max_position_embeddings": 2048},
    "xglm: XGLM-1.7B sizes": {
        "model_type": "xglm", "d_model": 2048, "num_layers": 24, "attention_heads": 16, "ffn_dim": 8192,
        "vocab_size": 256008, "max_position_embeddings": 2048},
    "xglm: untied head": {
        "model_type": "xglm", "d_model": 256, "num_layers": 3, "attention_heads": 4, "ffn_dim": 512,
        "vocab_size": 1000, "tie_word_embeddings": False},
    "ctrl: untied head (weight and bias)": {
        "model_type": "ctrl", "n_embd": 512, "n_layer": 6, "n_head": 8, "dff": 2048, "n_positions": 256,
        "vocab_size": 5000, "tie_word_embeddings": False},
    "gpt_neox_japanese: other MLP multiple, untied": {
        "model_type": "gpt_neox_japanese", "hidden_size": 1024, "num_hidden_layers": 6, "num_attention_heads": 16,
        "intermediate_multiple_size": 2, "vocab_size": 32000, "tie_word_embeddings": False},
    "jais2: grouped K/V, no biases": {
        "model_type": "jais2", "hidden_size": 2048, "num_hidden_layers": 4, "num_attention_heads": 16,
        "num_key_value_heads": 4, "intermediate_size": 8192, "vocab_size": 10000, "attention_bias": False,
        "mlp_bias": False, "tie_word_embeddings": True},
    "jais2: head_dim given, biases": {
        "model_type": "jais2", "hidden_size": 1024, "num_hidden_layers": 3, "num_attention_heads": 8,
        "num_key_value_heads": 2, "head_dim": 96, "intermediate_size": 4096, "vocab_size": 8000},
    "persimmon: no q/k LayerNorms": {
        "model_type": "persimmon", "hidden_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 16,
        "intermediate_size": 4096, "vocab_size": 16000, "qk_layernorm": False},
    # adept/fuyu-8b saves its text fields at the top: transformers builds FuyuForCausalLM (+ patch projection)
    "fuyu: flat config as Fuyu-8B saves it": {
        "model_type": "fuyu", "hidden_size": 4096, "num_hidden_layers": 36, "num_attention_heads": 64,
        "intermediate_size": 16384, "vocab_size": 262144, "max_position_embeddings": 16384, "qk_layernorm": True,
        "hidden_act": "relu2", "image_size": 300, "patch_size": 30, "num_channels": 3,
        "tie_word_embeddings": False},
    "arcee: grouped K/V, biases": {
        "model_type": "arcee", "hidden_size": 1536, "num_hidden_layers": 4, "num_attention_heads": 12,
        "num_key_value_heads": 4, "head_dim": 128, "intermediate_size": 6144, "vocab_size": 20000,
        "attention_bias": True, "mlp_bias": True},
    "nanochat: grouped K/V, attention biases, tied": {
        "model_type": "nanochat", "hidden_size": 1280, "num_hidden_layers": 5, "num_attention_heads": 10,
        "num_key_value_heads": 5, "intermediate_size": 5120, "vocab_size": 65536, "attention_bias": True,
        "tie_word_embeddings": True},
    "apertus: grouped K/V": {
        "model_type": "apertus", "hidden_size": 2048, "num_hidden_layers": 4, "num_attention_heads": 16,
        "num_key_value_heads": 8, "intermediate_size": 8192, "vocab_size": 131072},
    "apertus: another activation (no xIELU parameters)": {
        "model_type": "apertus", "hidden_size": 1024, "num_hidden_layers": 3, "num_attention_heads": 8,
        "intermediate_size": 4096, "vocab_size": 5000, "hidden_act": "gelu"},
    "apertus1p5_text: head pruned to output_vocab_size": {
        "model_type": "apertus1p5_text", "hidden_size": 1024, "num_hidden_layers": 3, "num_attention_heads": 8,
        "num_key_value_heads": 2, "intermediate_size": 4096, "vocab_size": 20000, "output_vocab_size": 12000},
    "cpmant: other prompt and segment sizes": {
        "model_type": "cpmant", "hidden_size": 1024, "num_hidden_layers": 4, "num_attention_heads": 8,
        "dim_head": 64, "dim_ff": 2816, "vocab_size": 30720, "prompt_types": 8, "prompt_length": 16,
        "segment_types": 12, "position_bias_num_buckets": 256},
}


@pytest.mark.parametrize("case", list(PARAM_CASES))
def test_param_count_equals_transformers(case):
    cfg = PARAM_CASES[case]
    m = vl.load_model(cfg)
    assert m.exact, m.warnings
    assert m.param_count() == meta_param_count(cfg)
    assert sum(m.param_breakdown().values()) == m.param_count()


def test_fuyu_with_a_text_config_counts_its_persimmon_language_model():
    cfg = default_config("fuyu")
    m = vl.load_model(cfg)
    assert any("multimodal" in w for w in m.warnings)
    assert m.param_count() == meta_param_count(cfg["text_config"])
    flat = PARAM_CASES["fuyu: flat config as Fuyu-8B saves it"]
    assert vl.load_model(flat).param_count() - vl.load_model({**flat, "model_type": "persimmon"}).param_count() == (
        30 * 30 * 3 * 4096 + 4096)  # the patch projection's weight and bias


def test_gpt_bigcode_reads_multi_query_as_one_kv_head():
    base = PARAM_CASES["gpt_bigcode: StarCoder sizes (multi-query)"]
    assert (vl.load_model(base).num_kv_heads, vl.load_model({**base, "multi_query": False}).num_kv_heads) == (1, 48)


@pytest.mark.parametrize("change, field", [
    ({"model_type": "mpt", "expansion_ratio": 2}, "expansion_ratio"),
    ({"model_type": "mpt", "no_bias": False}, "no_bias"),
    ({"model_type": "mpt", "attn_config": {"attn_type": "multiquery_attention"}}, "attn_config"),
    ({"model_type": "mpt", "attn_config": {"attn_type": "grouped_query_attention", "kv_n_heads": 8}}, "attn_config"),
    ({"model_type": "gpt_bigcode", "add_cross_attention": True}, "add_cross_attention"),
    ({"model_type": "gpt_neo", "attention_types": [[["global", "local"], 5]]}, "attention_layers"),
    ({"model_type": "gpt_neo", "attention_layers": ["global", "sliding"] * 6}, "attention_layers"),
    ({"model_type": "gpt_neo", "max_position_embeddings": None}, "max_position_embeddings"),
    ({"model_type": "apertus1p5_text", "output_vocab_size": 12000, "tie_word_embeddings": True}, "output_vocab_size"),
    ({"model_type": "gpt_neox_japanese", "intermediate_multiple_size": 0}, "intermediate_multiple_size"),
    ({"model_type": "gpt_neo", "attention_types": [[["global"], 10**12]]}, "attention_types"),
    ({"model_type": "fuyu", "patch_size": 0}, "patch_size"),
    ({"model_type": "cpmant", "prompt_length": "32"}, "prompt_length"),
])
def test_configs_transformers_would_build_otherwise_are_refused(change, field):
    base = {"mpt": PARAM_CASES["mpt: untied head"], "gpt_bigcode": PARAM_CASES["gpt_bigcode: multi-head, untied head"],
            "gpt_neo": PARAM_CASES["gpt_neo: GPT-Neo-125M sizes"],
            "apertus1p5_text": PARAM_CASES["apertus1p5_text: head pruned to output_vocab_size"],
            "gpt_neox_japanese": PARAM_CASES["gpt_neox_japanese: other MLP multiple, untied"],
            "fuyu": PARAM_CASES["fuyu: flat config as Fuyu-8B saves it"],
            "cpmant": PARAM_CASES["cpmant: other prompt and segment sizes"]}[change["model_type"]]
    with pytest.raises(VramlabError) as err:
        vl.load_model({**base, **change})
    assert err.value.field == field


# -- KV caches ----------------------------------------------------------------------------------
TOKENS, BATCH = 12, 2
CACHE_CASES = {
    "gpt_bigcode multi-query: one K/V head": {
        "model_type": "gpt_bigcode", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 64, "vocab_size": 128},
    "gpt_bigcode multi-head": {
        "model_type": "gpt_bigcode", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 64, "vocab_size": 128,
        "multi_query": False},
    # window 4 < TOKENS: transformers still caches every position of the local layers
    "gpt_neo global + local layers": {
        "model_type": "gpt_neo", "hidden_size": 64, "num_layers": 2, "num_heads": 4, "window_size": 4,
        "attention_types": [[["global", "local"], 1]], "vocab_size": 128, "max_position_embeddings": 64},
    "codegen": {"model_type": "codegen", "n_embd": 64, "n_layer": 2, "n_head": 4, "rotary_dim": 8, "vocab_size": 128},
    "mpt (ALiBi)": {"model_type": "mpt", "d_model": 64, "n_layers": 2, "n_heads": 4, "vocab_size": 128},
    "biogpt": {"model_type": "biogpt", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
               "intermediate_size": 32, "vocab_size": 128, "max_position_embeddings": 64},
    "xglm": {"model_type": "xglm", "d_model": 64, "num_layers": 2, "attention_heads": 4, "ffn_dim": 32,
             "vocab_size": 128, "max_position_embeddings": 64},
    "ctrl": {"model_type": "ctrl", "n_embd": 64, "n_layer": 2, "n_head": 4, "dff": 32, "n_positions": 64,
             "vocab_size": 128},
    "gpt_neox_japanese": {"model_type": "gpt_neox_japanese", "hidden_size": 64, "num_hidden_layers": 2,
                          "num_attention_heads": 4, "vocab_size": 128},
    "jais2 (grouped K/V, head_dim given)": {
        "model_type": "jais2", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 24, "intermediate_size": 32, "vocab_size": 128},
    "persimmon": {"model_type": "persimmon", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                  "intermediate_size": 32, "vocab_size": 128},
    "arcee (grouped K/V)": {"model_type": "arcee", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                            "num_key_value_heads": 2, "intermediate_size": 32, "vocab_size": 128},
    "nanochat (grouped K/V)": {"model_type": "nanochat", "hidden_size": 64, "num_hidden_layers": 2,
                               "num_attention_heads": 4, "num_key_value_heads": 1, "intermediate_size": 32,
                               "vocab_size": 128},
    "apertus (grouped K/V)": {"model_type": "apertus", "hidden_size": 64, "num_hidden_layers": 2,
                              "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 32,
                              "vocab_size": 128},
    "apertus1p5_text": {"model_type": "apertus1p5_text", "hidden_size": 64, "num_hidden_layers": 2,
                        "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 32, "vocab_size": 128},
}


def _small(cfg: dict) -> dict:
    return {**cfg, "bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0}


@pytest.mark.parametrize("case", list(CACHE_CASES))
def test_cache_bytes_equal_transformers_cache(case):
    cfg = _small(CACHE_CASES[case])
    spec = vl.load_model(cfg)
    cache = forward_cache(build_model(cfg, "float32"), TOKENS, batch=BATCH)
    layers = cache_layers(cache)
    assert len(layers) == spec.num_layers
    for keys, values in layers:  # (batch, KV heads, positions, head_dim): every position kept
        assert tuple(keys.shape) == tuple(values.shape) == (BATCH, spec.num_kv_heads, TOKENS, spec.head_dim)
    assert cache_bytes(cache) == vl.kv_cache_bytes(spec, tokens=TOKENS, concurrency=BATCH, kv_dtype="fp32")


def test_gpt_bigcode_multi_query_caches_one_head_of_hidden_over_heads():
    cfg = _small(CACHE_CASES["gpt_bigcode multi-query: one K/V head"])
    keys, _ = cache_layers(forward_cache(build_model(cfg, "float32"), TOKENS))[0]
    assert tuple(keys.shape) == (1, 1, TOKENS, cfg["n_embd"] // cfg["n_head"])


def test_openai_gpt_cache_is_refused_because_transformers_keeps_none():
    cfg = _small({"model_type": "openai-gpt", "n_embd": 64, "n_layer": 2, "n_head": 4, "n_positions": 64,
                  "vocab_size": 128})
    model = build_model(cfg, "float32")
    with torch.no_grad():
        out = model(input_ids=torch.zeros((1, TOKENS), dtype=torch.long), use_cache=True)
    assert getattr(out, "past_key_values", None) is None and getattr(out, "cache", None) is None
    spec = vl.load_model(cfg)
    assert spec.param_count() == meta_param_count(cfg)
    with pytest.raises(VramlabError, match="no KV cache"):
        vl.kv_cache_bytes(spec, tokens=TOKENS)


def test_cpmant_cache_is_refused_because_it_holds_the_prompt_positions_too():
    cfg = {"model_type": "cpmant", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
           "dim_head": 16, "dim_ff": 32, "vocab_size": 128, "prompt_types": 3, "prompt_length": 5}
    model = build_model(cfg, "float32")
    ids = torch.randint(1, cfg["vocab_size"], (1, TOKENS), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        cache = model(input_ids=ids, use_cache=True).past_key_values
    for keys, values in cache_layers(cache):
        assert keys.shape[-2] == values.shape[-2] == TOKENS + cfg["prompt_length"]
    spec = vl.load_model(cfg)
    assert spec.param_count() == meta_param_count(cfg)
    with pytest.raises(VramlabError, match="prompt_length"):
        vl.kv_cache_bytes(spec, tokens=TOKENS)
