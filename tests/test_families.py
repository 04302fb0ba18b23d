"""The family table: its defaults are transformers' own, its traits match the modules
transformers builds, and the config-field table validates what vramlab reads."""

from __future__ import annotations

import copy
import re
import dataclasses
import inspect

import pytest

import vramlab as vl
from vramlab import families
from vramlab.errors import VramlabError
from vramlab.families import FAMILIES, FIELDS, check_field, get_family, weight_format
from vramlab.presets import preset_record

# Qwen/Qwen1.5-MoE-A2.7B config.json (https://huggingface.co/Qwen/Qwen1.5-MoE-A2.7B/blob/main/config.json);
# the same fields are quoted in ZHUI/paddlenlp_model_readme qwen/qwen1.5-moe-a2.7b and in the
# Qwen1.5-MoE-A2.7B-Chat-GPTQ-Int4 card's "model config" block.
QWEN15_MOE = {
    "architectures": ["Qwen2MoeForCausalLM"], "decoder_sparse_step": 1, "hidden_size": 2048,
    "intermediate_size": 5632, "max_position_embeddings": 8192, "max_window_layers": 21, "model_type": "qwen2_moe",
    "moe_intermediate_size": 1408, "norm_topk_prob": False, "num_attention_heads": 16, "num_experts": 60,
    "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_key_value_heads": 16, "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0, "shared_expert_intermediate_size": 5632, "tie_word_embeddings": False,
    "torch_dtype": "bfloat16", "use_sliding_window": False, "vocab_size": 151936,
}

# Values the table deliberately gives differently from the transformers class, with the reason.
_DELIBERATE = {
    ("qwen2_moe", "mlp_only_layers"), ("qwen3_moe", "mlp_only_layers"),  # transformers: None, read as []
    ("qwen3_next", "mlp_only_layers"),
}


def _transformers_defaults(model_type: str) -> dict:
    transformers = pytest.importorskip("transformers")
    cls = transformers.AutoConfig.for_model(model_type).__class__
    if dataclasses.is_dataclass(cls):
        return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
    return {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty}


@pytest.mark.oracle
@pytest.mark.parametrize("model_type", sorted(FAMILIES))
def test_defaults_are_transformers_defaults(model_type):
    theirs = _transformers_defaults(model_type)
    checked = 0
    for key, value in FAMILIES[model_type].defaults.items():
        if key in theirs and (model_type, key) not in _DELIBERATE:
            assert theirs[key] == value, (model_type, key, theirs[key], value)
            checked += 1
    assert checked >= 2, model_type


def _one_layer_meta_model(config: dict):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from .oracle import hf_config

    cfg = copy.deepcopy(config)
    text = cfg["text_config"] if isinstance(cfg.get("text_config"), dict) else cfg
    text["num_hidden_layers"] = text.get("full_attention_interval", 2)  # the last layer attends
    for key in ("layer_types", "mlp_only_layers", "no_rope_layers"):  # per-layer lists of the full depth
        text.pop(key, None)
    if "linear_attn_config" in text:  # Kimi-Linear's 1-based layer lists: one KDA layer, then the MLA one
        text["linear_attn_config"] = {**text["linear_attn_config"], "kda_layers": [1], "full_attn_layers": [2]}
    text["first_k_dense_replace"] = min(text.get("first_k_dense_replace", 0), 1)
    built = hf_config(cfg)
    if type(built) not in transformers.MODEL_FOR_CAUSAL_LM_MAPPING:  # no causal-LM class: its language model
        built = hf_config(text)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(built)
    return model, text


