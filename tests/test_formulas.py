"""The sympy formulas give exactly the integers of the numeric modules, for every preset.

The formulas (vramlab.formulas) and the numeric code (vramlab.params, vramlab.memory,
vramlab.planning, vramlab.overheads, vramlab.serving, vramlab.training) are two separate
implementations: one symbolic and lambdified, one component by component.
Where a preset record carries figures computed independently from its config.json
(``reference``), they are checked too, and a few values are recomputed here straight from
the raw config fields.
"""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest

import vramlab as vl
from vramlab import formulas as F
from vramlab.params import params_per_expert
from vramlab.presets import preset_record

MODELS = vl.list_models()
TOKENS = (1, 1000, 4096, 4097, 32768, 131072)

#: Llama-like layouts (the per-layer formula applies); the others are MLA (DeepSeek),
#: Falcon's parallel block and gpt-oss (attention sinks, biased experts).
LLAMA_LIKE = {
    "Qwen/QwQ-32B", "Qwen/Qwen2.5-32B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-0.6B",
    "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-32B", "Qwen/Qwen3-8B", "deepseek-ai/deepseek-llm-67b-base",
    "google/gemma-2-9b", "google/gemma-3-27b-it", "meta-llama/Llama-2-7b-hf",
    "meta-llama/Llama-3.1-405B", "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct", "microsoft/Phi-3-mini-4k-instruct", "mistralai/Mistral-7B-v0.1",
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
}


@pytest.fixture(scope="module", params=MODELS)
def model(request):
    return vl.load_model(request.param)


def test_import_vramlab_does_not_import_sympy():
    code = "import sys, vramlab, vramlab.formulas; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_llama_like_covers_the_expected_presets():
    assert {n for n in MODELS if F.llama_like(vl.load_model(n))} == LLAMA_LIKE


# -- parameters ------------------------------------------------------------------------
def test_model_params(model):
    if model.name not in LLAMA_LIKE:
        assert not F.llama_like(model)
        return
    got = F.evaluate(F.model_params(moe=model.is_moe), model)  # the language model's blocks
    assert got == model.param_count(towers=False)
    ref = preset_record(model.name).get("reference", {}).get("params_computed_from_config")
    if ref is not None:
        assert got == ref
    # the MoE form with no MoE layers is the dense form
    assert F.evaluate(F.model_params(moe=True), model) == got


def test_layer_params_times_layers(model):
    if model.name not in LLAMA_LIKE or model.is_moe:
        return
    c = model.hf_config if "text_config" not in model.hf_config else model.hf_config["text_config"]
    layer = F.evaluate(F.layer_params(), model)
    emb = F.evaluate(F.embedding_params(), model)
    assert model.num_layers * layer + emb + c["hidden_size"] == model.param_count(towers=False)


def test_embedding_params(model):
    b = vl.param_breakdown(model)
    got, want = F.evaluate(F.embedding_params(), model), b["embeddings"] + b.get("lm_head", 0)
    c = model.config
    if "n_positions" in c:  # GPT-2's learned position table is not in the formula (a rotary model has none)
        assert not F.llama_like(model)
        assert want - got == c["n_positions"] * c["n_embd"]
    else:
        assert got == want


def test_llama_3_8b_layer_from_config_fields():
    c = preset_record("meta-llama/Llama-3.1-8B-Instruct")["config"]
    h, i = c["hidden_size"], c["intermediate_size"]
    d = h // c["num_attention_heads"]
    by_hand = 2 * h * h + 2 * h * c["num_key_value_heads"] * d + 3 * h * i + 2 * h
    assert F.evaluate(F.layer_params(), "meta-llama/Llama-3.1-8B-Instruct") == by_hand


def test_expert_params(model):
    if not model.is_moe:
        assert F.evaluate(F.expert_params(), model) == 0
        return
    b = vl.param_breakdown(model)
    assert F.evaluate(F.expert_params(), model) == b["experts"]
    w, bias = params_per_expert(model)
    if bias == 0:
        idle = F.evaluate(F.expert_params(), model) - F.evaluate(F.active_expert_params(), model)
        assert model.param_count() - idle == vl.active_param_count(model)
    ref = preset_record(model.name).get("reference", {})
    # DeepSeek-V3's record counts the router bias buffers (14,848 values) as parameters
    if "active_params_computed" in ref and bias == 0 and ref["params_computed_from_config"] == model.param_count(towers=False):
        assert model.param_count() - idle == ref["active_params_computed"]


