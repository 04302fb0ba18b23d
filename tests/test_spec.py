"""ModelSpec facts per family, recomputed in the test from the config.json fields."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

import vramlab as vl
from vramlab.presets import preset_record
from vramlab.spec import EXACT_FAMILIES, from_config

MODELS = vl.list_models()


#: GPT-2's spellings of the standard fields (its config class's attribute_map).
GPT2_NAMES = {"n_layer": "num_hidden_layers", "n_head": "num_attention_heads", "n_embd": "hidden_size"}


def text_config(model_id: str) -> dict:
    cfg = preset_record(model_id)["config"]
    cfg = cfg.get("text_config", cfg)
    return {GPT2_NAMES.get(k, k): v for k, v in cfg.items()}


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


# -- validation at the boundary: keys, nulls and MoE fields mean what transformers means -------
# mistralai/Mistral-Nemo-Instruct-2407 config.json (https://huggingface.co/mistralai/Mistral-Nemo-Instruct-2407/
# blob/main/config.json; the same architecture fields as Mistral-Nemo-Base-2407, quoted in
# kevinstephano/thunder_model_blocks thunder_model_blocks/mistral/mistral_config.py): "sliding_window": null.
NEMO = {"architectures": ["MistralForCausalLM"], "head_dim": 128, "hidden_size": 5120, "intermediate_size": 14336,
        "max_position_embeddings": 1024000, "model_type": "mistral", "num_attention_heads": 32,
        "num_hidden_layers": 40, "num_key_value_heads": 8, "rope_theta": 1000000.0, "sliding_window": None,
        "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 131072}
# mistralai/Mistral-7B-v0.3 config.json (https://huggingface.co/mistralai/Mistral-7B-v0.3/blob/main/config.json):
# v0.2's 32k context without the sliding window, vocabulary 32768.
MISTRAL_V03 = {"architectures": ["MistralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
               "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
               "num_hidden_layers": 32, "num_key_value_heads": 8, "rope_theta": 1000000.0, "sliding_window": None,
               "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 32768}


def test_null_sliding_window_is_no_window():
    nemo = vl.load_model(NEMO)
    assert nemo.sliding_window is None and nemo.num_sliding_layers == 0
    # 40 layers x (K + V) x 8 heads x 128 x 2 bytes x 32,768 positions = 5 GiB (the window of 4096 gave 0.625)
    assert vl.kv_cache_bytes(nemo, 32768, kv_dtype="bf16") == 40 * 2 * 8 * 128 * 2 * 32768 == 5 * 2**30
    v03 = vl.load_model(MISTRAL_V03)
    assert vl.kv_cache_bytes(v03, 32768, kv_dtype="bf16") == 32 * 2 * 8 * 128 * 2 * 32768
    # an absent window is the family default: MistralConfig's 4096
    absent = {k: v for k, v in MISTRAL_V03.items() if k != "sliding_window"}
    assert vl.load_model(absent).sliding_window == 4096


@pytest.mark.oracle
@pytest.mark.parametrize("cfg", [NEMO, MISTRAL_V03], ids=["nemo", "v0.3"])
def test_null_window_configs_count_as_transformers(cfg):
    from .oracle import hf_config, meta_param_count

    assert vl.load_model(cfg).param_count() == meta_param_count(cfg)
    assert hf_config(cfg).sliding_window is None


def test_null_head_dim_is_hidden_over_heads():
    cfg = dict(text_config("Qwen/Qwen3-8B"), head_dim=None)   # Qwen3Config's default would be 128 too
    m = vl.load_model({**cfg, "hidden_size": 2048, "intermediate_size": 4096})
    assert m.head_dim == 2048 // 32
    gemma = dict(text_config("google/gemma-2-9b"), head_dim=None)   # Gemma2Config's default: 256
    assert vl.load_model(gemma).head_dim == 3584 // 16


def test_dtype_key_equals_torch_dtype_key():
    old = dict(preset_record("meta-llama/Llama-3.1-8B-Instruct")["config"])
    new = {k: v for k, v in old.items() if k != "torch_dtype"}
    new["dtype"] = old["torch_dtype"]   # transformers >= 4.56 writes "dtype"
    m_old, m_new = vl.load_model(old), vl.load_model(new)
    assert m_new.torch_dtype == "bfloat16"
    assert vl.weights_bytes(m_new) == vl.weights_bytes(m_old) == 2 * m_old.param_count()   # 16.1 GB, not 32.1
    both = dict(old, dtype="float16")   # transformers: dtype wins over the deprecated torch_dtype
    assert vl.load_model(both).torch_dtype == "float16"
    bare = {k: v for k, v in old.items() if k != "torch_dtype"}
    assert vl.load_model(bare).torch_dtype == "float32"   # the Llama family default applies only when absent


@pytest.mark.parametrize("key, value", [("dtype", "float7"), ("dtype", 16), ("torch_dtype", ["bfloat16"])])
def test_bad_dtype_values_are_refused_by_key(key, value):
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(dict(text_config("Qwen/Qwen3-8B"), **{key: value}))
    assert exc.value.field == key


@pytest.mark.parametrize("value", ["Qwen3ForCausalLM", [1], [None], {"a": 1}])
def test_architectures_must_be_a_list_of_strings(value):
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(dict(text_config("Qwen/Qwen3-8B"), architectures=value))
    assert exc.value.field == "architectures"
    cfg = {k: v for k, v in text_config("Qwen/Qwen3-8B").items() if k != "model_type"}
    with pytest.raises(vl.VramlabError):   # read to guess the family when model_type is absent
        vl.load_model(dict(cfg, architectures=value))


@pytest.mark.parametrize("value", [0, -0.5, 1.01, float("nan"), "0.5", True])
def test_partial_rotary_factor_in_zero_one(value):
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(dict(text_config("microsoft/Phi-3-mini-4k-instruct"), partial_rotary_factor=value))
    assert exc.value.field == "partial_rotary_factor"
    assert vl.load_model(dict(text_config("microsoft/Phi-3-mini-4k-instruct"), partial_rotary_factor=0.5))


def test_moe_family_with_zero_experts_is_refused_not_dense():
    cfg = dict(text_config("Qwen/Qwen3-30B-A3B"), num_experts=0, num_experts_per_tok=8)
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(cfg)
    assert exc.value.field == "num_experts" and "0" in str(exc.value)
    generic = dict(cfg, model_type="my_moe")   # outside the table: 0 experts with 8 per token is refused too
    with pytest.raises(vl.VramlabError, match="num_experts_per_tok"):
        vl.load_model(generic)


@pytest.mark.oracle
@pytest.mark.parametrize("model_id, key", [("deepseek-ai/DeepSeek-V3", "n_routed_experts"),
                                           ("openai/gpt-oss-20b", "num_local_experts"),
                                           ("Qwen/Qwen3-30B-A3B", "num_experts")])
def test_missing_expert_count_takes_the_transformers_default(model_id, key):
    transformers = pytest.importorskip("transformers")
    cfg = {k: v for k, v in text_config(model_id).items() if k != key}
    theirs = transformers.AutoConfig.for_model(cfg["model_type"])
    m = vl.load_model(cfg)
    assert m.num_experts == getattr(theirs, key) > 0


def test_missing_experts_per_token_without_a_default_refuses_what_needs_it():
    cfg = {k: v for k, v in text_config("deepseek-ai/DeepSeek-V2").items() if k != "num_experts_per_tok"}
    m = vl.load_model(cfg)   # DeepseekV2Config's default is None: the parameters are counted
    assert m.param_count() == vl.load_model("deepseek-ai/DeepSeek-V2").param_count()
    for needs_it in (vl.active_param_count, lambda m: vl.activation_bytes(m, 2048, 1)):
        with pytest.raises(vl.VramlabError) as exc:
            needs_it(m)
        assert exc.value.field == "num_experts_per_tok"


def test_gpt_oss_without_intermediate_size_takes_2880():
    cfg = {k: v for k, v in text_config("openai/gpt-oss-20b").items() if k != "intermediate_size"}
    m = vl.load_model(cfg)
    assert m.intermediate_size == 2880
    assert m.param_count() == preset_record("openai/gpt-oss-20b")["reference"]["params_computed_from_config"]
    assert m.param_count() == 20_914_757_184


def test_moe_without_dense_width_needs_it_only_with_dense_layers():
    cfg = {k: v for k, v in text_config("deepseek-ai/DeepSeek-V3").items() if k != "intermediate_size"}
    with pytest.raises(vl.VramlabError, match="intermediate_size"):   # 3 dense layers need it
        vl.load_model(cfg)
    q = {k: v for k, v in text_config("Qwen/Qwen3-30B-A3B").items() if k != "intermediate_size"}
    assert vl.load_model(q).param_count() == vl.load_model("Qwen/Qwen3-30B-A3B").param_count()


def test_expert_fields_on_a_dense_family_are_ignored_as_transformers_does():
    cfg = dict(text_config("meta-llama/Llama-3.1-8B-Instruct"), num_local_experts=8, num_experts_per_tok=2)
    assert not vl.load_model(cfg).is_moe


# -- config files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, words", [
    ('{"hidden_size": ' + "9" * 5000 + "}", "not valid JSON"),
    ('{"rope_theta": NaN, "hidden_size": 1}', "rope_theta"),
    ('{"a": [1, [Infinity]]}', "'a'"),
    ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ('{"a": "\\ud800"}' + "\udcff", "not valid JSON"),
])
def test_every_json_decoding_failure_is_a_vramlab_error(tmp_path, text, words):
    p = tmp_path / "config.json"
    p.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(vl.VramlabError, match=words):
        vl.load_model(p)


@pytest.mark.parametrize("text", ['{"a": ' + "1" * 5000 + "}", "[" * 200_000, '{"a": -Infinity}', "[1]", "\ud800"])
def test_config_text_parser_refuses_every_decoding_failure(text):
    from vramlab.spec import parse_config_json

    with pytest.raises(vl.VramlabError) as exc:
        parse_config_json(text)
    assert exc.value.field == "config"


def test_only_regular_files_of_at_most_64_mib_are_read(tmp_path):
    import os

    from vramlab.spec import MAX_CONFIG_BYTES, read_config_file

    big = tmp_path / "config.json"
    with big.open("wb") as fh:   # sparse: 64 MiB + 1 byte without writing them
        fh.truncate(MAX_CONFIG_BYTES + 1)
    with pytest.raises(vl.VramlabError, match="64 MiB"):
        read_config_file(big)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(vl.VramlabError, match="not a regular file"):
        read_config_file(fifo)   # a FIFO would block a plain open()
    with pytest.raises(vl.VramlabError, match="not a regular file"):
        read_config_file(tmp_path)


@pytest.mark.parametrize("model_id,key", [("moonshotai/Kimi-Linear-48B-A3B-Instruct", "num_hidden_layers"),
                                          ("openai-community/gpt2", "n_layer")])
def test_a_huge_layer_count_is_refused_before_any_per_layer_list_is_built(model_id, key):
    cfg = copy.deepcopy(preset_record(model_id)["config"])
    cfg[key] = 10**9   # a family's prepare hook would build a list of that many layers
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(cfg)
    assert exc.value.field == key and "10,000" in str(exc.value)