@pytest.mark.oracle
@pytest.mark.parametrize("model_id", vl.list_models())
def test_norm_and_bias_traits_match_the_built_modules(model_id):
    """Norms per layer, q/k norms and q/k/v biases read off the last layer transformers builds."""
    model, text = _one_layer_meta_model(preset_record(model_id)["config"])
    m = vl.load_model(model_id)
    h = m.hidden_size
    last = text["num_hidden_layers"] - 1
    layer = [mod for name, mod in model.named_modules() if re.search(rf"\.(layers|h)\.{last}$", name)][0]
    params = dict(layer.named_parameters())
    norms = [n for n, p in params.items() if p.shape == (h,) and ("norm" in n.lower() or n.startswith("ln_"))
             and n.endswith("weight") and "q_norm" not in n and "k_norm" not in n and "kv_" not in n and "q_a" not in n]
    if m.attention_kind != "MLA":  # MLA's latent norms are counted with the attention
        assert len(norms) == families.norms_per_layer(m), (model_id, norms)
    assert any("q_norm" in n or "q_layernorm" in n for n in params) == families.has_qk_norm(m)
    if families.family_of(m).layout == "llama":
        assert any(n.endswith(("q_proj.bias", "query_key_value.bias", "c_attn.bias")) for n in params) == (
            families.has_qkv_bias(m))


@pytest.mark.oracle
def test_qwen2_moe_counts_the_shared_expert_and_its_gate():
    from .oracle import meta_param_count

    m = vl.load_model(QWEN15_MOE)
    assert m.exact and m.num_experts == 60
    assert m.param_count() == meta_param_count(QWEN15_MOE)
    h, L, shared = 2048, 24, 5632
    assert m.param_breakdown()["shared_experts"] == L * 3 * h * shared   # gate, up, down of the shared MLP
    assert families.shared_expert_width(m) == shared


def test_qwen2_moe_window_zero_as_transformers_5_saves_it():
    # Qwen2MoeConfig sets sliding_window = 0 when use_sliding_window is false, and saves it so
    m = vl.load_model({**QWEN15_MOE, "sliding_window": 0})
    assert m.sliding_window is None and m.num_full_layers == 24
    with pytest.raises(VramlabError, match="sliding_window"):
        vl.load_model({**QWEN15_MOE, "sliding_window": 0, "use_sliding_window": True})


def test_qwen2_moe_used_to_miss_its_shared_expert():
    # the generic path (what qwen2_moe loaded as before) counts the routed experts only
    generic = vl.load_model({**QWEN15_MOE, "model_type": "some_moe"})
    missing = vl.load_model(QWEN15_MOE).param_count() - generic.param_count()
    # 0.83 B: per layer the shared expert (3 h I_s), its h -> 1 gate (h) and the q/k/v biases (3 x 16 x 128)
    assert missing == 24 * (3 * 2048 * 5632 + 2048 + 3 * 16 * 128)
    assert not generic.exact


def test_every_family_has_a_layout_and_pattern_the_code_reads():
    for f in [*FAMILIES.values(), families.GENERIC]:
        assert f.layout in ("llama", "falcon", "mla")
        for rule in (f.qkv_bias, f.o_bias, f.mlp_bias, f.norm_affine, f.final_norm, f.qk_norm_rule, f.lm_head_bias):
            assert rule in ("always", "never") or FIELDS[rule].kind == "bool", (f.model_type, rule)
        assert f.mlp in ("gated", "plain") and f.norm_size in (0, 1, 2) and f.qk_norm_kind in ("head", "full")
        for key in (f.positions, f.embed_proj):
            assert key is None or FIELDS[key].kind == "int", (f.model_type, key)
        assert f.shared_expert in ("none", "deepseek", "gated", "single", "sized")
        assert f.moe_layers in ("all", "sparse_step", "first_k_dense", "period", "interleave", "range", "blocks")
        assert f.layer_pattern in ("full", "all_sliding", "alternate", "every_nth_full", "max_window_layers",
                                   "qwen2_moe", "linear_interval", "attn_period", "llama4")
        assert not f.moe or f.experts_keys  # experts may be optional (GENERIC; Granite-4.0-H: 0 or more)
        for key in f.defaults:
            assert key in FIELDS, (f.model_type, key)


def test_unknown_model_type_is_the_generic_family():
    assert get_family("my_new_decoder") is families.GENERIC
    assert get_family("gemma3") is FAMILIES["gemma3_text"]


