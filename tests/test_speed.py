"""Decode and prefill bounds, against arithmetic redone here from config fields and datasheets,
and against published measurements (a bound that a real run beats is a wrong bound)."""

from __future__ import annotations

import csv
import statistics
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vramlab as vl
from vramlab import speed
from vramlab.gpus import GPUS, get_gpu
from vramlab.presets import preset_record

from .reference import bf16_weights

QWEN3 = "Qwen/Qwen3-8B"
H100_SXM_BANDWIDTH = 3.35e12          # NVIDIA H100 SXM datasheet, 3.35 TB/s
H100_SXM_BF16_DENSE = 989.4e12       # Hopper whitepaper, dense; the datasheet's 1,979 TFLOPS is "with sparsity"


def config(model_id: str) -> dict:
    return preset_record(model_id)["config"]


def kv_16bit(model_id: str, tokens: int) -> int:
    c = config(model_id)
    head_dim = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    return 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * head_dim * 2 * tokens


# ---------------------------------------------------------------- the brief's checks
def test_qwen3_8b_one_sequence_is_weights_plus_kv_and_memory_bound():
    s = vl.decode_speed(QWEN3, gpu="H100 80GB", tokens=4096, concurrency=1, weight_dtype="bf16")
    expected = bf16_weights(QWEN3) + kv_16bit(QWEN3, 4096)
    assert abs(s.bytes_per_step - expected) <= 0.01 * expected
    assert s.seconds_per_step >= expected / H100_SXM_BANDWIDTH * 0.99
    assert s.seconds_per_step >= s.bytes_per_step / H100_SXM_BANDWIDTH
    assert s.bound == "memory"
    assert s.tokens_per_s == pytest.approx(1 / s.seconds_per_step)


def test_1024_short_sequences_are_compute_bound():
    s = vl.decode_speed(QWEN3, gpu="H100 80GB", tokens=64, concurrency=1024, weight_dtype="bf16")
    assert s.bound == "compute"
    assert s.compute_seconds > s.memory_seconds


def test_flops_by_hand():
    c = config(QWEN3)
    params = preset_record(QWEN3)["reference"]["params_computed_from_config"]
    matmul = params - c["vocab_size"] * c["hidden_size"]  # the untied input table is looked up, not multiplied
    att = 2 * c["num_attention_heads"] * (2 * c["head_dim"]) * 4096 * c["num_hidden_layers"]
    s = vl.decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=3, weight_dtype="bf16")
    assert s.attention_flops == 3 * att
    assert s.flops_per_step == 3 * (2 * matmul + att)
    assert s.compute_seconds == pytest.approx(s.flops_per_step / H100_SXM_BF16_DENSE)


def test_h100_datasheet_figures():
    assert get_gpu("H100 80GB").memory_bandwidth == 3_350_000_000_000
    assert get_gpu("H100 PCIe").memory_bandwidth == 2_000_000_000_000
    assert get_gpu("A100 80GB").memory_bandwidth == 2_039_000_000_000
    assert get_gpu("H100 80GB").bf16_flops == H100_SXM_BF16_DENSE
    assert get_gpu("H100 80GB").bf16_flops == pytest.approx(1979e12 / 2, rel=1e-3)
    assert get_gpu("H100 80GB").fp8_flops == pytest.approx(2 * get_gpu("H100 80GB").bf16_flops, rel=1e-3)


def test_every_gpu_has_bandwidth_and_flops_with_a_source():
    for g in GPUS.values():
        assert g.memory_bandwidth and g.memory_bandwidth > 10**11, g.name
        assert g.bf16_flops and g.bf16_flops > 10**13, g.name
        assert g.fp8_flops is None or g.fp8_flops >= g.bf16_flops, g.name
        assert "/s" in g.speed_source and "TFLOPS" in g.speed_source or "PFLOPS" in g.speed_source, g.name


