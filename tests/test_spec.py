"""ModelSpec facts per family, recomputed in the test from the config.json fields."""

from __future__ import annotations

import dataclasses
import json

import pytest

import vramlab as vl
from vramlab.presets import preset_record
from vramlab.spec import EXACT_FAMILIES, from_config

MODELS = vl.list_models()


def text_config(model_id: str) -> dict:
    cfg = preset_record(model_id)["config"]
    return cfg.get("text_config", cfg)


def expected_head_dim(cfg: dict) -> int:
    if "kv_lora_rank" in cfg:  # MLA: queries and keys are qk_nope + qk_rope wide
        return cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
    if cfg.get("head_dim"):
        return cfg["head_dim"]
    return cfg["hidden_size"] // cfg["num_attention_heads"]


def expected_kv_heads(cfg: dict) -> int:
    if cfg.get("model_type") == "falcon":
        if cfg.get("new_decoder_architecture"):
            return cfg["num_kv_heads"]
        return 1 if cfg.get("multi_query", True) else cfg["num_attention_heads"]
    return cfg.get("num_key_value_heads") or cfg["num_attention_heads"]


def expected_kind(cfg: dict) -> str:
    if "kv_lora_rank" in cfg:
        return "MLA"
    kv, q = expected_kv_heads(cfg), cfg["num_attention_heads"]
    return "MQA" if kv == 1 else "MHA" if kv == q else "GQA"


@pytest.mark.parametrize("model_id", MODELS)
def test_geometry_from_config_fields(model_id):
    cfg = text_config(model_id)
    m = vl.load_model(model_id)
    assert m.num_layers == cfg["num_hidden_layers"]
    assert m.num_q_heads == cfg["num_attention_heads"]
    assert m.hidden_size == cfg["hidden_size"]
    assert m.head_dim == expected_head_dim(cfg)
    assert m.num_kv_heads == expected_kv_heads(cfg)
    assert m.attention_kind == expected_kind(cfg)
    assert len(m.layers) == m.num_layers
    assert m.exact
    assert m.model_type in EXACT_FAMILIES


