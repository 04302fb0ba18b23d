"""The pandas sweeps, against figures recomputed from config fields, datasheets and the fit checks."""

from __future__ import annotations

from fractions import Fraction

import pytest

import vramlab as vl
from vramlab import tables
from vramlab.presets import preset_record

from .reference import bf16_weights, kv_per_token_16bit

pytest.importorskip("pandas")

GiB = 2**30
FRAMEWORK = GiB


def one_gpu_need(model_id: str, tokens: int, conc: int) -> int:
    act_tokens = min(tokens * conc, 2048)
    sub = (bf16_weights(model_id) + kv_per_token_16bit(model_id) * tokens * conc
           + vl.activation_bytes(model_id, act_tokens, min(conc, act_tokens)) + FRAMEWORK)
    return sub + round(sub * Fraction(1, 10))


# ---------------------------------------------------------------- formats and weights
def test_precisions_table_bits_include_the_scales():
    t = tables.precisions_table(["fp32", "bf16", "int4"]).set_index("format")
    assert t.loc["fp32", "bits"] == 32 and t.loc["bf16", "GB_per_1B_params"] == 2.0
    # GPTQ/AWQ int4, group 128: 4 bits + one fp16 scale and a packed 4-bit zero per 128 values
    assert t.loc["int4", "bits"] == pytest.approx(4 + (16 + 4) / 128)
    assert t.loc["int4", "quantizes"] == "linear layers" and t.loc["bf16", "quantizes"] == "every tensor"


def test_weights_table_is_bytes_per_parameter():
    t = tables.weights_table(["Qwen/Qwen3-8B", "Qwen/QwQ-32B"], ["bf16", "fp32"], unit="GiB")
    assert t["model"].tolist() == ["Qwen/Qwen3-8B", "Qwen/QwQ-32B"]
    assert t.attrs["unit"] == "GiB"
    for _, r in t.iterrows():
        assert r["params"] == preset_record(r["model"])["reference"]["params_computed_from_config"]
        assert r["bf16"] == round(2 * r["params"] / GiB, 2) and r["fp32"] == round(4 * r["params"] / GiB, 2)


def test_every_preset_by_default():
    assert tables.weights_table(dtypes=["bf16"])["model"].tolist() == vl.list_models()


# ---------------------------------------------------------------- KV tables
def test_kv_table_per_token_follows_the_config():
    mids = ["Qwen/Qwen3-8B", "meta-llama/Llama-2-7b-hf", "tiiuae/falcon-7b"]
    t = tables.kv_table(mids, context=8192)
    assert t["attention"].tolist() == ["MHA", "GQA", "MQA"]              # sorted by attention kind
    row = t.set_index("model").loc["Qwen/Qwen3-8B"]
    assert row["KiB/token"] == kv_per_token_16bit("Qwen/Qwen3-8B") / 1024
    assert row["GiB @ 8,192"] == round(kv_per_token_16bit("Qwen/Qwen3-8B") * 8192 / GiB, 3)
    assert row["layers"] == f"{preset_record('Qwen/Qwen3-8B')['config']['num_hidden_layers']} full"
    assert t.attrs == {"kv_dtype": "bf16", "context": 8192}


def test_kv_table_caps_sliding_layers_at_their_window():
    c = preset_record("mistralai/Mistral-7B-v0.1")["config"]             # every layer slides over 4,096
    per_tok = kv_per_token_16bit("mistralai/Mistral-7B-v0.1")
    t = tables.kv_table(["mistralai/Mistral-7B-v0.1"], context=32768)
    assert t.loc[0, "GiB @ 32,768"] == round(per_tok * c["sliding_window"] / GiB, 3)
    assert t.loc[0, "KiB/token @ 32,768"] == round(per_tok * c["sliding_window"] / 1024 / 32768, 2)