# ---------------------------------------------------------------- published measurements
def _csv_rows() -> list[dict]:
    with resources.files("vramlab").joinpath("data", "decode_benchmarks.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_benchmark_csv_columns_and_rows():
    rows = _csv_rows()
    assert list(rows[0]) == ["model", "gpu", "tensor_parallel", "weight_dtype", "kv_dtype", "concurrency",
                             "input_tokens", "output_tokens", "measured_output_tokens_per_s", "engine",
                             "source_url"]
    assert len(rows) >= 10
    assert len({r["gpu"] for r in rows}) >= 3 and len({r["model"] for r in rows}) >= 3
    assert len({r["concurrency"] for r in rows}) >= 5
    models = set(vl.list_models())
    for r in rows:
        assert r["model"] in models
        assert get_gpu(r["gpu"]).name == r["gpu"]
        assert r["source_url"].startswith("https://github.com/")
        assert float(r["measured_output_tokens_per_s"]) > 0


def test_every_published_run_is_at_or_below_its_bound():
    rows = _csv_rows()
    ratios = []
    for r in rows:
        context = int(r["input_tokens"]) + int(r["output_tokens"]) // 2
        s = vl.decode_speed(r["model"], r["gpu"], context, int(r["concurrency"]), r["weight_dtype"], r["kv_dtype"],
                            int(r["tensor_parallel"]))
        measured = float(r["measured_output_tokens_per_s"])
        assert measured <= s.tokens_per_s, r
        ratios.append(measured / s.tokens_per_s)
    assert statistics.median(ratios) >= 0.4


def test_check_decode_benchmarks_matches_the_csv():
    checks = speed.check_decode_benchmarks()
    assert len(checks) == len(_csv_rows())
    for c in checks:
        assert c.within_bound and 0 < c.ratio <= 1
        assert c.bound_with_prefill <= c.bound.tokens_per_s
        assert c.reasons
    assert "all at or below the bound: True" in speed.benchmark_report(checks)


def test_a_bound_that_a_run_beats_is_reported():
    m = speed.load_decode_benchmarks()[0]
    fast = speed.Measurement(**{**m.__dict__, "measured_output_tokens_per_s": 10**9})
    (c,) = speed.check_decode_benchmarks((fast,))
    assert not c.within_bound and c.ratio > 1


# ---------------------------------------------------------------- invariants
def test_more_context_never_faster():
    prev = None
    for t in (1, 512, 4096, 32768):
        s = vl.decode_speed(QWEN3, "H100 80GB", tokens=t, concurrency=8, weight_dtype="bf16")
        if prev is not None:
            assert s.bytes_per_step > prev.bytes_per_step
            assert s.seconds_per_step >= prev.seconds_per_step
        prev = s


def test_sliding_window_caps_the_kv_read():
    a = vl.decode_speed("mistralai/Mistral-7B-v0.1", "A100 80GB", tokens=4096)
    b = vl.decode_speed("mistralai/Mistral-7B-v0.1", "A100 80GB", tokens=32768)
    assert a.kv_bytes == b.kv_bytes and a.attention_flops == b.attention_flops


def test_batching_raises_tokens_per_s_and_lowers_it_per_sequence():
    one = vl.decode_speed(QWEN3, "H100 80GB", tokens=1024, concurrency=1, weight_dtype="bf16")
    many = vl.decode_speed(QWEN3, "H100 80GB", tokens=1024, concurrency=64, weight_dtype="bf16")
    assert many.tokens_per_s > 10 * one.tokens_per_s
    assert many.tokens_per_s_per_sequence < one.tokens_per_s_per_sequence


def test_moe_reads_only_its_active_experts():
    m = "Qwen/Qwen3-30B-A3B"
    total = vl.weights_bytes(m, "bf16")
    one = vl.decode_speed(m, "H100 80GB", tokens=1024, concurrency=1, weight_dtype="bf16")
    assert one.experts_read == config(m)["num_experts_per_tok"]
    assert one.weight_bytes < total / 4
    # 2 bytes per active parameter, within the 16-bit embedding table counted whole
    assert one.weight_bytes == pytest.approx(2 * vl.active_param_count(vl.load_model(m)), rel=0.01)
    many = vl.decode_speed(m, "H100 80GB", tokens=1024, concurrency=256, weight_dtype="bf16")
    assert one.weight_bytes < many.weight_bytes <= total
    assert many.experts_read <= config(m)["num_experts"]


def test_dense_models_read_every_weight():
    s = vl.decode_speed(QWEN3, "H100 80GB", tokens=16, concurrency=100, weight_dtype="bf16")
    assert s.weight_bytes == vl.weights_bytes(QWEN3, "bf16") and s.experts_read is None


def test_tensor_parallel_splits_and_adds_nothing():
    one = vl.decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=4, weight_dtype="bf16")
    two = vl.decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=4, weight_dtype="bf16", tensor_parallel=2)
    assert two.bytes_per_step == one.bytes_per_step
    assert two.seconds_per_step == pytest.approx(one.seconds_per_step / 2)


