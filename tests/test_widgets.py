"""The calculator and fit-map widgets, driven without a browser (set a control, read the result)."""

from __future__ import annotations

import datetime
import json

import pytest

import vramlab as vl
from vramlab import widgets as vw
from vramlab.presets import preset_record

ipywidgets = pytest.importorskip("ipywidgets")

GiB = 2**30

# A small Llama-style config typed by hand (MHA, untied embeddings, no biases)
LLAMA = {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 22,
         "num_attention_heads": 32, "num_key_value_heads": 4, "vocab_size": 32000, "torch_dtype": "bfloat16",
         "max_position_embeddings": 2048}


def llama_params(c):
    h, i, L, v = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    d = h // c["num_attention_heads"]
    attn = h * h * 2 + 2 * h * c["num_key_value_heads"] * d          # q, o + k, v
    per_layer = attn + 3 * h * i + 2 * h                               # + gate/up/down + 2 norms
    return 2 * v * h + L * per_layer + h                                # embed + lm_head + final norm


def qwen3_8b_kv_per_token():
    c = preset_record("Qwen/Qwen3-8B")["config"]
    return 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * c["head_dim"] * 2


@pytest.fixture
def calc():
    return vw.Calculator(plot=False)


def test_controls_ui_and_first_result(calc):
    assert set(calc.controls) == {"model", "config", "tokens", "concurrency", "weight_dtype", "kv_dtype", "margin", "gpu",
                                  "gpu_memory"}
    assert isinstance(calc.ui, ipywidgets.Widget)
    for name in ("tokens", "concurrency", "margin", "config"):
        assert calc.controls[name].continuous_update is False
    d = vw.DEFAULTS
    assert calc.result.model == d["model"] and calc.result.tokens == d["tokens"]
    assert calc.result.kv_cache == qwen3_8b_kv_per_token() * d["tokens"]


def test_setting_concurrency_updates_the_result(calc):
    calc.controls["concurrency"].value = 8
    d = vw.DEFAULTS
    assert calc.result.concurrency == 8
    assert calc.result.kv_cache == 8 * qwen3_8b_kv_per_token() * d["tokens"]
    assert calc.result == vl.estimate(d["model"], d["tokens"], 8, d["weight_dtype"], d["kv_dtype"], d["margin"])
    assert f"{calc.result.total / GiB:,.2f} GiB" in calc.output.text


def test_tokens_precision_margin_and_gpu(calc):
    calc.controls["tokens"].value = 2**15
    calc.controls["kv_dtype"].value = "fp8"
    calc.controls["weight_dtype"].value = "bf16"
    assert calc.result.kv_cache == qwen3_8b_kv_per_token() // 2 * 2**15
    assert calc.result.weights == 2 * preset_record("Qwen/Qwen3-8B")["reference"]["params_computed_from_config"]
    calc.controls["margin"].value = 0.0
    assert calc.result.margin == 0
    calc.controls["gpu"].value = "H100 80GB"
    assert calc.output.fit.gpu == "H100 80GB"
    assert calc.output.fit.headroom == round(79.19 * GiB) - calc.result.total
    assert "Fits on one H100 80GB" in calc.verdict.value


def test_verdict_says_when_it_does_not_fit(calc):
    calc.controls["model"].value = "Qwen/QwQ-32B"
    assert not calc.output.fit.fits
    assert "short by" in calc.verdict.value and "Needs 4 x RTX 4090" in calc.verdict.value


def test_pasted_config_is_used(calc):
    calc.controls["config"].value = json.dumps(LLAMA)
    assert calc.controls["model"].value == vw.CUSTOM          # pasting switches to the custom model
    assert calc.output.error is None
    assert calc.result.weights == 2 * llama_params(LLAMA)


