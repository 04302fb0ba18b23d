"""Weights, KV cache and estimate, recomputed in the test from config fields and format layouts."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest

import vramlab as vl
from vramlab.memory import resolve_weight_dtype
from vramlab.presets import preset_record

MODELS = vl.list_models()
LINEAR = ("attention", "mlp", "experts", "shared_experts")

# bits per weight from the published layouts (independent of vramlab.dtypes)
INT4_G128 = Fraction(4) + Fraction(16 + 4, 128)           # fp16 scale + 4-bit zero per 128
NF4 = Fraction(4) + Fraction(8, 64) + Fraction(32, 64 * 256)  # QLoRA double quantization
MXFP4 = Fraction(4) + Fraction(8, 32)                      # E8M0 scale per 32 values


def nbytes(n: int, bits: Fraction) -> int:
    return math.ceil(n * bits / 8)


@pytest.mark.parametrize("model_id", MODELS)
@pytest.mark.parametrize("dtype, bytes_per", [("fp32", 4), ("bf16", 2), ("fp16", 2), ("fp8", 1), ("int8", 1)])
def test_plain_formats(model_id, dtype, bytes_per):
    m = vl.load_model(model_id)
    b = m.param_breakdown()
    got = vl.weights_breakdown(m, dtype)
    for comp, n in b.items():
        stays_16 = dtype in ("fp8", "int8") and comp not in LINEAR
        assert got[comp] == n * (2 if stays_16 else bytes_per), (comp, dtype)
    assert vl.weights_bytes(m, dtype) == sum(got.values())


def test_qwen3_8b_bf16_weights():
    assert vl.weights_bytes("Qwen/Qwen3-8B", "bf16") == 2 * 8_190_735_360 == 16_381_470_720


@pytest.mark.parametrize("model_id", ["Qwen/Qwen3-8B", "meta-llama/Llama-3.1-70B-Instruct", "google/gemma-2-9b"])
@pytest.mark.parametrize("dtype, bits", [("int4", INT4_G128), ("nf4", NF4)])
def test_weight_only_4bit_keeps_embeddings_16bit(model_id, dtype, bits):
    m = vl.load_model(model_id)
    b = m.param_breakdown()
    got = vl.weights_breakdown(m, dtype)
    assert got["embeddings"] == 2 * b["embeddings"]
    assert got["norms"] == 2 * b["norms"]
    if "lm_head" in b:
        assert got["lm_head"] == 2 * b["lm_head"]
    for comp in ("attention", "mlp"):
        assert got[comp] == nbytes(b[comp], bits)


def test_int4_group_overhead_is_4_15625_bits():
    assert float(INT4_G128) == 4.15625
    assert vl.get_dtype("int4").bits == INT4_G128
    m = vl.load_model("Qwen/Qwen3-8B")
    mlp = m.param_breakdown()["mlp"]
    assert vl.weights_breakdown(m, "int4")["mlp"] == nbytes(mlp, Fraction(133, 32))
    # 4.15625 / 16 of the bf16 size
    assert vl.weights_breakdown(m, "int4")["mlp"] == pytest.approx(vl.weights_breakdown(m, "bf16")["mlp"] * 4.15625 / 16, rel=1e-9)


def test_mxfp4_only_on_gpt_oss_experts():
    m = vl.load_model("openai/gpt-oss-20b")
    b = m.param_breakdown()
    got = vl.weights_breakdown(m, "mxfp4")
    assert got["experts"] == nbytes(b["experts"], MXFP4)
    for comp in set(b) - {"experts"}:
        assert got[comp] == 2 * b[comp], comp
    # the checkpoint's quantization_config reads as mxfp4
    assert m.hf_config["quantization_config"]["quant_method"] == "mxfp4"
    assert vl.weights_bytes(m) == vl.weights_bytes(m, "mxfp4")
    # the card: "fits in 16 GB" -- the MXFP4 checkpoint is under 16 GB
    assert vl.weights_bytes(m) < 16 * vl.GB


def test_mxfp4_on_a_dense_model_quantizes_the_linear_layers():
    m = vl.load_model("Qwen/Qwen3-8B")
    b = m.param_breakdown()
    got = vl.weights_breakdown(m, "mxfp4")
    assert got["mlp"] == nbytes(b["mlp"], MXFP4) and got["embeddings"] == 2 * b["embeddings"]


def test_gguf_quantizes_embeddings_too():
    m = vl.load_model("meta-llama/Llama-2-7b-hf")
    b = m.param_breakdown()
    q8 = Fraction(2 * 8 + 32 * 8, 32)  # block_q8_0: fp16 scale + 32 int8
    got = vl.weights_breakdown(m, "Q8_0")
    assert all(got[c] == nbytes(n, q8) for c, n in b.items())
    # Q4_K_M on Llama 2 7B: llama.cpp's table lists 4.84 bits per weight (3.80 GiB for 6.74 B)
    assert vl.weights_bytes(m, "Q4_K_M") == sum(nbytes(n, Fraction(484, 100)) for n in b.values())


def test_auto_weight_dtype_reads_the_checkpoint():
    assert resolve_weight_dtype(vl.load_model("deepseek-ai/DeepSeek-V3")).name == "fp8"
    assert resolve_weight_dtype(vl.load_model("openai/gpt-oss-20b")).name == "mxfp4"
    assert resolve_weight_dtype(vl.load_model("meta-llama/Llama-2-7b-hf")).name == "fp16"
    assert resolve_weight_dtype(vl.load_model("Qwen/Qwen3-8B")).name == "bf16"


# -- KV cache ---------------------------------------------------------------------------------
@pytest.mark.parametrize("model_id", MODELS)
def test_kv_per_token_all_layers_matches_reference(model_id):
    r = preset_record(model_id)["reference"]
    key = next(k for k in ("kv_cache_bytes_per_token_16bit", "kv_cache_bytes_per_token_16bit_all_layers",
                           "kv_cache_bytes_per_token_16bit_MLA") if k in r)
    assert vl.kv_bytes_per_token(model_id, "bf16") == r[key]


@pytest.mark.parametrize("model_id", MODELS)
def test_kv_precisions(model_id):
    m = vl.load_model(model_id)

    def kv(dtype):  # the per-token part; linear-attention state is kept in its own dtype
        return vl.memory.kv_cache_breakdown(m, 4096, 3, dtype)["kv"]

    bf16 = kv("bf16")
    assert kv("fp16") == bf16
    assert kv("fp32") == 2 * bf16
    assert 2 * kv("fp8") == bf16
    assert 2 * kv("int8") == bf16
    assert 4 * kv("int4") == bf16  # bare 4-bit KV, no group scales
    b = vl.memory.kv_cache_breakdown(m, 4096, 3, "fp8")
    assert vl.kv_cache_bytes(m, 4096, 3, "fp8") == b["kv"] + b["conv_state"] + b["recurrent_state"] == b["total"]


#: Qwen/Qwen3-Next-80B-A3B-Instruct's config.json fields (huggingface.co/Qwen/Qwen3-Next-80B-A3B-Instruct,
#: read through a stored copy of the file; the fields not in that copy are transformers 5.24's
#: Qwen3NextConfig defaults, matching the model card: 48 layers, 512 experts, 10 routed + 1 shared).
QWEN3_NEXT_80B = {"architectures": ["Qwen3NextForCausalLM"], "model_type": "qwen3_next", "attention_dropout": 0.0, "decoder_sparse_step": 1, "full_attention_interval": 4, "head_dim": 256, "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 5120, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_num_key_heads": 16, "linear_num_value_heads": 32, "linear_value_head_dim": 128, "max_position_embeddings": 262144, "mlp_only_layers": [], "moe_intermediate_size": 512, "norm_topk_prob": True, "num_attention_heads": 16, "num_experts": 512, "num_experts_per_tok": 10, "num_hidden_layers": 48, "num_key_value_heads": 2, "partial_rotary_factor": 0.25, "rms_norm_eps": 1e-06, "shared_expert_intermediate_size": 512, "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 151936}


def test_state_of_linear_attention_layers_does_not_grow():
    """Qwen3-Next: 36 Gated DeltaNet layers keep a fixed state; 12 attention layers grow per token."""
    c = QWEN3_NEXT_80B
    m = vl.load_model(c)
    linear = c["num_hidden_layers"] - c["num_hidden_layers"] // c["full_attention_interval"]
    assert (linear, m.num_attention_layers) == (36, 12)
    per_token = 2 * 12 * c["num_key_value_heads"] * c["head_dim"] * 2
    assert vl.kv_bytes_per_token(m, "bf16") == per_token == 24_576
    channels = 2 * c["linear_num_key_heads"] * c["linear_key_head_dim"] + (
        c["linear_num_value_heads"] * c["linear_value_head_dim"])
    conv = linear * channels * c["linear_conv_kernel_dim"] * 2  # bf16, the compute dtype
    rec = linear * c["linear_num_value_heads"] * c["linear_key_head_dim"] * c["linear_value_head_dim"] * 4  # fp32
    for tokens in (1, 4096, 262_144):
        b = vl.memory.kv_cache_breakdown(m, tokens, 2, "bf16")
        assert (b["kv"], b["conv_state"], b["recurrent_state"]) == (2 * tokens * per_token, 2 * conv, 2 * rec)
    assert vl.memory.state_bytes_per_sequence(m, "bf16") == {"conv": conv, "recurrent": rec // 2}


def test_qwen3_8b_kv_from_fields():
    c = preset_record("Qwen/Qwen3-8B")["config"]
    per_token = 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * c["head_dim"] * 2
    assert vl.kv_bytes_per_token("Qwen/Qwen3-8B", "bf16") == per_token == 147_456  # 144 KiB
    assert vl.kv_cache_bytes("Qwen/Qwen3-8B", 32768, 1, "bf16") == per_token * 32768 == 9 * vl.GiB // 2
    assert vl.kv_cache_bytes("Qwen/Qwen3-8B", 1000, 7, "bf16") == 7 * 1000 * per_token


def test_qwq_32b_kv_article_correction():
    """The article's 19.54 GB assumed 64 heads x 40 layers and no GQA; the config gives 3.91 GiB."""
    c = preset_record("Qwen/QwQ-32B")["config"]
    d = c["hidden_size"] // c["num_attention_heads"]
    real = 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * d * 2 * 16_000
    assert vl.kv_cache_bytes("Qwen/QwQ-32B", 16_000, 1, "bf16") == real
    assert vl.format_bytes(real, "GiB") == "3.91 GiB"