# -- weights ---------------------------------------------------------------------------
EXACT_WEIGHT_DTYPES = ("fp32", "fp16", "bf16", "fp8", "int8", "int4", "int4-g32", "mxfp4", "Q8_0", "Q4_0")


@pytest.mark.parametrize("dtype", EXACT_WEIGHT_DTYPES)
def test_weights_exact(model, dtype):
    want = vl.weights_bytes(model, dtype)
    try:
        assert F.evaluate(F.quantized_weights_memory(), model, dtype=dtype) == want
    except vl.VramlabError as exc:  # a fractional byte in all (int4's 4.15625 bits): rounded per component
        assert "not a whole number" in str(exc)
        got = F.evaluate(F.quantized_weights_memory(), model, dtype=dtype, rounding="ceil")
        assert got <= want < got + len(vl.param_breakdown(model))


@pytest.mark.parametrize("dtype", ("nf4", "Q6_K", "Q4_K_M", "Q5_K_M", "Q3_K_M"))
def test_weights_rounded(model, dtype):
    # fractional bytes for some presets (e.g. gpt-oss's odd-sized biases and norms, the
    # whole-file GGUF averages in hundredths of a bit): the module rounds each component
    # up to a whole byte, the formula rounds the total once.
    got = F.evaluate(F.quantized_weights_memory(), model, dtype=dtype, rounding="ceil")
    n_components = len(vl.param_breakdown(model))
    assert got <= vl.weights_bytes(model, dtype) < got + n_components


@pytest.mark.parametrize("dtype", ("fp32", "bf16", "Q8_0", "Q4_K"))
def test_weights_memory_for_whole_model_formats(model, dtype):
    assert not vl.get_dtype(dtype).weight_only
    assert F.evaluate(F.weights_memory(), model, dtype=dtype, rounding="ceil") == vl.weights_bytes(model, dtype)


def test_bf16_weights_are_two_bytes_per_param(model):
    assert F.evaluate(F.weights_memory(), model, dtype="bf16") == 2 * model.param_count()


# -- KV cache --------------------------------------------------------------------------
@pytest.mark.parametrize("kv_dtype", ("fp32", "bf16", "fp8", "int4"))
def test_kv_bytes_per_token(model, kv_dtype):
    assert F.evaluate(F.kv_bytes_per_token_for(model), model, kv_dtype=kv_dtype) == vl.kv_bytes_per_token(model, kv_dtype)


def test_kv_bytes_per_token_from_raw_config(model):
    ref = preset_record(model.name).get("reference", {})
    got = F.evaluate(F.kv_bytes_per_token_for(model), model, kv_dtype="bf16")
    for key in ("kv_cache_bytes_per_token_16bit", "kv_cache_bytes_per_token_16bit_MLA"):
        if key in ref:
            assert got == ref[key]
    c = model.config
    if model.attention_kind == "MLA":
        index = c.get("index_head_dim", 0)  # DeepSeek-V3.2: the indexer's key per token and layer
        raw = preset_record(model.name)["config"]
        layers = len(raw["linear_attn_config"]["full_attn_layers"]) if "linear_attn_config" in raw else (
            c["num_hidden_layers"])  # Kimi-Linear: the MLA layers; its KDA layers keep a fixed state
        assert got == (c["kv_lora_rank"] + c["qk_rope_head_dim"] + index) * layers * 2
    elif model.model_type != "falcon" and "hidden_size" in c:   # (GPT-2 names its fields n_embd, n_head)
        d = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
        h_kv = c.get("num_key_value_heads") or c["num_attention_heads"]
        # a hybrid (Qwen3-Next) caches K/V in every full_attention_interval-th layer only
        layers = c["num_hidden_layers"] // c.get("full_attention_interval", 1)
        assert got == 2 * layers * h_kv * d * 2


