"""Bad input raises VramlabError (a ValueError) naming the field and what is valid -- never a
KeyError, ZeroDivisionError or TypeError from deep inside."""

from __future__ import annotations

import copy
import json
import math

import pytest

import vramlab as vl
from vramlab import units
from vramlab.dtypes import get_dtype, int4_group_bits
from vramlab.errors import VramlabError
from vramlab.presets import preset_record
from vramlab.spec import from_config, read_config_file

BAD_VALUES = [0, -1, float("nan"), float("inf"), 10**20, "32", 3.5, True, [1], {"a": 1}]


def config(model_id: str = "Qwen/Qwen3-8B", **changes) -> dict:
    cfg = copy.deepcopy(preset_record(model_id)["config"])
    for k, v in changes.items():
        if v is KeyError:
            cfg.pop(k, None)
        else:
            cfg[k] = v
    return cfg


def use(cfg) -> None:
    """Load a config and run everything that reads it."""
    m = vl.load_model(cfg)
    m.param_breakdown()
    m.active_param_count()
    vl.estimate(m, tokens=100, concurrency=2)
    vl.weights_bytes(m, "int4")
    vl.weights_bytes(m, "mxfp4")
    vl.kv_bytes_per_token(m, "fp8", context=50)


def test_is_a_value_error():
    assert issubclass(VramlabError, ValueError)


# -- files ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content, words",
    [("{not json", "not valid JSON"), ("", "not valid JSON"), ("[1, 2]", "JSON object"),
     ('"config"', "JSON object"), ("[" * 100_000 + "]" * 100_000, "nested too deeply")],
)
def test_malformed_json_file(tmp_path, content, words):
    p = tmp_path / "config.json"
    p.write_text(content)
    for target in (p, str(p), tmp_path):
        with pytest.raises(VramlabError, match=words) as exc:
            vl.load_model(target)
        assert str(p) in str(exc.value)


def test_binary_file(tmp_path):
    p = tmp_path / "config.json"
    p.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(VramlabError, match="not valid JSON"):
        read_config_file(p)


def test_missing_file_or_preset():
    with pytest.raises(VramlabError, match="does not exist"):
        read_config_file("/nonexistent/config.json")
    with pytest.raises(VramlabError, match="not a preset or an existing config.json path") as exc:
        vl.load_model("/nonexistent/config.json")
    assert exc.value.field == "model"


def test_unknown_preset_suggests_closest():
    with pytest.raises(VramlabError) as exc:
        vl.load_model("Qwen/Qwen3-8X")
    msg = str(exc.value)
    assert "closest: Qwen/Qwen3-8B" in msg and "vramlab models" in msg
    with pytest.raises(VramlabError, match="gemma-2-9b"):
        vl.load_model("gemma2")
    with pytest.raises(VramlabError, match="Llama-3.1-8B-Instruct"):
        vl.load_model("llama-3.1-8b")


@pytest.mark.parametrize("bad", [[1, 2], 5, None, 3.5, b"bytes"])
def test_non_dict_config(bad):
    with pytest.raises(VramlabError) as exc:
        vl.load_model(bad)
    assert exc.value.field in ("model", "config")
    with pytest.raises(VramlabError, match="JSON object"):
        from_config(bad)
    with pytest.raises(VramlabError, match="model id must be a string"):
        preset_record(bad)


def test_nested_config_must_be_objects():
    with pytest.raises(VramlabError, match="'text_config' must be a JSON object"):
        vl.load_model({"model_type": "gemma3", "text_config": [1]})
    with pytest.raises(VramlabError, match="'model_type' must be a string"):
        vl.load_model(config(model_type=5))


# -- config fields ----------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size",
                                   "intermediate_size"])
def test_missing_needed_field(field):
    with pytest.raises(VramlabError) as exc:
        use(config(**{field: KeyError}))
    assert exc.value.field == field
    assert f"missing '{field}'" in str(exc.value) and "integer >= 1" in str(exc.value)


@pytest.mark.parametrize("field", ["num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size",
                                   "intermediate_size", "num_key_value_heads", "head_dim"])
