"""Parameter counts: recomputed from config fields, the research file's figures, MoE active counts.

(The transformers meta-device comparison for every preset is in test_oracle_params.py.)
"""

from __future__ import annotations

import pytest

import vramlab as vl
from vramlab.params import COMPONENTS, moe_layer_indices, params_per_expert
from vramlab.presets import preset_record

from .reference import checkpoint_params

MODELS = vl.list_models()


def ref(model_id: str) -> dict:
    """Figures computed independently from config.json when the presets were researched."""
    return preset_record(model_id)["reference"]


@pytest.mark.parametrize("model_id", MODELS)
def test_breakdown_sums_to_total(model_id):
    m = vl.load_model(model_id)
    b = m.param_breakdown()
    assert set(b) <= set(COMPONENTS)
    assert all(isinstance(v, int) and v > 0 for v in b.values())
    assert sum(b.values()) == m.param_count()


@pytest.mark.parametrize("model_id", MODELS)
def test_total_matches_reference_figure(model_id):
    m = vl.load_model(model_id)
    want = checkpoint_params(model_id)  # a multimodal checkpoint's vision tower included
    if model_id == "deepseek-ai/DeepSeek-V3":
        # the research figure counts the router bias e_score_correction_bias (256 x 58 MoE
        # layers), which transformers registers as a buffer, not a parameter
        want -= 256 * len(moe_layer_indices(m))
        assert 256 * 58 == 14_848
    assert m.param_count() == want


@pytest.mark.parametrize("model_id", MODELS)
def test_embedding_and_head_split(model_id):
    m = vl.load_model(model_id)
    b = m.param_breakdown()
    v, h = m.vocab_size, m.hidden_size
    positions = preset_record(model_id)["config"].get("n_positions", 0) * h  # GPT-2's learned positions
    assert b["embeddings"] == v * h + positions
    if m.tie_word_embeddings:
        assert "lm_head" not in b
    else:
        assert b["lm_head"] == v * h
    r = ref(model_id)
    if "embedding_and_lm_head_computed" in r:
        assert b["embeddings"] + b.get("lm_head", 0) == r["embedding_and_lm_head_computed"]


@pytest.mark.parametrize("model_id", ["Qwen/Qwen3-8B", "Qwen/Qwen3-0.6B", "Qwen/Qwen3-32B"])
def test_qwen3_count_from_fields(model_id):
    c = preset_record(model_id)["config"]
    h, L, i, v = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"], c["vocab_size"]
    q, kv, d = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    per_layer = (h * q * d + 2 * h * kv * d + q * d * h  # q, k, v, o projections
                 + 3 * h * i                            # gate, up, down
                 + 2 * h + 2 * d)                       # two RMSNorms + q_norm, k_norm
    total = L * per_layer + h + v * h * (1 if c["tie_word_embeddings"] else 2)
    assert vl.load_model(model_id).param_count() == total


def test_qwq_32b_count_from_fields_with_qkv_bias():
    c = preset_record("Qwen/QwQ-32B")["config"]
    h, L, i, v, q, kv = (c[k] for k in ("hidden_size", "num_hidden_layers", "intermediate_size", "vocab_size",
                                        "num_attention_heads", "num_key_value_heads"))
    d = h // q
    per_layer = 2 * h * q * d + 2 * h * kv * d + (q + 2 * kv) * d + 3 * h * i + 2 * h
    assert vl.load_model("Qwen/QwQ-32B").param_count() == L * per_layer + h + 2 * v * h == 32_763_876_352


def test_llama2_and_falcon_from_fields():
    c = preset_record("meta-llama/Llama-2-7b-hf")["config"]
    h, L, i, v = c["hidden_size"], c["num_hidden_layers"], c["intermediate_size"], c["vocab_size"]
    assert vl.load_model("meta-llama/Llama-2-7b-hf").param_count() == L * (4 * h * h + 3 * h * i + 2 * h) + h + 2 * v * h
    f = preset_record("tiiuae/falcon-7b")["config"]
    h, L, v, q = f["hidden_size"], f["num_hidden_layers"], f["vocab_size"], f["num_attention_heads"]
    d = h // q
    # fused QKV (71 query heads + 1 K + 1 V), dense out, h -> 4h -> h MLP, one LayerNorm (w + b), tied head
    per_layer = h * (q + 2) * d + h * h + 2 * h * 4 * h + 2 * h
    assert vl.load_model("tiiuae/falcon-7b").param_count() == L * per_layer + 2 * h + v * h