def test_kv_growth_table_is_exact_bytes():
    t = tables.kv_growth_table(["Qwen/Qwen3-8B", "google/gemma-2-9b"], contexts=[1024, 8192], kv_dtype="fp8")
    q = t[t.model == "Qwen/Qwen3-8B"]
    assert q["kv_bytes"].tolist() == [kv_per_token_16bit("Qwen/Qwen3-8B") // 2 * n for n in (1024, 8192)]
    assert set(t[t.model == "google/gemma-2-9b"]["attention"]) == {"GQA + sliding window"}
    assert set(t["kv_dtype"]) == {"fp8"}


def test_default_kv_growth_models_cover_every_attention_kind():
    kinds = " ".join(tables.kv_growth_table(contexts=[1024])["attention"])
    for kind in ("MHA", "GQA", "MQA", "MLA", "sliding window"):
        assert kind in kinds


def test_kv_concurrency_table_grows_linearly_beside_fixed_weights():
    t = tables.kv_concurrency_table("Qwen/Qwen3-8B", 4096, [1, 3], ["bf16", "fp8"], "bf16")
    per_seq = kv_per_token_16bit("Qwen/Qwen3-8B") * 4096
    assert t["kv_bytes"].tolist() == [per_seq, 3 * per_seq, per_seq // 2, 3 * per_seq // 2]
    assert set(t["weights_bytes"]) == {bf16_weights("Qwen/Qwen3-8B")} and set(t["weight_dtype"]) == {"bf16"}


def test_decode_work_table_counts_projections():
    c = preset_record("Qwen/Qwen3-8B")["config"]
    t = tables.decode_work_table("Qwen/Qwen3-8B", [1, 100])
    assert t["KV projections (no cache)"].tolist() == [c["num_hidden_layers"], 100 * c["num_hidden_layers"]]
    assert t["KV projections (cache)"].tolist() == [c["num_hidden_layers"]] * 2
    assert t["ratio"][0] == 1.0 and t["ratio"][1] > 1


# ---------------------------------------------------------------- fit tables
def test_fit_table_rows_follow_fit():
    t = tables.fit_table("Qwen/Qwen3-8B", ["RTX 3090", "H100 80GB"], tokens=32768, concurrency=4, weight_dtype="bf16")
    need = one_gpu_need("Qwen/Qwen3-8B", 32768, 4)
    assert t["GPU"].tolist() == ["RTX 3090", "H100 80GB"]
    assert t["usable measured"].tolist() == [True, True]
    assert t["headroom on one (GiB)"].tolist() == [round((round(23.58 * GiB) - need) / GiB, 2),
                                                   round((round(79.19 * GiB) - need) / GiB, 2)]
    assert t["fits on one"].tolist() == [False, True]
    assert t["fewest GPUs"].tolist() == [2, 1]


def test_fit_table_covers_the_catalog_by_default():
    assert tables.fit_table("Qwen/Qwen3-0.6B")["GPU"].tolist() == vl.list_gpus()


def test_precision_table_halves_kv_and_shrinks_weights():
    t = tables.precision_table("Qwen/Qwen3-8B", "RTX 4090", tokens=32768, concurrency=4)
    kv16 = kv_per_token_16bit("Qwen/Qwen3-8B") * 32768 * 4
    assert t["KV cache (GiB)"].tolist() == [round(kv16 / GiB, 2), round(kv16 / 2 / GiB, 2)] * 2
    assert t["weights (GiB)"][0] == round(bf16_weights("Qwen/Qwen3-8B") / GiB, 2)
    assert t["weights (GiB)"][2] < t["weights (GiB)"][0] / 2
    assert list(t["most sequences"]) == sorted(t["most sequences"])


def test_bad_input_names_the_field():
    with pytest.raises(vl.VramlabError, match="gpu 'H800'"):
        tables.fit_table("Qwen/Qwen3-8B", ["H800"])
    with pytest.raises(vl.VramlabError) as err:
        tables.kv_growth_table(["Qwen/Qwen3-8B"], contexts=4096)
    assert err.value.field == "contexts"
    with pytest.raises(vl.VramlabError) as err:
        tables.precision_table("Qwen/Qwen3-8B", "L4", options=[("bf16",)])
    assert "options" in str(err.value)


def test_cache_growth_table_splits_what_grows_from_the_fixed_state():
    c = preset_record("Qwen/Qwen3-Next-80B-A3B-Instruct")["config"]
    full = c["num_hidden_layers"] // c["full_attention_interval"]
    nk, nv, dk, dv = (c[f"linear_{k}"] for k in ("num_key_heads", "num_value_heads", "key_head_dim", "value_head_dim"))
    state = (c["num_hidden_layers"] - full) * ((2 * nk * dk + nv * dv) * c["linear_conv_kernel_dim"] * 2 + nv * dk * dv * 4)
    t = tables.cache_growth_table(contexts=[1000, 100_000])
    assert set(t["model"]) == set(tables.CACHE_GROWTH_MODELS)
    nxt = t[t["model"] == "Qwen/Qwen3-Next-80B-A3B-Instruct"]
    assert nxt["state_bytes"].tolist() == [state, state]
    assert nxt["kv_bytes"].tolist() == [full * 2 * c["num_key_value_heads"] * c["head_dim"] * 2 * n for n in (1000, 100_000)]
    assert (t["cache_bytes"] == t["kv_bytes"] + t["state_bytes"]).all()
    assert (t[t["model"] != "Qwen/Qwen3-Next-80B-A3B-Instruct"]["state_bytes"] == 0).all()
    assert nxt["layers"].iloc[0] == f"GQA, {c['num_hidden_layers'] - full} linear + {full} full"


def test_cache_growth_table_names_an_attention_layer_that_also_keeps_a_state():
    import dataclasses

    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    parallel = dataclasses.replace(m, layers=(vl.LayerAttention("full", conv_state=8, recurrent_state=8),) * 4)
    t = tables.cache_growth_table([parallel], contexts=[10])
    assert t.loc[0, "layers"] == "GQA, 4 full with a state" and t.loc[0, "state_bytes"] > 0


def test_precisions_table_says_mxfp4_quantizes_only_the_experts_of_moe_checkpoints():
    t = vl.tables.precisions_table(["bf16", "int4", "mxfp4"]).set_index("format")["quantizes"]
    assert (t["bf16"], t["int4"]) == ("every tensor", "linear layers")
    assert "experts only" in t["mxfp4"]
    # the same rule as the weights: gpt-oss in mxfp4 quantizes its experts and nothing else
    assert vl.families.quantized_components(vl.load_model("openai/gpt-oss-20b"), "mxfp4") == ("experts",)