def test_smaller_formats_read_fewer_bytes_and_fp8_uses_the_fp8_peak():
    kw = dict(gpu="H100 80GB", tokens=8192, concurrency=4)
    bf16 = vl.decode_speed(QWEN3, weight_dtype="bf16", **kw)
    fp8 = vl.decode_speed(QWEN3, weight_dtype="fp8", kv_dtype="fp8", **kw)
    int4 = vl.decode_speed(QWEN3, weight_dtype="int4", **kw)
    assert int4.weight_bytes < fp8.weight_bytes < bf16.weight_bytes
    assert fp8.kv_bytes * 2 == bf16.kv_bytes
    assert fp8.peak_dtype == "fp8" and int4.peak_dtype == "bf16"
    assert vl.decode_speed(QWEN3, "A100 80GB", weight_dtype="fp8").peak_dtype == "bf16"   # no fp8 tensor cores


def test_gqa_and_mla_read_less_kv_than_mha_per_token():
    mha = vl.decode_speed("meta-llama/Llama-2-7b-hf", "H100 80GB", tokens=8192)
    gqa = vl.decode_speed("meta-llama/Llama-3.1-8B-Instruct", "H100 80GB", tokens=8192)
    assert gqa.kv_bytes * 4 == mha.kv_bytes   # 8 KV heads instead of 32, same layers and head size


def test_crossover_is_the_first_compute_bound_concurrency():
    s = vl.decode_speed(QWEN3, "H100 80GB", tokens=256, weight_dtype="bf16")
    c = s.crossover_concurrency
    assert c is not None and c > 1
    assert vl.decode_speed(QWEN3, "H100 80GB", 256, c, "bf16").bound == "compute"
    assert vl.decode_speed(QWEN3, "H100 80GB", 256, c - 1, "bf16").bound == "memory"
    # at long context each sequence's KV read outweighs its FLOPs: never compute-bound
    assert vl.decode_speed(QWEN3, "H100 80GB", tokens=32768, weight_dtype="bf16").crossover_concurrency is None


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(1, 200_000), c=st.integers(1, 4096))
def test_bound_is_the_larger_time(tokens, c):
    s = vl.decode_speed("Qwen/Qwen3-0.6B", "L4", tokens=tokens, concurrency=c)
    assert s.seconds_per_step == max(s.memory_seconds, s.compute_seconds)
    assert (s.bound == "memory") == (s.memory_seconds >= s.compute_seconds)
    assert s.tokens_per_s * s.seconds_per_step == pytest.approx(c)


def test_prefill_is_compute_bound_with_a_quadratic_term():
    c = config(QWEN3)
    short = vl.prefill_time(QWEN3, "H100 80GB", tokens=4096, weight_dtype="bf16")
    assert short.bound == "compute"
    positions = 4096 * 4097 // 2
    assert short.attention_flops == 2 * c["num_attention_heads"] * 2 * c["head_dim"] * positions * c["num_hidden_layers"]
    long = vl.prefill_time(QWEN3, "H100 80GB", tokens=8 * 4096, weight_dtype="bf16")
    assert long.attention_flops > 60 * short.attention_flops
    assert long.seconds > 8 * short.seconds