def test_deepseek_v2_if_expanded_to_heads():
    m = vl.load_model("deepseek-ai/DeepSeek-V2")
    c = m.config
    # the paper's MHA comparison: 2 n_h d_h l elements with d_h = 128 (v_head_dim)
    d = c["v_head_dim"]
    expanded = F.evaluate(F.kv_bytes_per_token(mla=False), m, kv_dtype="bf16", d_head=d)
    assert expanded == preset_record(m.name)["reference"]["kv_cache_bytes_per_token_16bit_if_expanded_MHA"]


@pytest.mark.parametrize("kv_dtype", ("bf16", "fp8", "int4"))
def test_kv_cache_bytes(model, kv_dtype):
    eq = F.kv_cache_bytes_for(model)
    state = "linear" if model.num_attention_layers != model.num_layers else None
    general = F.kv_cache_bytes(mla=model.attention_kind == "MLA", sliding=True, state=state,
                               indexed=any(la.index_keys for la in model.layers))
    for t in TOKENS:
        for n in (1, 3):
            want = vl.kv_cache_bytes(model, t, n, kv_dtype)
            assert F.evaluate(eq, model, kv_dtype=kv_dtype, T=t, N=n) == want
            assert F.evaluate(general, model, kv_dtype=kv_dtype, T=t, N=n) == want


def test_sliding_models_are_capped():
    for name in ("google/gemma-2-9b", "mistralai/Mistral-7B-v0.1", "openai/gpt-oss-20b", "google/gemma-3-27b-it"):
        m = vl.load_model(name)
        eq = F.kv_cache_bytes_for(m)
        assert eq.rhs.has(F.symbol("W"))
        w = m.sliding_window
        short = F.evaluate(eq, m, kv_dtype="bf16", T=w, N=1)
        long = F.evaluate(eq, m, kv_dtype="bf16", T=4 * w, N=1)
        full_part = m.num_full_layers * 3 * w * vl.kv_bytes_per_token(m, "bf16") // m.num_layers
        assert long - short == full_part


@pytest.mark.parametrize("t,w", [(1, 4096), (4096, 4096), (32768, 4096), (10, 1)])
def test_sliding_window_cap(t, w):
    assert F.evaluate(F.sliding_window_cap(), T=t, W=w) == vl.LayerAttention("sliding", w).tokens_cached(t)


@pytest.mark.parametrize("state_dtype", ("auto", "bf16", "fp8"))
def test_state_bytes_equal_the_memory_module(model, state_dtype):
    if {la.kind for la in model.layers} - {"full", "sliding", "chunked", "linear"}:
        pytest.skip("state_bytes describes Gated DeltaNet layers")
    for n in (1, 3):
        want = n * sum(vl.memory.state_bytes_per_sequence(model, state_dtype).values())
        assert F.evaluate(F.state_bytes(), **F.state_values(model, state_dtype), N=n) == want
        assert want == vl.memory.kv_cache_breakdown(model, 4096, n, "bf16", state_dtype)["total"] - (
            vl.memory.kv_cache_breakdown(model, 4096, n, "bf16", state_dtype)["kv"])


def test_qwen3_next_state_from_raw_config_fields():
    c = preset_record("Qwen/Qwen3-Next-80B-A3B-Instruct")["config"]
    linear = sum((i + 1) % c["full_attention_interval"] != 0 for i in range(c["num_hidden_layers"]))
    nk, nv, dk, dv = (c[f"linear_{k}"] for k in ("num_key_heads", "num_value_heads", "key_head_dim", "value_head_dim"))
    conv = (2 * nk * dk + nv * dv) * c["linear_conv_kernel_dim"] * 2   # bf16
    recurrent = nv * dk * dv * 4                                       # fp32
    v = F.state_values("Qwen/Qwen3-Next-80B-A3B-Instruct")
    assert (v["L_lin"], linear) == (36, 36)
    assert F.evaluate(F.state_bytes(), **v, N=1) == linear * (conv + recurrent)
    # the attention layers' part of the cache: the general KV formula with the full layers only
    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    assert F.evaluate(F.kv_cache_bytes(), m, kv_dtype="bf16", T=32768, N=2) == (
        vl.memory.kv_cache_breakdown(m, 32768, 2, "bf16")["kv"])