def test_sliding_window_caps_gemma2():
    m = vl.load_model("google/gemma-2-9b")
    c = m.hf_config
    per_layer_token = 2 * c["num_key_value_heads"] * c["head_dim"] * 2
    for t in (1000, 4096, 8192, 100_000):
        want = per_layer_token * (21 * t + 21 * min(t, 4096))
        assert vl.kv_cache_bytes(m, t, 1, "bf16") == want
    assert vl.kv_bytes_per_token(m, "bf16", context=8192) == math.ceil(per_layer_token * (21 * 8192 + 21 * 4096) / 8192)


def test_sliding_window_gpt_oss_and_mistral():
    g = vl.load_model("openai/gpt-oss-20b")
    per = 2 * 8 * 64 * 2
    assert vl.kv_cache_bytes(g, 10_000, 1, "bf16") == per * (12 * 10_000 + 12 * 128)
    mis = vl.load_model("mistralai/Mistral-7B-v0.1")
    assert vl.kv_cache_bytes(mis, 10_000, 1, "bf16") == 32 * 4096 * 2 * 8 * 128 * 2 == 512 * vl.MiB


def test_mla_kv():
    m = vl.load_model("deepseek-ai/DeepSeek-V3")
    c = m.hf_config
    assert vl.kv_cache_bytes(m, 1000, 2, "bf16") == 2 * 1000 * c["num_hidden_layers"] * (c["kv_lora_rank"] + c["qk_rope_head_dim"]) * 2


