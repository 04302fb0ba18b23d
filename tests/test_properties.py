"""Property tests (hypothesis, deterministic): monotonicity and exact ratios of the memory model."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import vramlab as vl
from vramlab.memory import kv_bytes_per_layer

SETTINGS = settings(derandomize=True, max_examples=40, deadline=None, database=None)

PRESETS = st.sampled_from(vl.list_models())
TOKENS = st.integers(min_value=1, max_value=300_000)
CONCURRENCY = st.integers(min_value=1, max_value=256)
KV_DTYPES = st.sampled_from(["bf16", "fp16", "fp8", "int8", "int4", "fp32"])


@st.composite
def geometries(draw, sliding: bool | None = None):
    """A Llama-like config with random geometry; ``sliding`` adds a window on some layers."""
    kv = draw(st.sampled_from([1, 2, 4, 8]))
    group = draw(st.sampled_from([1, 2, 3, 4, 8]))
    head_dim = draw(st.sampled_from([32, 64, 80, 128, 256]))
    layers = draw(st.integers(min_value=1, max_value=12))
    cfg = {
        "model_type": "llama", "num_hidden_layers": layers, "num_attention_heads": kv * group,
        "num_key_value_heads": kv, "head_dim": head_dim, "hidden_size": 64 * kv * group,
        "intermediate_size": 128, "vocab_size": 1000,
    }
    if sliding is None:
        sliding = draw(st.booleans())
    if sliding:
        cfg["sliding_window"] = draw(st.integers(min_value=1, max_value=5000))
        kinds = draw(st.lists(st.sampled_from(["sliding_attention", "full_attention"]),
                              min_size=layers, max_size=layers))
        cfg["layer_types"] = kinds
    return cfg


MODELS = st.one_of(PRESETS, geometries().map(vl.load_model))


@SETTINGS
@given(MODELS, TOKENS, TOKENS, CONCURRENCY, KV_DTYPES)
def test_kv_grows_with_tokens(m, t1, t2, c, kv):
    lo, hi = sorted((t1, t2))
    assert vl.kv_cache_bytes(m, lo, c, kv) <= vl.kv_cache_bytes(m, hi, c, kv)


@SETTINGS
@given(MODELS, TOKENS, CONCURRENCY, CONCURRENCY, KV_DTYPES)
def test_kv_linear_in_concurrency(m, t, c1, c2, kv):
    one = vl.kv_cache_bytes(m, t, 1, kv)
    assert vl.kv_cache_bytes(m, t, c1, kv) == c1 * one
    lo, hi = sorted((c1, c2))
    assert vl.kv_cache_bytes(m, t, lo, kv) <= vl.kv_cache_bytes(m, t, hi, kv)


@SETTINGS
@given(MODELS, TOKENS, CONCURRENCY)
def test_kv_precision_ratios_are_exact(m, t, c):
    def kv(dtype):  # the K/V part: a linear-attention state keeps its own dtype (fp32 recurrent state)
        return vl.memory.kv_cache_breakdown(m, t, c, dtype)["kv"]

    bf16 = kv("bf16")
    assert kv("fp8") * 2 == bf16
    assert kv("int4") * 4 == bf16
    assert kv("fp32") == 2 * bf16


@SETTINGS
@given(geometries(sliding=False), TOKENS)
def test_gqa_never_exceeds_mha(cfg, t):
    gqa = vl.load_model(cfg)
    mha = vl.load_model({**cfg, "num_key_value_heads": cfg["num_attention_heads"]})
    mqa = vl.load_model({**cfg, "num_key_value_heads": 1})
    assert mha.attention_kind == "MHA"
    assert vl.kv_cache_bytes(mqa, t) <= vl.kv_cache_bytes(gqa, t) <= vl.kv_cache_bytes(mha, t)
    # the ratio is exactly the group size
    assert vl.kv_cache_bytes(mha, t) == vl.kv_cache_bytes(gqa, t) * gqa.kv_group_size


@SETTINGS
@given(geometries(sliding=True), TOKENS, CONCURRENCY)
def test_sliding_window_never_exceeds_full_and_stops_growing(cfg, t, c):
    swa = vl.load_model(cfg)
    full = vl.load_model({k: v for k, v in cfg.items() if k not in ("sliding_window", "layer_types")})
    assert vl.kv_cache_bytes(swa, t, c) <= vl.kv_cache_bytes(full, t, c)
    w = cfg["sliding_window"]
    per_layer = kv_bytes_per_layer(swa, "auto")
    past = max(t, w)
    # past the window only the full-attention layers grow, by one position each per token
    growth = vl.kv_cache_bytes(swa, past + 100, c) - vl.kv_cache_bytes(swa, past, c)
    assert growth == c * 100 * swa.num_full_layers * per_layer
    if swa.num_full_layers == 0:
        assert vl.kv_cache_bytes(swa, past, c) == vl.kv_cache_bytes(swa, w, c)


@SETTINGS
@given(PRESETS, TOKENS, TOKENS, CONCURRENCY, CONCURRENCY, st.sampled_from(["auto", "bf16", "int4", "fp8"]),
       st.sampled_from(["auto", "bf16", "fp8"]), st.floats(min_value=0, max_value=1))
def test_estimate_total_is_sum_and_grows(model, t1, t2, c1, c2, wd, kd, margin):
    lo_t, hi_t = sorted((t1, t2))
    lo_c, hi_c = sorted((c1, c2))
    small = vl.estimate(model, lo_t, lo_c, wd, kd, margin)
    big_t = vl.estimate(model, hi_t, lo_c, wd, kd, margin)
    big_c = vl.estimate(model, lo_t, hi_c, wd, kd, margin)
    for e in (small, big_t, big_c):
        assert e.total == sum(e.parts().values())
        assert e.total == e.weights + e.kv_cache + e.overhead + e.margin
        assert e.margin == round((e.weights + e.kv_cache + e.overhead) * Fraction(margin))
    assert small.total <= big_t.total
    assert small.total <= big_c.total
    assert small.weights == big_t.weights == big_c.weights


@SETTINGS
@given(PRESETS, st.integers(min_value=1, max_value=300_000))
def test_bytes_per_token_without_context_bounds_the_average(m, context):
    """Capped sliding layers can only lower the per-token average."""
    assert vl.kv_bytes_per_token(m, "bf16", context=context) <= vl.kv_bytes_per_token(m, "bf16")


# -- the config boundary: equivalent spellings of one config give one model ----------------------
def _spec_facts(m) -> tuple:
    return (m.model_type, m.num_layers, m.num_q_heads, m.num_kv_heads, m.head_dim, m.hidden_size, m.vocab_size,
            m.intermediate_size, m.layers, m.tie_word_embeddings, m.torch_dtype, m.weight_format, m.num_experts,
            m.num_experts_per_tok, m.param_count())


def _text(cfg: dict) -> dict:
    return cfg["text_config"] if isinstance(cfg.get("text_config"), dict) else cfg


@SETTINGS
@given(model_id=PRESETS)
def test_dtype_key_and_torch_dtype_key_are_one_model(model_id):
    import copy

    from vramlab.presets import preset_record

    cfg = copy.deepcopy(preset_record(model_id)["config"])
    base = vl.load_model(cfg)
    for where in (cfg, _text(cfg)):
        if "torch_dtype" in where:
            where["dtype"] = where.pop("torch_dtype")
    assert _spec_facts(vl.load_model(cfg)) == _spec_facts(base)


@SETTINGS
@given(model_id=PRESETS, data=st.data())
def test_a_field_equal_to_the_family_default_may_be_left_out(model_id, data):
    import copy

    from vramlab.families import get_family
    from vramlab.presets import preset_record

    cfg = copy.deepcopy(preset_record(model_id)["config"])
    text = _text(cfg)
    defaults = get_family(vl.load_model(cfg).model_type).defaults
    same = sorted(k for k, v in defaults.items() if text.get(k) == v and k not in ("torch_dtype", "dtype"))
    if not same:
        return
    keys = data.draw(st.lists(st.sampled_from(same), min_size=1, unique=True))
    base = vl.load_model(cfg)
    for k in keys:
        text.pop(k)
    assert _spec_facts(vl.load_model(cfg)) == _spec_facts(base)


@SETTINGS
@given(model_id=PRESETS, data=st.data())
def test_a_null_without_a_meaning_is_the_family_default(model_id, data):
    import copy

    from vramlab.families import FIELDS, get_family
    from vramlab.presets import preset_record

    cfg = copy.deepcopy(preset_record(model_id)["config"])
    text = _text(cfg)
    defaults = get_family(vl.load_model(cfg).model_type).defaults
    plain = sorted(k for k in defaults if k in text and FIELDS[k].null is None and k not in ("torch_dtype",))
    if not plain:
        return
    key = data.draw(st.sampled_from(plain))
    absent = copy.deepcopy(cfg)
    _text(absent).pop(key)
    text[key] = None
    assert _spec_facts(vl.load_model(cfg)) == _spec_facts(vl.load_model(absent))