def test_bad_config_shows_the_error_and_the_widget_keeps_working(calc):
    calc.controls["model"].value = vw.CUSTOM
    calc.controls["config"].value = '{"model_type": "llama", "hidden_size": 4096'
    assert calc.result is None
    assert "config.json is not valid JSON" in calc.output.error
    assert "not valid JSON" in calc.verdict.value
    calc.controls["config"].value = json.dumps({"model_type": "llama", "hidden_size": 4096})
    assert "num_hidden_layers" in calc.output.error and calc.result is None
    calc.controls["model"].value = "Qwen/Qwen3-8B"               # back to a preset: works again
    calc.controls["concurrency"].value = 3
    assert calc.output.error is None and calc.result.concurrency == 3


def test_bad_workload_is_an_error_not_a_crash(calc):
    calc.controls["model"].value = "Qwen/Qwen3-8B"
    calc.controls["kv_dtype"].value = "fp16"
    calc.controls["weight_dtype"].value = "Q4_K_M"
    assert calc.output.error is None
    out = vw.calculate("Qwen/Qwen3-8B", "", 4096, 1, "auto", "Q4_K_M", 0.1, "L4")
    assert "kv_dtype 'Q4_K_M' is not a KV-cache format" in out.error


def test_upload_fills_the_config(calc):
    data = json.dumps(LLAMA).encode()
    calc.upload.value = ({"name": "config.json", "type": "application/json", "size": len(data),
                          "content": memoryview(data), "last_modified": datetime.datetime(2026, 1, 1)},)
    assert json.loads(calc.controls["config"].value) == LLAMA
    assert calc.result.weights == 2 * llama_params(LLAMA)


def test_figure_is_drawn_when_plotting():
    c = vw.Calculator(plot=True, model="meta-llama/Llama-3.1-70B-Instruct", gpu="H100 80GB")
    assert c.figure.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert c.figure.layout.display != "none"
    c.controls["model"].value = vw.CUSTOM                          # empty config: error, figure hidden
    assert "config.json is empty" in c.output.error
    assert c.figure.layout.display == "none" and c.figure.value != b""   # never an empty (broken) image
    c.controls["model"].value = "Qwen/Qwen3-8B"
    assert c.figure.layout.display != "none" and c.figure.value[:4] == b"\x89PNG"


def test_unknown_setting_is_refused():
    with pytest.raises(vl.VramlabError, match="unknown settings"):
        vw.Calculator(plot=False, batch=4)


def test_fit_map_explorer():
    ex = vw.FitMapExplorer(plot=False)
    assert ex.result.gpu == "RTX 4090"
    ex.controls["gpu"].value = "H100 80GB"
    usable = round(79.19 * GiB)
    e = vl.estimate("Qwen/Qwen3-8B", ex.result.contexts[0], ex.result.concurrencies[0])
    assert ex.result.headroom[0][0] == usable - e.total
    ex.controls["tensor_parallel"].value = 3                     # 32 heads do not split in 3
    assert ex.result is None and "tensor_parallel 3" in ex.output.error
    ex.controls["tensor_parallel"].value = 2
    assert ex.result.tensor_parallel == 2 and ex.output.error is None
    n_fit = sum(ok for row in ex.result.fits for ok in row)
    assert ex.output.summary.startswith(f"{n_fit} of {len(ex.result.contexts) * len(ex.result.concurrencies)}")


def test_fit_map_explorer_draws():
    ex = vw.FitMapExplorer(plot=True, model="Qwen/Qwen3-0.6B", gpu="T4")
    assert ex.figure.value[:4] == b"\x89PNG"


def test_fit_map_explorer_computes_its_grid_once_per_change(monkeypatch):
    from vramlab.widgets import compute

    calls = []
    real = compute.fit_map

    def counting(*a, **k):
        calls.append(a[:2])
        return real(*a, **k)

    monkeypatch.setattr(compute, "fit_map", counting)
    ex = vw.FitMapExplorer(plot=True, model="Qwen/Qwen3-0.6B", gpu="T4")
    calls.clear()
    ex.controls["gpu"].value = "L4"
    assert len(calls) == 1 and ex.figure.value[:4] == b"\x89PNG"