@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_bad_core_field(field, value):
    with pytest.raises(VramlabError) as exc:
        use(config(**{field: value}))
    msg = str(exc.value)
    assert exc.value.field in (field, "num_key_value_heads")  # 'a divisor of heads' may be the complaint
    assert field in msg or "num_key_value_heads" in msg
    assert "between" in msg or "multiple" in msg


def test_heads_not_divisible_by_kv_heads():
    with pytest.raises(VramlabError) as exc:
        use(config(num_key_value_heads=5))
    assert exc.value.field == "num_key_value_heads"
    assert "32" in str(exc.value) and "divisors" in str(exc.value)
    with pytest.raises(VramlabError, match="multiple"):
        use(config(num_key_value_heads=64))


def test_hidden_not_divisible_without_head_dim():
    cfg = config("meta-llama/Llama-2-7b-hf", hidden_size=4001)
    with pytest.raises(VramlabError, match="head_dim") as exc:
        use(cfg)
    assert "4001" in str(exc.value)


def test_layer_types_length_mismatch():
    cfg = config("openai/gpt-oss-20b", layer_types=["sliding_attention", "full_attention"] * 3)
    with pytest.raises(VramlabError) as exc:
        use(cfg)
    assert exc.value.field == "layer_types"
    assert "24" in str(exc.value) and "6" in str(exc.value)


@pytest.mark.parametrize("value", ["sliding_attention", 5, None.__class__, ["linear_attention"] * 24,
                                   ["full_attention", 5] * 12])
def test_layer_types_bad_values(value):
    if value is None.__class__:
        value = {"a": 1}
    with pytest.raises(VramlabError) as exc:
        use(config("openai/gpt-oss-20b", layer_types=value))
    assert exc.value.field == "layer_types"
    assert "full_attention" in str(exc.value) and "sliding_attention" in str(exc.value)


def test_sliding_layers_need_a_window():
    cfg = config("meta-llama/Llama-3.1-8B-Instruct", layer_types=["sliding_attention", "full_attention"] * 16)
    with pytest.raises(VramlabError, match="no 'sliding_window'") as exc:
        use(cfg)
    assert exc.value.field == "sliding_window"


# Optional fields per family: every bad value is refused with a VramlabError naming the field
# (they used to raise ValueError/TypeError/ZeroDivisionError or be accepted silently).
OPTIONAL = [
    ("Qwen/Qwen3-30B-A3B", "num_experts"), ("Qwen/Qwen3-30B-A3B", "num_experts_per_tok"),
    ("Qwen/Qwen3-30B-A3B", "moe_intermediate_size"), ("Qwen/Qwen3-30B-A3B", "decoder_sparse_step"),
    ("Qwen/Qwen3-30B-A3B", "mlp_only_layers"),
    ("deepseek-ai/DeepSeek-V3", "q_lora_rank"), ("deepseek-ai/DeepSeek-V3", "qk_nope_head_dim"),
    ("deepseek-ai/DeepSeek-V3", "v_head_dim"), ("deepseek-ai/DeepSeek-V3", "kv_lora_rank"),
    ("deepseek-ai/DeepSeek-V3", "qk_rope_head_dim"), ("deepseek-ai/DeepSeek-V3", "n_routed_experts"),
    ("deepseek-ai/DeepSeek-V3", "n_shared_experts"), ("deepseek-ai/DeepSeek-V3", "first_k_dense_replace"),
    ("deepseek-ai/DeepSeek-V3", "moe_layer_freq"),
    ("google/gemma-3-27b-it", "sliding_window_pattern"), ("google/gemma-3-27b-it", "sliding_window"),
    ("mistralai/Mistral-7B-v0.1", "sliding_window"), ("openai/gpt-oss-20b", "num_local_experts"),
    ("Qwen/Qwen3-8B", "max_position_embeddings"),
]


def _set(model_id: str, field: str, value) -> dict:
    cfg = config(model_id)
    target = cfg["text_config"] if "text_config" in cfg else cfg
    target[field] = value
    return cfg