def test_quantized_components_follow_the_family_rule():
    gpt = vl.load_model("openai/gpt-oss-20b")
    dense = vl.load_model("Qwen/Qwen3-8B")
    assert families.quantized_components(gpt, "mxfp4") == ("experts",)
    assert families.quantized_components(gpt, "int4") == families.QUANTIZED_COMPONENTS
    assert families.quantized_components(dense, "mxfp4") == families.QUANTIZED_COMPONENTS
    # weights_bytes uses that rule: mxfp4 gpt-oss keeps attention in bf16
    b = vl.weights_breakdown(gpt, "mxfp4")
    assert b["attention"] == 2 * gpt.param_breakdown()["attention"]


@pytest.mark.parametrize("key, value", [
    ("hidden_size", 0), ("hidden_size", "4096"), ("hidden_size", True), ("hidden_size", float("nan")),
    ("partial_rotary_factor", 0), ("partial_rotary_factor", 1.5), ("partial_rotary_factor", float("nan")),
    ("partial_rotary_factor", "0.5"), ("architectures", "LlamaForCausalLM"), ("architectures", [1]),
    ("tie_word_embeddings", "false"), ("mlp_only_layers", [-1]), ("layer_types", "full_attention"),
    ("hidden_size", "huge"),
])
def test_check_field_refuses_naming_the_field(key, value):
    if value == "huge":
        value = 10**5000  # more digits than Python prints: the message must still be built
    with pytest.raises(VramlabError) as exc:
        check_field(key, value)
    assert exc.value.field == key and key in str(exc.value)


def test_check_field_accepts_and_normalises():
    assert check_field("hidden_size", 4096.0) == 4096 and type(check_field("hidden_size", 4096.0)) is int
    assert check_field("partial_rotary_factor", 1) == 1
    assert check_field("architectures", ("A",)) == ["A"]


@pytest.mark.parametrize("q, name", [
    (None, None), ({"quant_method": "fp8"}, "fp8"), ({"quant_method": "mxfp4"}, "mxfp4"),
    ({"quant_method": "gptq", "bits": 4, "group_size": 128}, "int4"),
    ({"quant_method": "gptq", "bits": 4, "group_size": 32}, "int4-g32"),
    ({"quant_method": "awq", "bits": 8, "group_size": 64}, "int8-g64"),
    ({"quant_method": "awq", "w_bit": 4, "q_group_size": 128}, "int4"),
    ({"quant_method": "bitsandbytes", "load_in_8bit": True}, "int8"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_use_double_quant": True}, "nf4"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_use_double_quant": False}, "nf4-nodq"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": False, "load_in_8bit": False}, None),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
        "num_bits": 4, "type": "int", "group_size": 128, "strategy": "group", "symmetric": True}}}}, "int4-sym-g128"),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
        "num_bits": 4, "type": "int", "group_size": 128, "symmetric": False}}}}, "int4"),
    ({"quant_method": "compressed-tensors", "config_groups": {"group_0": {"weights": {
        "num_bits": 8, "type": "int", "strategy": "channel"}}}}, "int8"),
])
def test_weight_format_of_quantization_configs(q, name):
    assert weight_format(q) == name


@pytest.mark.parametrize("q, words", [
    ({"quant_method": "bitsandbytes", "load_in_4bit": "false"}, "'load_in_4bit' must be true or false"),
    ({"quant_method": "bitsandbytes", "load_in_8bit": 1}, "'load_in_8bit' must be true or false"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True, "load_in_8bit": True}, "not both"),
    ({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "int4"}, "bnb_4bit_quant_type"),
    ({"quant_method": "gptq", "bits": 3, "group_size": 128}, "bits must be 4 or 8"),
    ({"quant_method": "gptq", "bits": 4, "group_size": -1}, "group_size"),
    ({"quant_method": "gptq", "bits": True}, "bits"),
    ({"quant_method": "hqq"}, "quant_method must be one of"),
    ({"quant_method": 5}, "quant_method"),
    ({"bits": 4}, "quant_method"),
    ({"quant_method": "compressed-tensors"}, "config_groups"),
    ({"quant_method": "compressed-tensors", "config_groups": {"g": {"weights": {"num_bits": 4, "type": "float"}}}},
     "weights"),
    ({"quant_method": "compressed-tensors", "config_groups": {
        "a": {"weights": {"num_bits": 8, "type": "float"}},
        "b": {"weights": {"num_bits": 4, "type": "int", "group_size": 128}}}}, "one weight format"),
    ("fp8", "JSON object"),
])
def test_weight_format_refuses_by_name(q, words):
    with pytest.raises(VramlabError, match=words) as exc:
        weight_format(q)
    assert exc.value.field == "quantization_config"


