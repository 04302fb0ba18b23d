"""Planning: per-GPU plans, fits, fewest GPUs, longest context and most sequences, fit maps,
against figures recomputed from config fields and the vLLM logs."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

import vramlab as vl
from vramlab import planning, serving
from vramlab.presets import preset_record

from .reference import bf16_weights, kv_per_token_16bit

GiB = 2**30
FRAMEWORK = GiB                                   # estimate()'s default framework bytes
TP_COMM = round(Fraction("1.82") * GiB)           # calibration rows 24 - 22: 2.07 - 0.25 GiB


# ---------------------------------------------------------------- independent arithmetic
def expected_per_gpu(model_id: str, tp: int, tokens: int, conc: int, margin=0.1) -> int:
    """bf16 weights and KV of a GQA model without sliding windows, split over tp GPUs."""
    c = preset_record(model_id)["config"]
    h_kv = c["num_key_value_heads"]
    w = -(-bf16_weights(model_id) // tp)
    kv_all = kv_per_token_16bit(model_id) * tokens * conc
    kv = -(-kv_all * max(1, h_kv // tp) // h_kv)
    act_tokens = min(tokens * conc, 2048)
    act = vl.activation_bytes(model_id, act_tokens, min(conc, act_tokens))
    sub = w + kv + act + FRAMEWORK + (TP_COMM if tp > 1 else 0)
    return sub + round(sub * Fraction(margin))


# ---------------------------------------------------------------- one home for vLLM's facts
def test_the_tensor_parallel_buffer_is_servings():
    assert serving.TP_COMM_BYTES == TP_COMM
    assert not hasattr(planning, "DEFAULT_TP_COMM_BYTES")
    p = planning.plan_on("Qwen/Qwen3-8B", "H100 80GB", tensor_parallel=2)
    assert p.communication == TP_COMM
    assert planning.plan_on("Qwen/Qwen3-8B", "H100 80GB", tensor_parallel=2, comm_bytes=0).communication == 0


@pytest.mark.parametrize("mid", ["Qwen/QwQ-32B", "deepseek-ai/DeepSeek-V3", "tiiuae/falcon-7b", "google/gemma-2-9b"])
def test_tp_degrees_are_the_sizes_serving_accepts(mid):
    m = vl.load_model(mid)
    accepted = []
    for t in range(1, 129):
        try:
            serving.check_tensor_parallel(m, t)
        except vl.VramlabError:
            continue
        accepted.append(t)
    assert planning.tp_degrees(mid, 128) == accepted


# ---------------------------------------------------------------- tensor parallel placement
def test_tp_degrees_follow_the_head_rule():
    for mid in ("Qwen/QwQ-32B", "meta-llama/Llama-3.1-70B-Instruct", "tiiuae/falcon-7b", "Qwen/Qwen3-8B"):
        c = preset_record(mid)["config"]
        q = c.get("num_attention_heads") or c.get("n_head")
        kv = 1 if c.get("multi_query") else c.get("num_key_value_heads", q)
        want = [t for t in range(1, 65) if q % t == 0 and (kv % t == 0 or t % kv == 0)]
        assert planning.tp_degrees(mid, 64) == want
    assert planning.tp_degrees("Qwen/QwQ-32B", 64) == [1, 2, 4, 8, 40]
    assert planning.tp_degrees("tiiuae/falcon-7b", 8) == [1]


@pytest.mark.parametrize("tp", [1, 2, 4, 8, 16])
def test_plan_splits_weights_and_kv_heads(tp):
    mid = "meta-llama/Llama-3.1-70B-Instruct"
    p = planning.plan_on(mid, "H100 80GB", tensor_parallel=tp, tokens=8192, concurrency=4, weight_dtype="bf16")
    assert p.total == expected_per_gpu(mid, tp, 8192, 4)
    assert p.kv_cache == -(-kv_per_token_16bit(mid) * 8192 * 4 * max(1, 8 // tp) // 8)
    assert p.headroom == vl.get_gpu("H100 80GB").usable_bytes - p.total


def test_one_gpu_plan_is_the_estimate():
    e = vl.estimate("Qwen/Qwen3-8B", tokens=16384, concurrency=3, weight_dtype="fp8", kv_dtype="fp8", margin=0.2)
    p = planning.plan_on("Qwen/Qwen3-8B", "L4", 1, 16384, 3, "fp8", "fp8", 0.2)
    assert p.total == e.total and p.communication == 0


def test_mla_latent_and_mqa_head_are_replicated():
    full = vl.kv_cache_bytes("deepseek-ai/DeepSeek-V3", 8192, 2)
    assert planning.plan_on("deepseek-ai/DeepSeek-V3", "H200", 8, 8192, 2).kv_cache == full
    # DeepSeek-V3's MLA cache per token: 61 layers x (512 + 64) x 2 bytes
    assert full == 61 * (512 + 64) * 2 * 8192 * 2


def test_invalid_tensor_parallel_is_refused():
    with pytest.raises(vl.VramlabError, match="tensor_parallel 3") as err:
        planning.plan_on("Qwen/Qwen3-8B", "L4", tensor_parallel=3)
    assert err.value.field == "tensor_parallel"
    assert "1, 2" in str(err.value)


# ---------------------------------------------------------------- fit
def test_fit_headroom_is_usable_minus_total_and_negative_when_short():
    mid = "Qwen/Qwen3-8B"
    f = vl.fit(mid, "RTX 4090", tokens=32768, concurrency=1, weight_dtype="bf16")
    usable = int(24 * GiB * 0.985)          # RTX 4090: no log, default fraction of 24 GiB
    assert f.usable == usable
    assert f.headroom == usable - expected_per_gpu(mid, 1, 32768, 1)
    assert f.fits and f.min_gpus == 1
    short = vl.fit(mid, "RTX 4090", tokens=32768, concurrency=4, weight_dtype="bf16")
    assert not short.fits
    assert short.headroom == usable - expected_per_gpu(mid, 1, 32768, 4) < 0
    assert "short by" in short.verdict()


def test_fewest_gpus_for_llama_70b_bf16_on_h100():
    mid = "meta-llama/Llama-3.1-70B-Instruct"
    usable = round(79.19 * GiB)
    f = vl.fit(mid, "H100 80GB", tokens=8192, concurrency=1, weight_dtype="bf16")
    want = next(t for t in (1, 2, 4, 8) if expected_per_gpu(mid, t, 8192, 1) <= usable)
    assert want == 2
    assert f.min_gpus == want and f.plan.total == expected_per_gpu(mid, 2, 8192, 1)
    assert "Needs 2 x H100 80GB" in f.verdict()


def test_no_placement_when_eight_gpus_are_not_enough():
    f = vl.fit("meta-llama/Llama-3.1-405B", "H100 80GB", tokens=8192, weight_dtype="bf16")
    assert bf16_weights("meta-llama/Llama-3.1-405B") / 8 > 79.19 * GiB     # weights alone overflow
    assert f.plan is None and f.min_gpus is None
    assert f.max_context == 0 and f.max_concurrency == 0
    assert vl.fit("meta-llama/Llama-3.1-405B", "H100 80GB", tokens=8192, weight_dtype="fp8",
                  max_gpus=8).min_gpus == 8


def test_longest_context_matches_the_closed_form():
    # (W + kv_tok * T * c + A + F) * 1.1 <= U, activations at the 2048-token chunk
    mid, conc = "Qwen/Qwen3-8B", 2
    usable = vl.get_gpu("H100 80GB").usable_bytes
    a = vl.activation_bytes(mid, 2048, 2)
    budget = usable / 1.1 - bf16_weights(mid) - a - FRAMEWORK
    closed = int(budget // (kv_per_token_16bit(mid) * conc))
    n = planning.max_context(mid, "H100 80GB", concurrency=conc, weight_dtype="bf16", limit=10**7)
    assert abs(n - closed) <= 1
    assert expected_per_gpu(mid, 1, n, conc) <= usable < expected_per_gpu(mid, 1, n + 1, conc)


def test_longest_context_is_capped_by_the_model():
    # Mistral-7B slides a 4096 window on every layer: memory never runs out, the model limit does
    f = vl.fit("mistralai/Mistral-7B-v0.1", "H100 80GB", tokens=4096)
    assert f.context_limit == preset_record("mistralai/Mistral-7B-v0.1")["config"]["max_position_embeddings"]
    assert f.max_context == f.context_limit
    assert "(model limit)" in f.verdict()


def test_most_sequences_matches_the_closed_form():
    mid, tokens = "Qwen/Qwen3-8B", 32768
    usable = vl.get_gpu("H100 80GB").usable_bytes
    n = planning.max_concurrency(mid, "H100 80GB", tokens=tokens, weight_dtype="bf16")
    a = vl.activation_bytes(mid, 2048, min(n, 2048))
    closed = int((usable / 1.1 - bf16_weights(mid) - a - FRAMEWORK) // (kv_per_token_16bit(mid) * tokens))
    assert abs(n - closed) <= 1
    assert expected_per_gpu(mid, 1, tokens, n) <= usable < expected_per_gpu(mid, 1, tokens, n + 1)
    assert vl.fit(mid, "H100 80GB", tokens, 1, "bf16").max_concurrency == n


def test_fp8_kv_and_4bit_weights_buy_room():
    base = vl.fit("Qwen/QwQ-32B", "H100 80GB", tokens=16000, concurrency=8, weight_dtype="bf16")
    fp8 = vl.fit("Qwen/QwQ-32B", "H100 80GB", tokens=16000, concurrency=8, weight_dtype="bf16", kv_dtype="fp8")
    int4 = vl.fit("Qwen/QwQ-32B", "H100 80GB", tokens=16000, concurrency=8, weight_dtype="int4")
    kv16 = kv_per_token_16bit("Qwen/QwQ-32B") * 16000 * 8
    assert base.estimate.kv_cache == kv16 and fp8.estimate.kv_cache == kv16 // 2
    assert fp8.max_concurrency > base.max_concurrency and int4.max_concurrency > base.max_concurrency


def test_fit_results_are_frozen():
    f = vl.fit("Qwen/Qwen3-8B", "L4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.headroom = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        planning.plan_on("Qwen/Qwen3-8B", "L4").weights = 0


def test_bad_input_names_the_field():
    with pytest.raises(vl.VramlabError, match="gpu 'H800' is unknown"):
        vl.fit("Qwen/Qwen3-8B", "H800")
    with pytest.raises(vl.VramlabError, match="tokens must be an integer") as err:
        vl.fit("Qwen/Qwen3-8B", "L4", tokens=0)
    assert err.value.field == "tokens"
    with pytest.raises(vl.VramlabError, match="max_gpus"):
        vl.fit("Qwen/Qwen3-8B", "L4", max_gpus=0)


def test_fit_map_agrees_with_each_plan_and_is_monotone():
    fm = planning.fit_map("Qwen/Qwen3-8B", "RTX 4090", contexts=(2048, 8192, 32768), concurrencies=(1, 4, 16),
                      weight_dtype="bf16")
    usable = int(24 * GiB * 0.985)
    for i, c in enumerate(fm.concurrencies):
        for j, t in enumerate(fm.contexts):
            assert fm.headroom[i][j] == usable - expected_per_gpu("Qwen/Qwen3-8B", 1, t, c)
            if j:
                assert fm.headroom[i][j] < fm.headroom[i][j - 1]
    assert fm.fits[0][0] and not fm.fits[-1][-1]


# ---------------------------------------------------------------- grids and bad input
def test_fit_map_refuses_a_lone_number_for_a_list():
    with pytest.raises(vl.VramlabError, match="contexts") as err:
        planning.fit_map("Qwen/Qwen3-8B", "L4", contexts=4096)
    assert err.value.field == "contexts"
    with pytest.raises(vl.VramlabError, match="concurrenc"):
        planning.fit_map("Qwen/Qwen3-8B", "L4", concurrencies=[0])


def test_fit_map_with_tensor_parallel_is_each_plan():
    fm = planning.fit_map("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", contexts=(8192,), concurrencies=(1, 4),
                          weight_dtype="bf16", tensor_parallel=4)
    usable = round(79.19 * GiB)
    assert fm.tensor_parallel == 4
    assert [r[0] for r in fm.headroom] == [usable - expected_per_gpu("meta-llama/Llama-3.1-70B-Instruct", 4, 8192, c)
                                           for c in (1, 4)]


def test_kv_overtakes_weights_at_the_first_count_where_kv_is_larger():
    mid, tokens = "Qwen/Qwen3-8B", 4096
    n = planning.kv_overtakes_weights(mid, tokens, "bf16", "bf16")
    per_seq = kv_per_token_16bit(mid) * tokens
    assert n * per_seq >= bf16_weights(mid) > (n - 1) * per_seq


def test_the_lazy_top_level_fit_is_plannings():
    assert vl.fit is planning.fit


@pytest.mark.parametrize("tp", [1, 2, 8])
def test_the_per_gpu_formula_gives_the_plan_total(tp):
    pytest.importorskip("sympy")
    from vramlab.formulas import evaluate, per_gpu_memory

    mid = "meta-llama/Llama-3.1-70B-Instruct"
    e = vl.estimate(mid, 8192, 4, "bf16", "bf16", 0.1)
    p = planning.plan_on(mid, "H100 80GB", tp, 8192, 4, "bf16", "bf16", 0.1)
    value = evaluate(per_gpu_memory(), M_w=e.weights, t=tp, M_KV=e.kv_cache, H_kv=8, M_act=e.activations,
                     M_fw=e.framework, M_comm=TP_COMM if tp > 1 else 0, m=Fraction(1, 10), rounding="nearest")
    assert value == p.total == expected_per_gpu(mid, tp, 8192, 4)


# ---------------------------------------------------------------- where a hybrid's cache drops below
def test_qwen3_next_crossover_from_config_fields():
    nxt, dense = (preset_record(k)["config"] for k in ("Qwen/Qwen3-Next-80B-A3B-Instruct", "Qwen/Qwen3-32B"))
    full = nxt["num_hidden_layers"] // nxt["full_attention_interval"]
    linear = nxt["num_hidden_layers"] - full
    nk, nv, dk, dv = (nxt[f"linear_{k}"] for k in ("num_key_heads", "num_value_heads", "key_head_dim", "value_head_dim"))
    state = linear * ((2 * nk * dk + nv * dv) * nxt["linear_conv_kernel_dim"] * 2 + nv * dk * dv * 4)
    hybrid = full * 2 * nxt["num_key_value_heads"] * nxt["head_dim"] * 2           # bf16 bytes per token
    per_token = 2 * dense["num_hidden_layers"] * dense["num_key_value_heads"] * dense["head_dim"] * 2
    want = state // (per_token - hybrid) + 1                                      # first T with hybrid < dense
    assert planning.cache_crossover("Qwen/Qwen3-Next-80B-A3B-Instruct", "Qwen/Qwen3-32B", "bf16") == want
    assert planning.cache_crossover("Qwen/Qwen3-32B", "Qwen/Qwen3-Next-80B-A3B-Instruct", "bf16") is None


@pytest.mark.parametrize("a,b", [
    ("Qwen/Qwen3-Next-80B-A3B-Instruct", "google/gemma-2-9b"),         # full + sliding layers
    ("Qwen/Qwen3-Next-80B-A3B-Instruct", "mistralai/Mistral-7B-v0.1"),  # smaller only below a length
    ("mistralai/Mistral-7B-v0.1", "Qwen/Qwen3-8B"),                     # a window: smaller from W on
    ("Qwen/Qwen3-8B", "Qwen/Qwen3-8B"),                                  # never smaller than itself
])
def test_crossover_is_the_brute_force_answer(a, b):
    top = 12000
    smaller = [vl.kv_cache_bytes(a, t, 1, "bf16") < vl.kv_cache_bytes(b, t, 1, "bf16") for t in range(1, top + 1)]
    if not smaller[-1]:
        want = None
    else:
        last_not = max((t for t, s in enumerate(smaller, start=1) if not s), default=0)
        want = last_not + 1
    assert planning.cache_crossover(a, b, "bf16", max_tokens=top) == want


def test_crossover_refuses_a_bad_length():
    with pytest.raises(vl.VramlabError, match="max_tokens"):
        planning.cache_crossover("Qwen/Qwen3-8B", "Qwen/Qwen3-32B", max_tokens=0)


# ---------------------------------------------------------------- fit on N GPUs, vLLM's rule, display
LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"


def test_fit_on_tensor_parallel_gpus_is_each_gpus_plan():
    f = vl.fit(LLAMA_70B, "H100 80GB", tokens=8192, weight_dtype="bf16", tensor_parallel=2)
    usable = vl.get_gpu("H100 80GB").usable_bytes
    assert f.tensor_parallel == 2 and f.fits and f.min_gpus == 2
    assert f.per_gpu.total == expected_per_gpu(LLAMA_70B, 2, 8192, 1)
    assert f.headroom == usable - f.per_gpu.total
    assert f.verdict().startswith("✓ Fits on 2 x H100 80GB")
    # the longest context and the most sequences are on those two GPUs
    ok = lambda t, c: planning.plan_on(LLAMA_70B, "H100 80GB", 2, t, c, "bf16").fits  # noqa: E731
    assert ok(f.max_context, 1) and (f.max_context == f.context_limit or not ok(f.max_context + 1, 1))
    assert ok(8192, f.max_concurrency) and not ok(8192, f.max_concurrency + 1)
    one = vl.fit(LLAMA_70B, "H100 80GB", tokens=8192, weight_dtype="bf16")
    assert one.tensor_parallel == 1 and one.per_gpu.total == one.estimate.total and not one.fits


def test_fit_says_when_fewer_gpus_would_do():
    f = vl.fit("Qwen/Qwen3-8B", "H100 80GB", tokens=8192, tensor_parallel=4)
    assert f.fits and f.min_gpus == 1 and "1 x H100 80GB would do" in f.verdict()


def test_fit_under_vllm_accounting_follows_the_pool():
    f = vl.fit("Qwen/Qwen3-8B", "H100 80GB", tokens=32768, concurrency=4, engine="vllm")
    p = vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", max_model_len=32768)
    assert f.pool == p and f.fits == (p.max_concurrency >= 4) and f.max_concurrency == int(p.max_concurrency)
    n = f.max_context
    holds = lambda L: vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", max_model_len=L).max_concurrency >= 4  # noqa: E731
    assert holds(n) and (n == f.context_limit or not holds(n + 1))
    dead = vl.fit(LLAMA_70B, "RTX 4090", weight_dtype="int4", engine="vllm")
    assert not dead.fits and dead.pool.kv_bytes == 0 and "vLLM would not start" in dead.verdict()
    assert any("refuses to start" in w for w in dead.warnings)


def test_fit_warnings_and_json():
    import json

    f = vl.fit("Qwen/Qwen3-8B", "RTX 4090", tokens=65536, concurrency=8)
    assert not f.fits and any("40,960" in w for w in f.warnings)
    assert any(w.startswith("the workload does not fit on one RTX 4090") for w in f.warnings)
    d = json.loads(json.dumps(f.to_dict()))
    assert d["fits"] is False and d["headroom"] == f.headroom and d["per_gpu"]["total"] == f.per_gpu.total
    assert d["estimate"]["warnings"] == list(f.estimate.warnings) and d["verdict"] == f.verdict()


def test_a_custom_gpu_fits_like_a_catalog_one():
    g = vl.GPU.custom("my 24 GiB card", memory="24GiB")
    assert g.physical_bytes == 24 * GiB and not g.usable_is_measured
    assert g.usable_bytes == vl.get_gpu("RTX 4090").usable_bytes          # same memory, same estimate
    a = vl.fit("Qwen/Qwen3-8B", g, tokens=8192)
    b = vl.fit("Qwen/Qwen3-8B", "RTX 4090", tokens=8192)
    assert a.headroom == b.headroom and a.gpu == "my 24 GiB card"
    measured = vl.GPU.custom("measured", memory="24GiB", usable="23.5GiB")
    assert measured.usable_bytes == round(23.5 * GiB) and measured.usable_is_measured
    assert vl.GPU.custom(memory=80 * 10**9).physical_bytes == 80 * 10**9     # bytes as an int


@pytest.mark.parametrize("kwargs,needle", [
    ({"memory": 24}, "at least 1 MiB"), ({"memory": "24"}, "unit"), ({"memory": "lots"}, "memory"),
    ({"memory": "24GiB", "usable": "30GiB"}, "usable"), ({"memory": "24GiB", "bandwidth": "fast"}, "bandwidth"),
])
def test_a_bad_custom_gpu_is_refused(kwargs, needle):
    with pytest.raises(vl.VramlabError, match=needle):
        vl.GPU.custom("x", **kwargs)


def test_a_bare_number_for_a_gpu_says_how_to_pass_a_custom_memory():
    with pytest.raises(vl.VramlabError, match=r"GPU\.custom\('my GPU', memory='24GiB'\)") as err:
        vl.fit("Qwen/Qwen3-8B", 24)
    assert err.value.field == "gpu" and "closest" not in str(err.value)


def test_fit_gpu_and_plan_render_as_html_tables():
    f = vl.fit(LLAMA_70B, "H100 80GB", tokens=8192, weight_dtype="bf16", tensor_parallel=2)
    h = f._repr_html_()
    assert h.startswith("<table><caption>✓ Fits on 2 x H100 80GB") and f"<td>{f.per_gpu.total:,}</td>" in h
    assert "<td>usable</td>" in h and "<td>headroom</td>" in h
    g = vl.get_gpu("H100 80GB")._repr_html_()
    assert "<td>usable</td><td>79.19 GiB (measured)</td>" in g and "3.35 TB/s" in g
    assert "<table>" in f.per_gpu._repr_html_()


def test_fit_refuses_an_unknown_engine():
    with pytest.raises(vl.VramlabError, match="engine"):
        vl.fit("Qwen/Qwen3-8B", "H100", engine="sglang")