#: Jamba-v0.1's config.json fields (ai21labs/Jamba-v0.1): 32 layers, attention every 8th from layer 4.
JAMBA = {"model_type": "jamba", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
         "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 65536, "num_experts": 16,
         "num_experts_per_tok": 2, "attn_layer_period": 8, "attn_layer_offset": 4, "expert_layer_period": 2,
         "expert_layer_offset": 1, "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_expand": 2, "mamba_dt_rank": 256,
         "torch_dtype": "bfloat16"}


@pytest.mark.parametrize("state_dtype", ("auto", "bf16"))
def test_mamba_state_from_raw_config_fields(state_dtype):
    c = JAMBA
    mamba = sum(i % c["attn_layer_period"] != c["attn_layer_offset"] for i in range(c["num_hidden_layers"]))
    inner = c["mamba_expand"] * c["hidden_size"]
    rec_bytes = 4 if state_dtype == "auto" else 2
    want = mamba * (inner * c["mamba_d_conv"] * 2 + inner * c["mamba_d_state"] * rec_bytes)
    v = F.state_values(c, state_dtype)
    assert v["L_ssm"] == mamba == 28
    assert F.evaluate(F.state_bytes(mamba=True), **v, N=3) == 3 * want
    assert want == sum(vl.memory.state_bytes_per_sequence(c, state_dtype).values())


def test_state_values_refuse_a_state_the_formula_does_not_describe():
    import dataclasses

    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    parallel = dataclasses.replace(m, layers=(vl.LayerAttention("full", conv_state=8, recurrent_state=8),) * 4)
    with pytest.raises(vl.VramlabError, match="full"):
        F.state_values(parallel)
    odd = dataclasses.replace(m, layers=m.layers[:-1] + (vl.LayerAttention("linear", conv_state=1, recurrent_state=1),))
    with pytest.raises(vl.VramlabError, match="not the formula's"):
        F.state_values(odd)


# -- total -----------------------------------------------------------------------------
@pytest.mark.parametrize("tokens,concurrency,margin", [(4096, 1, 0.1), (32768, 4, 0.2), (1000, 16, 0.0)])
def test_total_memory(model, tokens, concurrency, margin):
    e = vl.estimate(model, tokens=tokens, concurrency=concurrency, margin=margin)
    w = F.evaluate(F.quantized_weights_memory(), model, rounding="ceil")
    kv = F.evaluate(F.kv_cache_bytes_for(model), model, T=tokens, N=concurrency)
    assert (w, kv) == (e.weights, e.kv_cache)
    total = F.evaluate(F.total_memory(), M_w=w, M_KV=kv, M_act=e.activations, M_fw=e.framework,
                       m=margin, rounding="nearest")
    assert total == e.total


# -- helpers ---------------------------------------------------------------------------
def test_symbols_for_reads_config_fields():
    raw = preset_record("Qwen/Qwen3-8B")["config"]
    v = {s.name: x for s, x in F.symbols_for("Qwen/Qwen3-8B", dtype="int4", kv_dtype="fp8").items()}
    assert (v["L"], v["H_q"], v["H_kv"], v["d_head"], v["h"], v["V"], v["d_ff"]) == (
        raw["num_hidden_layers"], raw["num_attention_heads"], raw["num_key_value_heads"], raw["head_dim"],
        raw["hidden_size"], raw["vocab_size"], raw["intermediate_size"])
    assert v["b_w"] == Fraction(4) + Fraction(16 + 4, 128) and v["b_kv"] == 8
    assert v["t_tie"] == 0 and v["nu_qk"] == 1 and v["beta_qkv"] == 0
    assert v["W"] == 0 and v["L_swa"] == 0 and v["L_full"] == 36


def test_evaluate_is_exact_beyond_float_precision():
    big = 2**60 + 1  # not representable as a float
    assert F.evaluate(F.weights_memory(), P=big, b_w=16) == 2 * big
    assert F.evaluate(F.weights_memory(), P=3, b_w=Fraction(133, 32), rounding="ceil") == 2