def test_mla_head_width_is_nope_plus_rope_whatever_head_dim_says():
    # transformers 5 saves DeepSeek-V3 configs with head_dim = qk_rope_head_dim (64), the RoPE slice
    cfg = copy.deepcopy(preset_record("deepseek-ai/DeepSeek-V3")["config"])
    cfg["head_dim"] = cfg["qk_rope_head_dim"]
    m = vl.load_model(cfg)
    assert m.head_dim == cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
    assert m.param_count() == vl.load_model("deepseek-ai/DeepSeek-V3").param_count()


@pytest.mark.oracle
@pytest.mark.parametrize("types", [["dense", "sparse", "sparse", "sparse"], ["dense", "dense", "sparse", "sparse"]])
def test_deepseek_v32_reads_mlp_layer_types(types):
    from .oracle import meta_param_count

    from vramlab.oracle import reduced_config

    cfg = reduced_config("deepseek-ai/DeepSeek-V3.2-Exp", num_hidden_layers=4, mlp_layer_types=types,
                         first_k_dense_replace=3, n_routed_experts=8, hidden_size=256, intermediate_size=512,
                         moe_intermediate_size=64, num_attention_heads=4, num_key_value_heads=4, vocab_size=1000,
                         q_lora_rank=64, kv_lora_rank=32, index_n_heads=2)
    assert vl.load_model(cfg).param_count() == meta_param_count(cfg)


def test_deepseek_v32_refuses_mlp_layer_types_it_cannot_place():
    cfg = copy.deepcopy(preset_record("deepseek-ai/DeepSeek-V3.2-Exp")["config"])
    cfg.update(num_hidden_layers=4, mlp_layer_types=["dense", "sparse", "dense", "sparse"])
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(cfg)
    assert exc.value.field == "mlp_layer_types"


@pytest.mark.oracle
@pytest.mark.parametrize("model_type,change", [("jetmoe", {}), ("longcat_flash", {}), ("doge", {"is_moe": True}),
                                               ("gemma4_text", {"enable_moe_block": True, "num_experts": 8,
                                                                "top_k_experts": 2, "moe_intermediate_size": 64})])
def test_active_parameters_are_refused_where_not_modelled(model_type, change):
    from vramlab.oracle import default_config

    from .oracle import transformers  # noqa: F401  (skips without torch/transformers)

    cfg = {**default_config(model_type), **change}
    m = vl.load_model(cfg)
    assert m.param_count() > 0
    with pytest.raises(vl.VramlabError) as exc:
        m.active_param_count()
    assert exc.value.field == "model" and "active parameters are not modelled" in str(exc.value)


@pytest.mark.oracle
def test_every_layer_kind_the_families_build_is_a_known_kind():
    from vramlab.layers import ATTENTION_KINDS, STATE_KINDS
    from vramlab.oracle import causal_lm_model_types, default_config

    from .oracle import transformers  # noqa: F401  (skips without torch/transformers)

    seen = set()
    for mt in causal_lm_model_types():
        try:
            m = vl.load_model(default_config(mt))
        except Exception:  # noqa: BLE001 - refused or not built: tests/test_coverage.py judges those
            continue
        seen |= {la.kind for la in m.layers}
    assert seen <= set(ATTENTION_KINDS) | set(STATE_KINDS), seen - set(ATTENTION_KINDS) - set(STATE_KINDS)
    assert {"full", "sliding", "linear", "mamba", "mamba2", "conv", "kda"} <= seen