@pytest.mark.parametrize("model_id, field", OPTIONAL)
def test_bad_optional_fields(model_id, field):
    bad = [-1, float("nan"), float("inf"), 10**20, "8", 3.5, True, [1], {"a": 1}]
    if field not in ("first_k_dense_replace", "n_shared_experts", "num_experts", "n_routed_experts",
                     "num_local_experts"):
        bad.insert(0, 0)
    if field == "mlp_only_layers":
        bad = [0, 3.5, True, "8", {"a": 1}, [1.5], ["x"], [-1]]
    for value in bad:
        with pytest.raises(VramlabError) as exc:
            use(_set(model_id, field, value))
        assert field in str(exc.value) or exc.value.field in ("num_experts_per_tok",), (field, value)


@pytest.mark.parametrize("model_id, field", [
    ("Qwen/Qwen3-8B", "tie_word_embeddings"), ("meta-llama/Llama-2-7b-hf", "attention_bias"),
    ("meta-llama/Llama-2-7b-hf", "mlp_bias"), ("tiiuae/falcon-7b", "multi_query"),
    ("tiiuae/falcon-7b", "new_decoder_architecture"), ("tiiuae/falcon-7b", "bias"),
    ("tiiuae/falcon-7b", "parallel_attn"), ("Qwen/Qwen2.5-7B-Instruct", "use_sliding_window"),
])
def test_boolean_switches_must_be_booleans(model_id, field):
    for value in (0, 1, "true", "false", float("nan"), [True]):
        with pytest.raises(VramlabError, match="must be true or false") as exc:
            use(_set(model_id, field, value))
        assert exc.value.field == field


def test_torch_dtype_must_be_a_string():
    with pytest.raises(VramlabError, match="torch_dtype"):
        use(config(torch_dtype=16))


def test_num_experts_per_tok_range():
    with pytest.raises(VramlabError, match=r"between 1 and the number of experts \(128\)"):
        use(config("Qwen/Qwen3-30B-A3B", num_experts_per_tok=200))


def test_no_crash_fuzz_over_all_presets():
    """Every field of every preset set to a bad value: a VramlabError or a valid result, nothing else."""
    for model_id in vl.list_models():
        base = preset_record(model_id)["config"]
        text = base.get("text_config", base)
        for field in sorted(text):
            if field in ("model_type", "architectures", "quantization_config", "rope_scaling"):
                continue
            for value in (-1, float("nan"), "x", [None], {"k": 1}):
                cfg = _set(model_id, field, value)
                try:
                    use(cfg)
                except VramlabError:
                    pass


def test_no_crash_fuzz_any_field_on_each_family():
    """Fields of every family set on one model of each family (e.g. MoE fields on Falcon)."""
    fields = set()
    for model_id in vl.list_models():
        base = preset_record(model_id)["config"]
        fields |= set(base.get("text_config", base))
    fields -= {"model_type", "architectures", "quantization_config", "rope_scaling", "text_config"}
    for model_id in ("Qwen/Qwen3-30B-A3B", "deepseek-ai/DeepSeek-V2", "google/gemma-3-27b-it", "tiiuae/falcon-7b",
                     "openai/gpt-oss-20b", "Qwen/Qwen2.5-7B-Instruct", "google/gemma-2-9b"):
        for field in sorted(fields):
            for value in (0, float("nan"), "x", [None]):
                try:
                    use(_set(model_id, field, value))
                except VramlabError:
                    pass


# -- function arguments -----------------------------------------------------------------------
M = "Qwen/Qwen3-8B"