def test_the_kv_cache_saves_two_orders_of_magnitude_at_long_context():
    short = speed.kv_cache_savings(QWEN3, "H100 80GB", tokens=1024, weight_dtype="bf16")
    long = speed.kv_cache_savings(QWEN3, "H100 80GB", tokens=32768, weight_dtype="bf16")
    assert 1 < short.speedup < long.speedup
    assert long.speedup >= 100


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw, field", [
    ({"tokens": 0}, "tokens"), ({"tokens": 2.5}, "tokens"), ({"concurrency": 0}, "concurrency"),
    ({"concurrency": True}, "concurrency"), ({"tensor_parallel": 3}, "tensor_parallel"),
    ({"gpu": "H800"}, "gpu"), ({"kv_dtype": "Q4_K_M"}, "kv_dtype"),
])
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(vl.VramlabError) as e:
        vl.decode_speed(QWEN3, **{"gpu": "H100 80GB", **kw})
    assert e.value.field == field


def test_a_gpu_without_speed_figures_is_refused():
    import dataclasses

    bare = dataclasses.replace(get_gpu("H100 80GB"), memory_bandwidth=None)
    with pytest.raises(vl.VramlabError, match="memory_bandwidth") as e:
        vl.decode_speed(QWEN3, gpu=bare)
    assert e.value.field == "gpu"


# ---------------------------------------------------------------- plots draw the results they are given
def test_plots_draw_one_point_per_result():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vramlab.plots import speed as ps

    steps = [vl.decode_speed(QWEN3, "H100 80GB", 4096, c, "bf16") for c in (1, 8, 64)]
    ax = ps.plot_roofline(steps)
    assert len(ax.get_lines()) == 2 + len(steps)          # the roof and the ridge, then one marker per step
    ax = ps.plot_concurrency({"a": steps, "b": steps})
    assert [list(ln.get_xdata()) for ln in ax.get_lines()[:1]] == [[1, 8, 64]]
    checks = speed.check_decode_benchmarks()
    ax = ps.plot_bound_vs_measured(checks)
    drawn = sum(len(ln.get_xdata()) for ln in ax.get_lines()[:-2])   # minus the two reference lines
    assert drawn == len(checks)
    plt.close("all")


def test_prefill_of_a_sliding_window_model_caps_the_attended_positions():
    c = config("mistralai/Mistral-7B-v0.1")
    w, t = c["sliding_window"], 3 * c["sliding_window"]
    p = vl.prefill_time("mistralai/Mistral-7B-v0.1", "H100 80GB", tokens=t)
    positions = w * (w + 1) // 2 + (t - w) * w          # position i attends to min(i, window) positions
    head_dim = c["hidden_size"] // c["num_attention_heads"]
    assert p.attention_flops == 2 * c["num_attention_heads"] * 2 * head_dim * positions * c["num_hidden_layers"]


def test_to_dict_is_json_and_carries_the_bound():
    import json

    s = vl.decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=2)
    d = json.loads(json.dumps(s.to_dict()))
    assert d["bound"] == s.bound and d["bytes_per_step"] == s.bytes_per_step
    assert d["tokens_per_s"] == pytest.approx(s.tokens_per_s)


def test_linear_attention_layers_add_state_but_no_quadratic_prefill():
    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    full = sum(la.kind == "full" for la in m.layers)
    assert 0 < full < m.num_layers
    p = vl.prefill_time(m, "H200", tokens=4096)
    per_position = 2 * m.num_q_heads * 2 * m.head_dim
    assert p.attention_flops == per_position * 4096 * 4097 // 2 * full     # only the full-attention layers
    s = vl.decode_speed(m, "H200", tokens=4096)
    assert s.kv_bytes == vl.kv_cache_bytes(m, 4096, 1)                      # the fixed state included
    assert s.attention_flops == per_position * 4096 * full