@pytest.mark.parametrize(
    "model_id, explicit, implied",
    [
        ("Qwen/Qwen3-0.6B", 128, 1024 // 16),
        ("Qwen/Qwen3-32B", 128, 5120 // 64),
        ("google/gemma-3-27b-it", 128, 5376 // 32),
        ("openai/gpt-oss-20b", 64, 2880 // 64),
    ],
)
def test_explicit_head_dim_wins_over_hidden_over_heads(model_id, explicit, implied):
    cfg = text_config(model_id)
    assert cfg["head_dim"] == explicit != implied == cfg["hidden_size"] // cfg["num_attention_heads"]
    m = vl.load_model(model_id)
    assert m.head_dim == explicit
    # the KV cache follows the explicit width: 2 x layers x KV heads x head_dim x 2 bytes
    assert vl.kv_bytes_per_token(m, "bf16") == 2 * cfg["num_hidden_layers"] * cfg["num_key_value_heads"] * explicit * 2


def test_mla_head_dim_is_query_key_width():
    for model_id in ("deepseek-ai/DeepSeek-V2", "deepseek-ai/DeepSeek-V3"):
        cfg = text_config(model_id)
        m = vl.load_model(model_id)
        assert m.head_dim == cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"] == 192
        assert m.head_dim != cfg["hidden_size"] // cfg["num_attention_heads"]


def test_falcon_multi_query_means_one_kv_head():
    base = preset_record("tiiuae/falcon-7b")["config"]
    assert base["multi_query"] is True and base["new_decoder_architecture"] is False
    for extra in ({}, {"num_kv_heads": 71}, {"num_kv_heads": 8}):
        m = vl.load_model({**base, **extra})
        assert (m.num_kv_heads, m.attention_kind) == (1, "MQA")
        assert vl.kv_bytes_per_token(m, "bf16") == 2 * 32 * 1 * (4544 // 71) * 2 == 8192
    mha = vl.load_model({**base, "multi_query": False})
    assert (mha.num_kv_heads, mha.attention_kind) == (71, "MHA")
    new = vl.load_model({**base, "new_decoder_architecture": True, "num_kv_heads": 8, "num_attention_heads": 64,
                         "hidden_size": 8192})
    assert (new.num_kv_heads, new.attention_kind) == (8, "GQA")


def test_falcon_original_field_names():
    """The original RefinedWeb file says n_layer / n_head; they read as the standard fields."""
    cfg = dict(preset_record("tiiuae/falcon-7b")["config"])
    cfg["n_layer"], cfg["n_head"] = cfg.pop("num_hidden_layers"), cfg.pop("num_attention_heads")
    m = vl.load_model(cfg)
    assert (m.num_layers, m.num_q_heads, m.num_kv_heads, m.head_dim) == (32, 71, 1, 64)
    assert m.param_count() == vl.load_model("tiiuae/falcon-7b").param_count()


@pytest.mark.parametrize(
    "model_id, kind",
    [("meta-llama/Llama-2-7b-hf", "MHA"), ("microsoft/Phi-3-mini-4k-instruct", "MHA"),
     ("tiiuae/falcon-7b", "MQA"), ("Qwen/Qwen3-8B", "GQA"), ("meta-llama/Llama-3.1-405B", "GQA"),
     ("deepseek-ai/DeepSeek-V2", "MLA"), ("deepseek-ai/DeepSeek-V3", "MLA")],
)
def test_attention_kinds(model_id, kind):
    assert vl.load_model(model_id).attention_kind == kind


def kinds(model_id: str) -> list[str]:
    return [la.kind for la in vl.load_model(model_id).layers]


def test_mistral_every_layer_slides_4096():
    m = vl.load_model("mistralai/Mistral-7B-v0.1")
    assert text_config(m.name)["sliding_window"] == 4096
    assert all(la.kind == "sliding" and la.window == 4096 for la in m.layers)
    assert m.num_sliding_layers == m.num_layers == 32


def test_gemma2_alternates_starting_with_sliding():
    m = vl.load_model("google/gemma-2-9b")
    w = text_config(m.name)["sliding_window"]
    want = [("sliding", w) if i % 2 == 0 else ("full", None) for i in range(m.num_layers)]
    assert [(la.kind, la.window) for la in m.layers] == want
    assert (m.num_sliding_layers, m.num_full_layers) == (21, 21)


def test_gemma3_five_local_to_one_global():
    m = vl.load_model("google/gemma-3-27b-it")
    w = text_config(m.name)["sliding_window"]
    assert w == 1024
    want = [("full", None) if (i + 1) % 6 == 0 else ("sliding", w) for i in range(62)]
    assert [(la.kind, la.window) for la in m.layers] == want
    assert (m.num_sliding_layers, m.num_full_layers) == (52, 10)
    assert [i for i, la in enumerate(m.layers) if la.kind == "full"] == list(range(5, 62, 6))


def test_gpt_oss_follows_layer_types():
    cfg = text_config("openai/gpt-oss-20b")
    m = vl.load_model("openai/gpt-oss-20b")
    want = ["sliding" if t == "sliding_attention" else "full" for t in cfg["layer_types"]]
    assert kinds(m.name) == want
    assert {la.window for la in m.layers if la.kind == "sliding"} == {cfg["sliding_window"]} == {128}
    # a different layer_types list is followed, not the default alternation
    custom = dict(preset_record(m.name)["config"])
    custom["layer_types"] = ["full_attention"] * 20 + ["sliding_attention"] * 4
    assert kinds_of(custom) == ["full"] * 20 + ["sliding"] * 4


def kinds_of(cfg: dict) -> list[str]:
    return [la.kind for la in vl.load_model(cfg).layers]


def test_phi3_window_and_full_attention_families():
    assert set(kinds("microsoft/Phi-3-mini-4k-instruct")) == {"sliding"}
    assert vl.load_model("microsoft/Phi-3-mini-4k-instruct").sliding_window == 2047
    for model_id in ("Qwen/Qwen3-8B", "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct",
                     "deepseek-ai/DeepSeek-V3", "tiiuae/falcon-7b"):
        assert set(kinds(model_id)) == {"full"}, model_id
        assert vl.load_model(model_id).sliding_window is None


def test_qwen2_use_sliding_window_from_max_window_layers():
    cfg = dict(preset_record("Qwen/Qwen2.5-7B-Instruct")["config"])
    cfg.update(use_sliding_window=True, sliding_window=4096, max_window_layers=20)
    assert kinds_of(cfg) == ["full"] * 20 + ["sliding"] * 8


def test_generic_path_is_flagged_approximate():
    cfg = {"model_type": "my_new_decoder", "hidden_size": 2048, "intermediate_size": 5632,
           "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4, "vocab_size": 32000}
    m = vl.load_model(cfg)
    assert m.exact is False
    assert any("approximate" in w for w in m.warnings)
    assert (m.head_dim, m.num_kv_heads, m.attention_kind) == (64, 4, "GQA")
    # its count follows the Llama layout: computed here from the fields
    h, L, i, v, q, kv, d = 2048, 22, 5632, 32000, 32, 4, 64
    blocks = L * (2 * h * q * d + 2 * h * kv * d + 3 * h * i + 2 * h) + h
    # transformers' PretrainedConfig ties the output head by default: one V x h matrix
    assert m.param_count() == v * h + blocks
    assert vl.load_model({**cfg, "tie_word_embeddings": False}).param_count() == 2 * v * h + blocks
    for model_id in MODELS:
        assert vl.load_model(model_id).warnings == () or "multimodal" in vl.load_model(model_id).warnings[0]


def test_multimodal_gemma3_counts_the_language_model():
    m = vl.load_model("google/gemma-3-27b-it")
    assert m.model_type == "gemma3_text"
    assert any("vision" in w for w in m.warnings)
    assert m.vocab_size == 262208  # Gemma3TextConfig default, absent from the file
    assert "vocab_size" not in preset_record(m.name)["config"]["text_config"]


def test_spec_keeps_raw_config_and_is_frozen():
    raw = preset_record("Qwen/Qwen3-8B")["config"]
    m = vl.load_model(raw)
    assert m.hf_config == raw
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.num_layers = 1  # type: ignore[misc]
    assert vl.load_model(m) is m


def test_load_from_file_and_folder(tmp_path):
    raw = preset_record("Qwen/Qwen3-0.6B")["config"]
    (tmp_path / "config.json").write_text(json.dumps(raw))
    a = vl.load_model(str(tmp_path / "config.json"))
    b = vl.load_model(tmp_path)
    assert a.param_count() == b.param_count() == vl.load_model("Qwen/Qwen3-0.6B").param_count()


def test_preset_ids_case_insensitive_and_short():
    assert vl.load_model("qwen/qwen3-8b").name == "Qwen/Qwen3-8B"
    assert vl.load_model("Qwen3-8B").name == "Qwen/Qwen3-8B"


def test_kv_elements_per_layer():
    m = from_config(preset_record("Qwen/Qwen3-8B")["config"])
    assert m.kv_elements_per_token_per_layer == 2 * 8 * 128
    assert m.kv_group_size == 32 // 8