# ---------------------------------------------------------------- the notebooks' small calculators
def test_weights_calculator_line():
    wc = vw.WeightsCalculator()
    assert set(wc.controls) == {"model", "dtype"}
    wc.controls["model"].value = "Qwen/QwQ-32B"
    wc.controls["dtype"].value = "bf16"
    params = preset_record("Qwen/QwQ-32B")["reference"]["params_computed_from_config"]
    assert wc.result.startswith(f"Qwen/QwQ-32B: {params:,} parameters in bf16 (16 bits)")
    assert f"{2 * params / 1e9:.2f} GB" in wc.result and wc.result in wc.text.value


def test_kv_calculator_line_and_controls():
    kc = vw.KVCalculator()
    for name in ("tokens", "concurrency"):
        assert kc.controls[name].continuous_update is False
    kc.controls["concurrency"].value = 8
    kc.controls["tokens"].value = 8192
    total = qwen3_8b_kv_per_token() * 8192 * 8
    assert kc.result == vw.kv_text("Qwen/Qwen3-8B", "bf16", 8192, 8)
    assert kc.result.startswith("Qwen/Qwen3-8B (GQA, 36 full): 144 KiB/token in bf16; 8 x 8,192 tokens")
    assert f"{total / GiB:.2f} GiB" in kc.result


def test_kv_text_refuses_a_weight_only_format():
    with pytest.raises(vl.VramlabError, match="kv_dtype 'Q4_K_M'"):
        vw.kv_text("Qwen/Qwen3-8B", "Q4_K_M")


def test_pool_calculator_is_kv_pool():
    pc = vw.PoolCalculator()
    assert set(pc.controls) == {"model", "gpu", "gpu_memory_utilization", "max_model_len", "kv_dtype"}
    pc.controls["kv_dtype"].value = "fp8"
    want = vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", gpu_memory_utilization=0.9, max_model_len=32768,
                      kv_dtype="fp8")
    assert pc.result == want and pc.output == str(want) and want.warnings == ()
    pc.controls["model"].value = "Qwen/QwQ-32B"
    pc.controls["gpu"].value = "RTX 4090"                        # 65 GB of bf16 weights on 24 GiB
    assert pc.result is None or pc.result.kv_bytes == 0
    assert "⚠" in pc.output and "refuses to start" in pc.output


def test_pool_summary_reports_bad_input():
    out = vw.pool_summary("Qwen/Qwen3-8B", "H800")
    assert out.pool is None and "gpu 'H800'" in out.error and out.text.startswith("✗")


def test_log_explainer_explains_the_calibration_row_and_pasted_lines():
    from vramlab.calibration import calibration_log

    le = vw.LogExplainer(row_id=22)
    assert le.controls["text"].value == calibration_log(22)
    assert le.result is not None and le.output == vw.explain_log(calibration_log(22)).text
    le.controls["text"].value = "nothing vLLM would print"
    out = vw.explain_log("nothing vLLM would print")
    assert (le.result is None) == (out.table is None) and le.output == out.text


def test_size_converter_shows_both_units():
    sc = vw.SizeConverter()
    assert sc.result == "80.000 GB (74.506 GiB)"                 # 80e9 / 2**30 = 74.5058...
    sc.controls["value"].value = 24
    sc.controls["unit"].value = "GiB"
    assert sc.result == f"{24 * GiB / 1e9:.3f} GB (24.000 GiB)"


def test_rules_calculator_is_compare_rules():
    rc = vw.RulesCalculator()
    rc.controls["concurrency"].value = 8
    assert rc.result == str(vl.overheads.compare_rules("Qwen/Qwen3-8B", tokens=32768, concurrency=8))


def test_training_calculator_is_the_training_estimate():
    tc = vw.TrainingCalculator()
    tc.controls["zero_stage"].value = 3
    tc.controls["num_gpus"].value = 8
    want = vl.training.estimate("Qwen/Qwen3-8B", "lora", 4096, 1, zero_stage=3, num_gpus=8, recompute="full")
    assert tc.result == str(want)
    tc.controls["method"].value = "full"
    assert tc.result == str(vl.training.estimate("Qwen/Qwen3-8B", "full", 4096, 1, zero_stage=3, num_gpus=8,
                                                 recompute="full"))