@pytest.mark.parametrize("kwargs, field", [
    ({"tokens": True}, "tokens"), ({"tokens": 1.5}, "tokens"), ({"tokens": "10"}, "tokens"),
    ({"tokens": 0}, "tokens"), ({"tokens": -1}, "tokens"), ({"tokens": float("nan")}, "tokens"),
    ({"tokens": 10**12}, "tokens"), ({"concurrency": 1.5}, "concurrency"), ({"concurrency": 0}, "concurrency"),
    ({"concurrency": True}, "concurrency"), ({"concurrency": 10**9}, "concurrency"),
    ({"margin": -0.1}, "margin"), ({"margin": "0.1"}, "margin"), ({"margin": float("inf")}, "margin"),
    ({"margin": True}, "margin"), ({"weight_dtype": "int3"}, "dtype"), ({"weight_dtype": 5}, "dtype"),
    ({"kv_dtype": "nf4"}, "kv_dtype"), ({"kv_dtype": "Q4_K_M"}, "kv_dtype"), ({"kv_dtype": "fp9"}, "kv_dtype"),
    ({"activation_tokens": -1}, "activation_tokens"), ({"framework_bytes": 1.5}, "framework_bytes"),
    ({"framework_bytes": -1}, "framework_bytes"),
])
def test_estimate_arguments(kwargs, field):
    with pytest.raises(VramlabError) as exc:
        vl.estimate(M, **kwargs)
    assert exc.value.field == field
    assert field.split("_")[0] in str(exc.value)


def test_range_is_named():
    with pytest.raises(VramlabError, match=r"tokens must be an integer between 1 and 1000000000, got 0"):
        vl.estimate(M, tokens=0)
    with pytest.raises(VramlabError, match=r"concurrency must be an integer between 0 and 10000000, got 1.5"):
        vl.kv_cache_bytes(M, 10, concurrency=1.5)
    with pytest.raises(VramlabError, match=r"kv_dtype 'nf4' is not a KV-cache format; valid: .*fp8"):
        vl.kv_cache_bytes(M, 10, kv_dtype="nf4")


@pytest.mark.parametrize("call", [
    lambda: vl.kv_cache_bytes(M, tokens=True),
    lambda: vl.kv_cache_bytes(M, tokens=-5),
    lambda: vl.kv_bytes_per_token(M, context=0),
    lambda: vl.kv_bytes_per_token(M, context=True),
    lambda: vl.activation_bytes(M, -1),
    lambda: vl.activation_bytes(M, 10, dtype="int3"),
    lambda: vl.weights_bytes(M, "int3"),
    lambda: vl.weights_breakdown(M, "int4", quantized="mlp"),
    lambda: vl.weights_breakdown(M, "int4", quantized=("foo",)),
    lambda: vl.weights_breakdown(M, "int4", quantized=5),
    lambda: vl.estimate(5),
    lambda: vl.load_model(""),
])
def test_other_arguments(call):
    with pytest.raises(VramlabError):
        call()


@pytest.mark.parametrize("call, field", [
    (lambda: vl.format_bytes("10", "GB"), "n_bytes"), (lambda: vl.format_bytes(None, "GB"), "n_bytes"),
    (lambda: vl.format_bytes(float("nan"), "GB"), "n_bytes"), (lambda: vl.format_bytes(True, "GB"), "n_bytes"),
    (lambda: vl.format_bytes(10, "gb"), "unit"), (lambda: vl.format_bytes(10, ["GB"]), "unit"),
    (lambda: vl.format_bytes(10, "GB", -1), "digits"), (lambda: units.to_unit("1", "GB"), "n_bytes"),
    (lambda: units.from_unit(float("inf"), "GB"), "value"), (lambda: units.format_both([1]), "n_bytes"),
    (lambda: vl.parse_bytes("24"), "size"), (lambda: vl.parse_bytes(None), "size"),
    (lambda: vl.parse_bytes("1e999 GB"), "size"),
    (lambda: int4_group_bits(0), "group_size"), (lambda: int4_group_bits(1.5), "group_size"),
    (lambda: int4_group_bits("128"), "group_size"), (lambda: int4_group_bits(128, "x"), "scale_bits"),
    (lambda: get_dtype(None), "dtype"), (lambda: get_dtype(""), "dtype"),
    (lambda: get_dtype("bf16").bytes_for(-1), "n_values"), (lambda: get_dtype("bf16").bytes_for(1.5), "n_values"),
])
def test_units_and_dtypes(call, field):
    with pytest.raises(VramlabError) as exc:
        call()
    assert exc.value.field == field
    assert field in str(exc.value)