# ---------------------------------------------------------------- the command line
def test_cli_speed_json_is_decode_speed(capsys):
    import json

    from vramlab.cli import main

    assert main(["speed", QWEN3, "--gpu", "H100", "--tokens", "4k", "--concurrency", "8", "--kv-dtype", "fp8",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    s = vl.decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=8, kv_dtype="fp8")
    assert out["bytes_per_step"] == s.bytes_per_step and out["bound"] == s.bound
    assert out["tokens_per_s"] == pytest.approx(s.tokens_per_s) and out["kv_dtype"] == "fp8"


def test_cli_speed_text_names_the_bound(capsys):
    from vramlab.cli import main

    assert main(["speed", "Qwen/Qwen3-30B-A3B", "--gpu", "A100 80GB", "--tokens", "1024"]) == 0
    text = capsys.readouterr().out
    s = vl.decode_speed("Qwen/Qwen3-30B-A3B", "A100 80GB", tokens=1024)
    assert f"<= {s.tokens_per_s:,.0f} tokens/s" in text and "memory-bound" in text


@pytest.mark.parametrize("argv, option", [
    (["--tp", "3"], "--tensor-parallel"), (["--gpu", "H800"], "--gpu"), (["--tokens", "0"], "--tokens"),
    (["--kv-dtype", "Q4_K_M"], "--kv-dtype"), (["--concurrency", "-1"], "--concurrency"),
])
def test_cli_speed_bad_input_is_one_line_and_status_2(capsys, argv, option):
    from vramlab.cli import main

    assert main(["speed", QWEN3, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("vramlab: error:") and option in err and "\n" not in err


# ---------------------------------------------------------------- the calculator shows tokens/s beside memory
def test_calculator_decode_line_is_the_bound_on_the_plans_gpus():
    from vramlab.widgets.compute import calculate, decode_line

    out = calculate(QWEN3, "", 4096, 8, "bf16", "fp8", 0.1, "H100 80GB")
    s = vl.decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=8, weight_dtype="bf16", kv_dtype="fp8")
    line = decode_line(out, QWEN3, gpu="H100 80GB")
    assert f"<= {s.tokens_per_s:,.0f} tokens/s" in line and "1 x H100 80GB" in line
    big = "meta-llama/Llama-3.1-70B-Instruct"
    out = calculate(big, "", 8192, 1, "bf16", "auto", 0.1, "H100 80GB")
    tp = out.fit.plan.tensor_parallel
    assert tp > 1 and f"{tp} x H100 80GB" in decode_line(out, big, gpu="H100 80GB")
    bad = calculate(QWEN3, "", 0, 1, "bf16", "auto", 0.1, "H100 80GB")
    assert bad.error and decode_line(bad, QWEN3, gpu="H100 80GB") == ""


def test_calculator_widget_shows_the_decode_line():
    pytest.importorskip("ipywidgets")
    from vramlab.widgets.calculators import Calculator

    c = Calculator(plot=False, model=QWEN3, gpu="H100 80GB", tokens=4096)
    assert "Decode speed bound on 1 x H100 80GB" in c.speed.value
    c.controls["concurrency"].value = 64
    s = vl.decode_speed(QWEN3, "H100 80GB", tokens=4096, concurrency=64)
    assert f"{s.tokens_per_s:,.0f} tokens/s" in c.speed.value


def test_a_chunked_layer_reads_only_its_own_chunk_when_decoding():
    # Llama-4-style chunked attention: at 8,193 tokens with chunks of 8,192, the new token starts a
    # chunk and attends to itself only, where a full layer reads all 8,193 positions.
    import dataclasses

    from vramlab.speed import _attention_per_position, _decode_attention

    m = vl.load_model("Qwen/Qwen3-8B")
    chunked = dataclasses.replace(m, layers=(vl.LayerAttention("chunked", window=8192),) * m.num_layers)
    per = _attention_per_position(chunked)
    assert _decode_attention(chunked, 8193) == per * m.num_layers * 1
    assert _decode_attention(chunked, 8192) == per * m.num_layers * 8192
    assert _decode_attention(m, 8193) == per * m.num_layers * 8193