def test_zero_tokens_or_sequences_hold_no_cache():
    assert vl.kv_cache_bytes("Qwen/Qwen3-8B", 0) == 0
    assert vl.kv_cache_bytes("Qwen/Qwen3-8B", 100, concurrency=0) == 0


# -- estimate ---------------------------------------------------------------------------------
@pytest.mark.parametrize("model_id", MODELS)
def test_estimate_parts_sum_to_total(model_id):
    e = vl.estimate(model_id, tokens=8192, concurrency=4, kv_dtype="fp8", margin=0.15)
    parts = e.parts()
    assert set(parts) == {"weights", "kv_cache", "activations", "framework", "margin"}
    assert all(isinstance(v, int) for v in parts.values())
    assert sum(parts.values()) == e.total
    assert e.overhead == e.activations + e.framework
    assert e.weights == vl.weights_bytes(model_id)
    assert e.kv_cache == vl.kv_cache_bytes(model_id, 8192, 4, "fp8")
    assert e.margin == round((e.weights + e.kv_cache + e.overhead) * Fraction(0.15))


def test_estimate_article_style():
    """Qwen3-8B article: bf16 weights + fp8 KV for 32k tokens, x 1.1, nothing else."""
    e = vl.estimate("Qwen/Qwen3-8B", tokens=32768, weight_dtype="bf16", kv_dtype="fp8", margin=0.1,
                    activation_tokens=0, framework_bytes=0)
    w, kv = 2 * 8_190_735_360, 147_456 // 2 * 32768
    assert (e.weights, e.kv_cache, e.activations, e.framework) == (w, kv, 0, 0)
    assert e.total == w + kv + round((w + kv) * Fraction(0.1))