def test_speed_calculator_is_decode_speed():
    spc = vw.SpeedCalculator()
    spc.controls["concurrency"].value = 32
    spc.controls["gpu"].value = "A100 80GB"
    assert spc.result == vl.decode_speed("Qwen/Qwen3-8B", "A100 80GB", 4096, 32).summary()
    spc.controls["kv_dtype"].value = "fp8"
    assert spc.result == vl.decode_speed("Qwen/Qwen3-8B", "A100 80GB", 4096, 32, kv_dtype="fp8").summary()


WIDGETS = [n for n in vw.__all__ if isinstance(getattr(vw, n), type) and issubclass(getattr(vw, n), vw.calculators._Widget)]


def test_every_calculator_is_listed():
    assert len(WIDGETS) == 10


@pytest.mark.parametrize("name", WIDGETS)
def test_every_calculator_draws_at_creation_and_waits_for_release(name):
    cls = getattr(vw, name)
    w = cls(plot=False) if name in ("Calculator", "FitMapExplorer") else cls()
    assert w.output is not None                                   # drawn at creation
    assert isinstance(w.ui, ipywidgets.Widget)
    for ctl in w.controls.values():
        if hasattr(ctl, "continuous_update"):
            assert ctl.continuous_update is False


# ---------------------------------------------------------------------------
# one error message, the context warning, a custom GPU memory, exports
BAD_JSON = '{"model_type": "llama", "hidden_size": 4096'


def test_a_bad_config_is_shown_once(calc):
    calc.controls["config"].value = BAD_JSON
    shown = calc.verdict.value + calc.breakdown.value + calc.exports.value
    assert calc.output.error and shown.count("config.json is not valid JSON") == 1
    assert calc.breakdown.value == "" and calc.exports.value == ""


def test_a_context_past_the_trained_positions_is_warned(calc):
    limit = preset_record("Qwen/Qwen3-8B")["config"]["max_position_embeddings"]
    calc.controls["tokens"].value = 65536
    assert calc.output.warnings and f"{limit:,} positions" in calc.output.warnings[0]
    assert "⚠ tokens 65,536 exceed" in calc.verdict.value
    calc.controls["tokens"].value = 4096
    assert calc.output.warnings == () and "⚠" not in calc.verdict.value


def test_custom_gpu_memory(calc):
    calc.controls["gpu_memory"].value = "48GiB"
    assert calc.output.fit.usable == int(48 * GiB * 0.985) and calc.output.fit.gpu.endswith("48.00 GiB")
    calc.controls["gpu_memory"].value = "48"                       # a bare number is GiB
    assert calc.output.fit.usable == int(48 * GiB * 0.985)
    calc.controls["gpu_memory"].value = "lots"
    assert "custom GPU memory" in calc.output.error and calc.result is None
    calc.controls["gpu_memory"].value = ""
    assert calc.output.fit.gpu == vw.DEFAULTS["gpu"]


def _decoded(links_html: str) -> dict[str, bytes]:
    import base64
    import re

    return {name: base64.b64decode(data) for name, data in
            re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', links_html)}


def test_exports_hold_the_table_the_fit_and_the_figure():
    c = vw.Calculator(plot=True, concurrency=4)
    files = _decoded(c.exports.value)
    assert sorted(files) == ["vramlab-breakdown.png", "vramlab-estimate.csv", "vramlab-fit.json"]
    rows = [line.split(",") for line in files["vramlab-estimate.csv"].decode().splitlines()]
    e = c.result
    assert rows[0] == ["part", "bytes", "GB", "GiB"]
    assert {r[0]: int(r[1]) for r in rows[1:]} == {**e.parts(), "total": e.total}
    assert sum(int(r[1]) for r in rows[1:-1]) == int(rows[-1][1])
    fit = json.loads(files["vramlab-fit.json"])
    assert fit["fits"] == c.output.fit.fits and fit["estimate"]["total"] == e.total
    assert files["vramlab-breakdown.png"] == bytes(c.figure.value)