def test_messages_are_one_line_and_show_the_value():
    cases = [lambda: vl.estimate(M, tokens=-3), lambda: use(config(hidden_size="4096")),
             lambda: vl.load_model("nope/nothing"), lambda: get_dtype("fp7")]
    for call in cases:
        with pytest.raises(VramlabError) as exc:
            call()
        msg = str(exc.value)
        assert "\n" not in msg
        assert any(s in msg for s in ("-3", "'4096'", "nope/nothing", "fp7"))


def test_json_round_trip_of_a_bad_file_value(tmp_path):
    cfg = config(num_hidden_layers=math.nan)
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))  # Python writes NaN, which json.loads reads back as nan
    with pytest.raises(VramlabError, match="num_hidden_layers"):
        vl.load_model(p)


@pytest.mark.parametrize("patch, field", [
    ({"quantization_config": "fp8"}, "quantization_config"),
    ({"torch_dtype": "float7"}, "torch_dtype"),
])
def test_checkpoint_dtype_fields_are_validated(patch, field):
    cfg = dict(vl.load_model("Qwen/Qwen3-8B").hf_config, **patch)
    with pytest.raises(VramlabError) as err:
        vl.estimate(cfg)
    assert err.value.field == field and repr(patch[field]) in str(err.value)


def test_bitsandbytes_4bit_checkpoint_reads_as_nf4():
    cfg = dict(vl.load_model("Qwen/Qwen3-8B").hf_config,
               quantization_config={"quant_method": "bitsandbytes", "load_in_4bit": True})
    assert vl.estimate(cfg).weight_dtype == "nf4"


# -- the validators: strict, bounded, one per kind of value -----------------------------------
import numpy as np  # noqa: E402
from decimal import Decimal  # noqa: E402
from fractions import Fraction  # noqa: E402

from vramlab import errors  # noqa: E402

NOT_NUMBERS = [True, False, np.bool_(True), b"1", bytearray(b"1"), "1", "nan", None, [1], (1,), {1}, {"a": 1},
               np.array([1]), np.array(1), np.array([[1.0]]), 1 + 0j, object()]


@pytest.mark.parametrize("value", NOT_NUMBERS + [math.nan, math.inf, -math.inf, 10**400, Decimal("NaN"),
                                                 Decimal("sNaN"), np.float64("nan")], ids=repr)
def test_check_number_refuses_what_is_not_a_finite_real(value):
    with pytest.raises(VramlabError) as exc:
        errors.check_number("margin", value, maximum=10)
    assert exc.value.field == "margin" and "margin must be a finite number >= 0.0 and <= 10" in str(exc.value)


@pytest.mark.parametrize("value", NOT_NUMBERS + [math.nan, math.inf, 1.5, Fraction(1, 2), Decimal("2.5"), 10**400],
                         ids=repr)
def test_check_int_refuses_what_is_not_a_whole_number(value):
    with pytest.raises(VramlabError) as exc:
        errors.check_int("tokens", value, minimum=1, maximum=errors.MAX_TOKENS)
    assert str(exc.value).startswith("tokens must be an integer between 1 and 1000000000, got ")


@pytest.mark.parametrize("value, expected", [(4096, 4096), (4096.0, 4096), (np.int64(4096), 4096),
                                             (np.float32(4096), 4096), (Fraction(8192, 2), 4096), (Decimal(4096), 4096)])
def test_check_int_accepts_numpy_scalars_and_whole_floats(value, expected):
    n = errors.check_int("tokens", value, minimum=1)
    assert n == expected and type(n) is int


@pytest.mark.parametrize("value", [0.25, np.float64(0.25), np.float32(0.25), Fraction(1, 4), Decimal("0.25"), 1, 0])
def test_check_number_accepts_real_numbers(value):
    x = errors.check_number("margin", value, maximum=10)
    assert x == float(value) and type(x) is float