def test_estimate_table_gb_and_gib():
    e = vl.estimate("Qwen/Qwen3-8B", tokens=4096)
    t = e.table()
    assert list(t.columns) == ["part", "bytes", "GB", "GiB"]
    assert list(t["part"]) == ["weights", "kv_cache", "activations", "framework", "margin", "total"]
    for _, row in t.iterrows():
        assert row["GB"] == pytest.approx(row["bytes"] / 10**9, abs=5e-4)
        assert row["GiB"] == pytest.approx(row["bytes"] / 2**30, abs=5e-4)
    assert int(t.loc[t["part"] == "total", "bytes"].iloc[0]) == e.total
    text = str(e)
    assert "GB" in text and "GiB" in text
    d = e.to_dict()
    assert d["total"] == e.total and json.loads(json.dumps(d))["weights"] == e.weights


def test_estimate_framework_default_is_one_gib():
    e = vl.estimate("Qwen/Qwen3-8B", tokens=4096)
    assert e.framework == 2**30
    assert vl.estimate("Qwen/Qwen3-8B", tokens=4096, framework_bytes=0).framework == 0


def test_activation_bytes_from_fields():
    m = vl.load_model("Qwen/Qwen3-8B")
    c = m.hf_config
    h, i, q, kv, d, v = (c[k] for k in ("hidden_size", "intermediate_size", "num_attention_heads",
                                        "num_key_value_heads", "head_dim", "vocab_size"))
    per_token = 2 * h + max(3 * i, (2 * q + 2 * kv) * d)
    assert vl.activation_bytes(m, 2048, 1) == 2048 * per_token * 2 + v * 4


# -- the checkpoint's formats, read from its config -----------------------------------------------
LLAMA8 = "meta-llama/Llama-3.1-8B-Instruct"