def test_evaluate_errors():
    with pytest.raises(vl.VramlabError, match="missing values for N"):
        F.evaluate(F.kv_cache_bytes(sliding=False), "Qwen/Qwen3-8B", T=10)
    with pytest.raises(vl.VramlabError, match="rounding must be one of"):
        F.evaluate(F.weights_memory(), P=1, b_w=8, rounding="up")
    with pytest.raises(vl.VramlabError, match="not a whole number"):
        F.evaluate(F.weights_memory(), P=1, b_w=4)
    with pytest.raises(vl.VramlabError, match="must be a number"):
        F.evaluate(F.weights_memory(), P="many", b_w=4)
    with pytest.raises(vl.VramlabError, match="symbol 'heads' is unknown"):
        F.evaluate(F.weights_memory(), P=1, b_w=8, heads=3)


def test_steps_substitute_every_value():
    lines = F.steps(F.kv_cache_bytes_for("Qwen/Qwen3-8B"), "Qwen/Qwen3-8B", kv_dtype="fp8", T=32768, N=1)
    assert len(lines) == 3
    for v in ("32{,}768", "36", "8", "128"):
        assert v in lines[1]
    assert lines[2].endswith(f"{32768 * 73728:,}".replace(",", "{,}"))


def test_evaluate_rounding_modes():
    eq = F.weights_memory()
    assert F.evaluate(eq, P=3, b_w=4, rounding=None) == Fraction(3, 2)
    assert F.evaluate(eq, P=3, b_w=4, rounding="floor") == 1
    assert F.evaluate(eq, P=3, b_w=4, rounding="ceil") == 2


# -- one registry ------------------------------------------------------------------------
ALL_FORMULAS = [
    F.embedding_params(), F.layer_params(), F.model_params(), F.model_params(moe=True), F.expert_params(),
    F.active_expert_params(), F.weights_memory(), F.quantized_weights_memory(), F.kv_elements_per_layer(),
    F.kv_elements_per_layer(mla=True), F.kv_bytes_per_token(), F.kv_bytes_per_token(mla=True),
    F.sliding_window_cap(), F.kv_cache_bytes(), F.kv_cache_bytes(mla=True, sliding=False),
    F.activation_memory(), F.activation_memory(moe=True), F.total_memory(), F.per_gpu_memory(),
    F.rule_overhead(), F.rule_total(), F.rule_crossover(), F.pool_kv_memory(), F.pool_blocks(), F.pool_tokens(),
    F.pool_blocks_per_request(), F.pool_concurrency(), F.pool_concurrency(in_blocks=False),
    *[F.model_states(s) for s in range(4)], F.korthikanti_layer(), F.training_layer_activations(),
    F.training_layer_activations(full_recompute=True), F.training_head_activations(),
    F.training_ids_activations(), F.training_activations(), F.training_activations(full_recompute=True),
    F.lora_params(), F.state_bytes(), F.state_bytes(mamba=True),
]


def test_every_symbol_is_the_registry_symbol():
    # one sympy object per name: a formula built with its own Symbol("h") would not be equal
    for eq in ALL_FORMULAS:
        for s in eq.free_symbols:
            assert s.name in F.SYMBOLS
            assert s is F.symbol(s.name) or s == F.symbol(s.name)
    assert {eq.lhs.name for eq in ALL_FORMULAS} <= set(F.SYMBOLS)


def test_symbols_are_created_only_in_formulas():
    import re
    from pathlib import Path

    root = Path(F.__file__).resolve().parents[1]
    pat = re.compile(r"\b(sp|sympy)\.(symbols|Symbol)\(|\bSymbol\(|\bsymbols\(")
    hits = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                  if "formulas" not in p.relative_to(root).parts and pat.search(p.read_text()))
    assert hits == []


# -- activations and totals ----------------------------------------------------------------
@pytest.mark.parametrize("tokens,sequences", [(2048, 1), (8192, 256), (1, 1), (64, 64)])
def test_activation_memory(model, tokens, sequences):
    eq = F.activation_memory(moe=model.is_moe)
    want = vl.activation_bytes(model, tokens, sequences)
    assert F.evaluate(eq, model, T_pass=tokens, S=sequences) == want
    c = model.config
    if not model.is_moe and F.llama_like(model):   # recomputed from config fields
        h, ff = c["hidden_size"], c["intermediate_size"]
        d = c.get("head_dim") or h // c["num_attention_heads"]
        attn = (2 * c["num_attention_heads"] + 2 * (c.get("num_key_value_heads") or c["num_attention_heads"])) * d
        b_act = F.symbols_for(model)[F.symbol("b_act")]
        assert want == tokens * (2 * h + max(3 * ff, attn)) * b_act + 4 * sequences * c["vocab_size"]