def test_every_range_is_bounded():
    with pytest.raises(VramlabError, match="between 0 and 1000000000000000000"):
        errors.check_int("n", 10**19)
    with pytest.raises(VramlabError, match="<= 1e\\+18"):
        errors.check_number("x", 1e300)
    with pytest.raises(VramlabError, match="between 0 and 1125899906842624"):
        errors.check_bytes("framework_bytes", 2**50 + 1)
    assert errors.check_bytes("framework_bytes", 2**50) == 2**50
    with pytest.raises(VramlabError, match="between 1 and 10000000"):
        errors.check_concurrency("concurrency", 10**7 + 1)
    with pytest.raises(VramlabError, match="between 1 and 1000000000"):
        errors.check_tokens("tokens", 10**9 + 1)


def test_messages_of_huge_values_stay_short():
    with pytest.raises(VramlabError) as exc:
        errors.check_int("tokens", 10**5000, minimum=1, maximum=10)  # repr() of it would raise
    assert len(str(exc.value)) < 150
    with pytest.raises(VramlabError) as exc:
        errors.check_str("gpu", "x" * 100_000, max_len=100)
    assert len(str(exc.value)) < 200


@pytest.mark.parametrize("value", [0, 1, "yes", "true", None, np.array([True]), [True]], ids=repr)
def test_check_bool(value):
    with pytest.raises(VramlabError, match="count_cuda_graphs must be True or False"):
        errors.check_bool("count_cuda_graphs", value)
    assert errors.check_bool("x", np.bool_(False)) is False


@pytest.mark.parametrize("value", [4096, "4096", b"ab", {"a": 1}, None, np.array(5), np.array([[1, 2]]), [],
                                   range(0), iter([])], ids=repr)
def test_check_items_wants_a_collection(value):
    with pytest.raises(VramlabError) as exc:
        errors.check_items("contexts", value)
    assert exc.value.field == "contexts" and "list of 1 to 10000 items" in str(exc.value)


def test_check_items_checks_each_item_and_never_drains_an_endless_iterator():
    import itertools

    assert errors.check_items("c", (x for x in [1, 2]), lambda v: errors.check_int("c", v)) == (1, 2)
    assert errors.check_items("c", np.array([1, 2]), lambda v: errors.check_int("c", v)) == (1, 2)
    assert errors.check_items("c", {3}) == (3,)
    with pytest.raises(VramlabError, match="list of 1 to 5 items"):
        errors.check_items("c", itertools.count(), max_len=5)
    with pytest.raises(VramlabError, match="c must be an integer"):
        errors.check_items("c", [1, "2"], lambda v: errors.check_int("c", v))


def test_check_choice_and_str():
    assert errors.check_choice("usage", "llm", ("serve", "llm")) == "llm"
    for bad in ("LLM", ["llm"], None, np.array(["llm"])):
        with pytest.raises(VramlabError, match="usage must be one of serve, llm"):
            errors.check_choice("usage", bad, ("serve", "llm"))
    for bad in ("", "  ", b"x", None, 5):
        with pytest.raises(VramlabError, match="gpu must be a non-empty string"):
            errors.check_str("gpu", bad)


@pytest.mark.parametrize("call, field", [
    (lambda: vl.estimate(M, tokens=True), "tokens"), (lambda: vl.estimate(M, margin=b"1"), "margin"),
    (lambda: vl.estimate(M, concurrency=np.array([2])), "concurrency"),
    (lambda: vl.estimate(M, framework_bytes=10**300), "framework_bytes"),
    (lambda: vl.kv_pool(M, total_memory_gib=1e300), "total_memory_gib"),
    (lambda: vl.kv_pool(M, gpu_memory_utilization=True), "gpu_memory_utilization"),
    (lambda: vl.kv_cache_bytes(M, tokens=b"1"), "tokens"),
    (lambda: vl.training.lora_params(M, targets=None), "lora_targets"),
    (lambda: vl.training.lora_params(M, targets=5), "lora_targets"),
    (lambda: vl.weights_bytes(M, np.array(["bf16", "fp8"])), "dtype"),
    (lambda: vl.param_count("Qwen/Qwen3-8B"), "m"),
    (lambda: vl.load_model("a" * 300), "model"),
    (lambda: vl.load_model("a" * 100_000), "model"),
])
def test_entry_points_use_the_validators(call, field):
    with pytest.raises(VramlabError) as exc:
        call()
    assert exc.value.field == field