def test_params_published_figures():
    counts = {i: vl.load_model(i).param_count() for i in MODELS}
    assert counts["Qwen/Qwen3-8B"] == 8_190_735_360
    assert counts["Qwen/QwQ-32B"] == 32_763_876_352
    assert counts["deepseek-ai/DeepSeek-V3"] == 671_026_404_352


@pytest.mark.parametrize(
    "model_id, active",
    [("Qwen/Qwen3-30B-A3B", 3_353_032_704), ("deepseek-ai/DeepSeek-V2", 21_375_800_320),
     ("openai/gpt-oss-20b", 4_187_440_704)],
)
def test_moe_active_params(model_id, active):
    m = vl.load_model(model_id)
    assert m.is_moe
    assert m.active_param_count() == active == ref(model_id)["active_params_computed"]
    # recomputed: total minus the routed experts a token does not visit
    w, b = params_per_expert(m)
    idle = (m.num_experts - m.num_experts_per_tok) * len(moe_layer_indices(m))
    assert m.param_count() - idle * (w + b) == active


def test_moe_expert_sizes_from_fields():
    q = preset_record("Qwen/Qwen3-30B-A3B")["config"]
    assert params_per_expert(vl.load_model("Qwen/Qwen3-30B-A3B")) == (3 * q["hidden_size"] * q["moe_intermediate_size"], 0)
    g = preset_record("openai/gpt-oss-20b")["config"]
    h, i = g["hidden_size"], g["intermediate_size"]
    # gate_up (h x 2i) with bias 2i, down (i x h) with bias h
    assert params_per_expert(vl.load_model("openai/gpt-oss-20b")) == (3 * h * i, 2 * i + h)


def test_moe_layer_indices_from_fields():
    v3 = preset_record("deepseek-ai/DeepSeek-V3")["config"]
    idx = moe_layer_indices(vl.load_model("deepseek-ai/DeepSeek-V3"))
    assert idx == list(range(v3["first_k_dense_replace"], v3["num_hidden_layers"]))
    v2 = preset_record("deepseek-ai/DeepSeek-V2")["config"]
    assert moe_layer_indices(vl.load_model("deepseek-ai/DeepSeek-V2")) == list(range(v2["first_k_dense_replace"], 60))
    assert moe_layer_indices(vl.load_model("Qwen/Qwen3-30B-A3B")) == list(range(48))
    assert moe_layer_indices(vl.load_model("Qwen/Qwen3-8B")) == []


def test_deepseek_shared_experts_and_router():
    m = vl.load_model("deepseek-ai/DeepSeek-V2")
    c = m.hf_config
    b = m.param_breakdown()
    n_moe = c["num_hidden_layers"] - c["first_k_dense_replace"]
    assert b["shared_experts"] == n_moe * c["n_shared_experts"] * 3 * c["hidden_size"] * c["moe_intermediate_size"]
    assert b["router"] == n_moe * c["n_routed_experts"] * c["hidden_size"]
    assert b["experts"] == n_moe * c["n_routed_experts"] * 3 * c["hidden_size"] * c["moe_intermediate_size"]


@pytest.mark.parametrize("model_id", [i for i in MODELS if not vl.load_model(i).is_moe])
def test_dense_active_equals_total(model_id):
    m = vl.load_model(model_id)
    assert m.active_param_count() == m.param_count()
    assert "experts" not in m.param_breakdown()


def test_non_embedding_reference():
    for model_id in MODELS:
        r = ref(model_id)
        if "non_embedding_computed" not in r or model_id == "deepseek-ai/DeepSeek-V3":
            continue
        b = vl.load_model(model_id).param_breakdown()
        text = sum(b.values()) - b.get("vision", 0)  # the reference figure is the language model's
        assert text - b["embeddings"] - b.get("lm_head", 0) == r["non_embedding_computed"], model_id


def test_learned_positions_without_their_number_are_refused():
    cfg = {"model_type": "opt", "num_hidden_layers": 2, "hidden_size": 64, "ffn_dim": 96, "num_attention_heads": 4,
           "vocab_size": 300, "max_position_embeddings": None}
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(cfg).param_count()
    assert exc.value.field == "max_position_embeddings"