@pytest.mark.parametrize("tp", [1, 2, 8])
def test_per_gpu_memory_is_the_plan_total(tp):
    from vramlab.planning import plan_on

    mid = "meta-llama/Llama-3.1-70B-Instruct"
    plan = plan_on(mid, "H100 80GB", tp, 8192, 4, "bf16", "bf16", 0.1)
    e = vl.estimate(mid, 8192, 4, "bf16", "bf16", 0.1)
    got = F.evaluate(F.per_gpu_memory(), **F.estimate_values(e), t=tp, H_kv=8, M_comm=plan.communication,
                     rounding="nearest")
    assert got == plan.total
    # by hand from config fields: 8 KV heads split over tp GPUs
    c = preset_record(mid)["config"]
    kv = 2 * c["num_hidden_layers"] * 8 * (c["hidden_size"] // c["num_attention_heads"]) * 2 * 8192 * 4
    assert plan.kv_cache == -(-kv * max(1, 8 // tp) // 8)


def test_total_memory_from_estimate_values(model):
    e = vl.estimate(model, tokens=8192, concurrency=2, margin=0.15)
    assert F.evaluate(F.total_memory(), **F.estimate_values(e), rounding="nearest") == e.total


# -- rules of thumb ------------------------------------------------------------------------
@pytest.mark.parametrize("name,tokens", [("Qwen/Qwen3-8B", 4096), ("Qwen/QwQ-32B", 16000),
                                         ("meta-llama/Llama-3.1-70B-Instruct", 131072)])
def test_rules_equal_overheads(name, tokens):
    from vramlab import overheads as ov

    c = ov.compare_rules(name, tokens=tokens)
    base = {"M_w": c.weights, "M_KV": c.kv_cache}
    for rho in (ov.RULE_LOW, ov.RULE_HIGH, 0.1):
        assert F.evaluate(F.rule_overhead(), **base, rho=rho, rounding="nearest") == c.rule_overhead(rho)
    assert F.evaluate(F.rule_total(), **base, rho=ov.RULE_FACTOR - 1, rounding="nearest") == c.factor_total
    e = c.estimate
    for rho in (ov.RULE_LOW, ov.RULE_HIGH, 0.05):
        got = F.evaluate(F.rule_crossover(), M_act=e.activations, M_fw=e.framework, rho=rho, rounding="nearest")
        assert got == ov.crossover_bytes(c.explicit_overhead, rho)


# -- vLLM pool ------------------------------------------------------------------------------
POOL_CASES = [("Qwen/Qwen3-8B", "H100 80GB", 1, 32768), ("Qwen/Qwen3-8B", "RTX 4090", 1, 8192),
              ("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", 4, 131072),
              ("google/gemma-2-9b", "L40S", 1, 8192), ("deepseek-ai/DeepSeek-V2-Lite", "A100 80GB", 1, 16384)]


@pytest.mark.parametrize("name,gpu,tp,max_len", [c for c in POOL_CASES if c[0] in MODELS])
def test_pool_formulas_equal_kv_pool(name, gpu, tp, max_len):
    p = vl.kv_pool(name, gpu=gpu, tensor_parallel=tp, max_model_len=max_len)
    v = F.pool_values(p)
    assert F.evaluate(F.pool_kv_memory(), **v) == p.kv_bytes
    assert F.evaluate(F.pool_blocks(), **v) == p.num_blocks
    assert F.evaluate(F.pool_tokens(), **v) == p.tokens
    in_blocks = vl.serving.ENGINES[p.engine].concurrency_in_blocks
    assert float(F.evaluate(F.pool_concurrency(in_blocks), **v, rounding=None)) == p.max_concurrency
    if vl.load_model(name).num_sliding_layers == 0:
        assert F.evaluate(F.pool_blocks_per_request(), **v) == p.blocks_per_request
    # the budget by hand: what is left of u x memory after the other terms
    assert p.kv_bytes == max(0, int(p.total_memory * Fraction(p.gpu_memory_utilization)) - p.non_kv)


# -- training -------------------------------------------------------------------------------
DENSE_LLAMA_LIKE = sorted(n for n in LLAMA_LIKE if not vl.load_model(n).is_moe)


@pytest.mark.parametrize("name", DENSE_LLAMA_LIKE)
@pytest.mark.parametrize("seq,batch", [(4096, 1), (1000, 3)])
def test_training_activations_equal_training(name, seq, batch):
    from vramlab import training as tr

    m = vl.load_model(name)
    for full in (False, True):
        got = F.evaluate(F.training_activations(full), m, T=seq, N=batch, b_act=2)
        assert got == tr.activation_bytes(m, seq, batch, recompute="full" if full else "none")
    b = tr.activation_breakdown(m, seq, batch)
    assert F.evaluate(F.training_head_activations(), m, T=seq, N=batch, b_act=2) == b["head"]
    assert F.evaluate(F.training_ids_activations(), m, T=seq, N=batch, b_act=2) == b["rope_and_ids"]
    layer = F.evaluate(F.training_layer_activations(), m, T=seq, N=batch, b_act=2)
    assert m.num_layers * layer == sum(v for k, v in b.items() if k not in ("head", "rope_and_ids"))
    inputs = tr.activation_breakdown(m, seq, batch, recompute="full")["layer_inputs"]
    assert m.num_layers * F.evaluate(F.training_layer_activations(True), m, T=seq, N=batch, b_act=2) == inputs


def test_korthikanti_layer_equals_training():
    from vramlab import training as tr

    for s, b, h, a in [(2048, 1, 12288, 96), (4096, 2, 5120, 40), (1000, 3, 4096, 32)]:
        assert F.evaluate(F.korthikanti_layer(), T=s, N=b, h=h, H_q=a) == tr.korthikanti_layer_bytes(s, b, h, a)


@pytest.mark.parametrize("stage", [0, 1, 2, 3])
@pytest.mark.parametrize("params,gpus", [(7_500_000_000, 64), (8_190_735_360, 8), (1001, 3)])
def test_model_states_equal_training(stage, params, gpus):
    from vramlab import training as tr

    s = tr.model_states_bytes(params, stage, gpus)
    assert s.k_bytes == 12
    assert F.evaluate(F.model_states(stage), P=params, K=s.k_bytes, N_d=gpus) == s.total


def test_model_states_of_a_model_and_bad_stage():
    from vramlab import training as tr

    m = vl.load_model("Qwen/Qwen3-8B")
    assert F.evaluate(F.model_states(0), m, K=12) == tr.model_states_bytes(m).total == 16 * m.param_count()
    with pytest.raises(vl.VramlabError, match="zero_stage"):
        F.model_states(4)


@pytest.mark.parametrize("name", DENSE_LLAMA_LIKE)
def test_lora_params_equal_training(name):
    from vramlab import training as tr

    for r in (1, 16, 64):
        assert F.evaluate(F.lora_params(), name, r=r) == tr.lora_params(name, r)


@pytest.mark.parametrize("name,tp", [("deepseek-ai/DeepSeek-V2", 8), ("Qwen/Qwen3-8B", 4), ("google/gemma-2-9b", 2)])
def test_per_gpu_memory_other_attention(name, tp):
    from vramlab.planning import plan_on

    m = vl.load_model(name)
    plan = plan_on(m, "H100 80GB", tp, 4096, 2, "bf16", "bf16", 0.1)
    e = vl.estimate(m, 4096, 2, "bf16", "bf16", 0.1)
    h_kv = 1 if m.attention_kind == "MLA" else m.num_kv_heads      # MLA's latent is replicated
    got = F.evaluate(F.per_gpu_memory(), **F.estimate_values(e), t=tp, H_kv=h_kv, M_comm=plan.communication,
                     rounding="nearest")
    assert got == plan.total
    if m.attention_kind == "MLA":
        assert plan.kv_cache == e.kv_cache