def _with_quant(q: dict) -> dict:
    return dict(preset_record(LLAMA8)["config"], quantization_config=q)


def _kept_and_linear(model_id: str) -> tuple[int, int]:
    b = vl.load_model(model_id).param_breakdown()
    linear = b.get("attention", 0) + b.get("mlp", 0)
    return sum(b.values()) - linear, linear


def test_compute_dtype_follows_the_config_float32_included():
    from vramlab.memory import compute_dtype

    cfg = dict(preset_record(LLAMA8)["config"])
    assert compute_dtype(cfg).name == "bf16"
    assert compute_dtype(dict(cfg, torch_dtype="float32")).name == "fp32"   # transformers' dtype="auto"
    new = {k: v for k, v in cfg.items() if k != "torch_dtype"}
    assert compute_dtype(dict(new, dtype="float16")).name == "fp16"


def test_compressed_tensors_fp8_keeps_embeddings_and_head_16_bit():
    # RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8 style: FP8 weights per channel, lm_head ignored
    q = {"quant_method": "compressed-tensors", "format": "float-quantized", "ignore": ["lm_head"],
         "config_groups": {"group_0": {"targets": ["Linear"], "input_activations": {"num_bits": 8, "type": "float"},
                                       "weights": {"num_bits": 8, "type": "float", "strategy": "channel"}}}}
    m = vl.load_model(_with_quant(q))
    kept, linear = _kept_and_linear(LLAMA8)
    assert vl.weights_bytes(m) == linear * 1 + kept * 2
    ratio = vl.weights_bytes(m) / vl.weights_bytes(LLAMA8, "bf16")
    assert 0.55 < ratio < 0.58   # about 0.56x: embeddings and lm_head (1.05 B) stay 16-bit


@pytest.mark.parametrize("bits, group", [(8, 128), (8, 32), (4, 128), (4, 64)])
def test_gptq_bits_and_group_size_are_read(bits, group):
    m = vl.load_model(_with_quant({"quant_method": "gptq", "bits": bits, "group_size": group, "desc_act": False}))
    kept, linear = _kept_and_linear(LLAMA8)
    per_weight = Fraction(bits) + Fraction(16 + bits, group)   # fp16 scale + a packed zero of `bits` per group
    assert vl.weights_bytes(m) == -(-linear * per_weight // 8) + 2 * kept
    if (bits, group) == (8, 128):   # about half of the bf16 weights, not the int4 figure
        assert 0.5 < vl.weights_bytes(m) / vl.weights_bytes(LLAMA8, "bf16") < 0.6


@pytest.mark.parametrize("flag", ["false", "true", 0, 1, None.__class__])
def test_bitsandbytes_flags_must_be_booleans(flag):
    flag = [True] if flag is None.__class__ else flag
    with pytest.raises(vl.VramlabError, match="true or false") as exc:
        vl.load_model(_with_quant({"quant_method": "bitsandbytes", "load_in_4bit": flag}))
    assert exc.value.field == "quantization_config"


def test_unknown_quant_method_is_refused_by_name():
    with pytest.raises(vl.VramlabError, match="'hqq'") as exc:
        vl.load_model(_with_quant({"quant_method": "hqq", "nbits": 4}))
    assert "gptq" in str(exc.value) and "compressed-tensors" in str(exc.value)


@pytest.mark.parametrize("factor", [float("inf"), float("nan"), -1, 0, "x", 1e300])
def test_a_yarn_factor_that_is_not_a_real_factor_is_refused_naming_it(factor):
    import copy

    from vramlab.presets import preset_record

    c = copy.deepcopy(preset_record("deepseek-ai/DeepSeek-V3")["config"])
    c["rope_scaling"]["factor"] = factor
    with pytest.raises(vl.VramlabError, match=r"rope_scaling\.factor"):
        vl.estimate(c, tokens=100)
