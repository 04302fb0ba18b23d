"""Rules of thumb: the 5-20 % band and the ×1.2 factor next to the explicit overhead model.

Expected values are recomputed here from config fields and the articles' fractions, not
taken from the module.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import vramlab as vl
from vramlab import overheads as ov
from vramlab.presets import preset_record

GiB = 2**30


def bf16_weights_and_kv(model_id: str, tokens: int) -> tuple[int, int]:
    c = preset_record(model_id)["config"]
    d = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    kv = 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * d * 2 * tokens
    return 2 * vl.load_model(model_id).param_count(), kv


def test_articles_fractions():
    assert (ov.RULE_LOW, ov.RULE_HIGH, ov.RULE_FACTOR) == (Fraction(1, 20), Fraction(1, 5), Fraction(6, 5))


@pytest.mark.parametrize("model_id,tokens", [("Qwen/Qwen3-8B", 32768), ("Qwen/QwQ-32B", 16000),
                                             ("meta-llama/Llama-3.1-8B-Instruct", 4096)])
def test_compare_rules_from_config_fields(model_id, tokens):
    c = ov.compare_rules(model_id, tokens=tokens, weight_dtype="bf16", kv_dtype="bf16")
    w, kv = bf16_weights_and_kv(model_id, tokens)
    assert (c.weights, c.kv_cache, c.base) == (w, kv, w + kv)
    assert c.rule_overhead(ov.RULE_LOW) == round(Fraction(w + kv, 20))
    assert c.rule_overhead(0.2) == round(Fraction(w + kv) * Fraction(0.2))
    assert c.factor_total == round(Fraction(w + kv) * 6 / 5)
    e = c.estimate
    assert c.explicit_overhead == e.activations + e.framework
    assert c.explicit_total == e.weights + e.kv_cache + e.activations + e.framework + e.margin


def test_qwq_article_total_is_weights_and_kv_times_1_2():
    # the article's "100 GB": (64 GB weights + its KV) x 1.2; with the real 8 KV heads the KV is 5x smaller
    c = ov.compare_rules("Qwen/QwQ-32B", tokens=16000, weight_dtype="bf16", kv_dtype="bf16")
    assert c.kv_cache == 2 * 64 * 8 * 128 * 2 * 16000
    assert abs(c.factor_total - 1.2 * (2 * 32_763_876_352 + c.kv_cache)) <= 1


def test_verdicts_on_both_sides_of_the_band():
    small = ov.compare_rules("Qwen/Qwen3-0.6B", tokens=1024)   # ~1 GiB fixed overhead on a ~1.2 GB model
    assert small.explicit_overhead > small.rule_overhead(ov.RULE_HIGH)
    assert small.verdict == "rule undershoots"
    big = ov.compare_rules("meta-llama/Llama-3.1-70B-Instruct", tokens=131072)
    assert big.explicit_overhead < big.rule_overhead(ov.RULE_LOW)
    assert big.verdict == "rule overshoots"
    assert "rule overshoots" in str(big) and "x1.2 total" in str(big)


def test_crossover():
    assert ov.crossover_bytes(GiB, Fraction(1, 20)) == 20 * GiB
    assert ov.crossover_bytes(3 * GiB, 0.2) == 15 * GiB
    c = ov.compare_rules("Qwen/Qwen3-8B", tokens=4096)
    x = ov.crossover_bytes(c.explicit_overhead, ov.RULE_LOW)
    assert abs(x * ov.RULE_LOW - c.explicit_overhead) <= 1


@pytest.mark.parametrize("call", [
    lambda: ov.crossover_bytes(-1, 0.1),
    lambda: ov.crossover_bytes(GiB, 0),
    lambda: ov.crossover_bytes(GiB, 1.5),
    lambda: ov.compare_rules("Qwen/Qwen3-8B", tokens=4096).rule_overhead(-0.1),
    lambda: ov.activation_phases("Qwen/Qwen3-8B", chunk=0),
    lambda: ov.activation_phases("Qwen/Qwen3-8B", concurrency=0),
    lambda: ov.rules_table([], unit="parsecs"),
    lambda: ov.activation_table(["Qwen/Qwen3-8B"], unit="parsecs"),
])
def test_bad_input_raises_vramlab_error(call):
    with pytest.raises(vl.VramlabError):
        call()


def test_activation_phases():
    m = vl.load_model("Qwen/Qwen3-8B")
    c = m.hf_config
    p = ov.activation_phases(m, chunk=2048, concurrency=8)
    per_token = 2 * (2 * c["hidden_size"] + 3 * c["intermediate_size"])     # bf16, the MLP is the larger buffer
    assert p["prefill"] == 2048 * per_token + 4 * c["vocab_size"]
    assert p["decode"] == 8 * per_token + 8 * 4 * c["vocab_size"]
    assert ov.activation_phases("Qwen/Qwen3-8B", chunk=2048, concurrency=8) == p


def test_tables():
    cases = [ov.compare_rules("Qwen/Qwen3-8B", tokens=t) for t in (4096, 32768)]
    t = ov.rules_table(cases, unit="GiB")
    assert t["tokens"].tolist() == [4096, 32768]
    assert t["weights+KV (GiB)"].tolist() == [round(c.base / GiB, 2) for c in cases]
    assert t["verdict"].tolist() == [c.verdict for c in cases]
    a = ov.activation_table(["Qwen/Qwen3-8B"], chunks=[2048], concurrencies=[1, 64])
    assert a.iloc[0]["prefill 2,048 tok (MiB)"] == round(vl.activation_bytes("Qwen/Qwen3-8B", 2048, 1) / 2**20, 1)
    assert a.iloc[0]["decode x64 (MiB)"] == round(vl.activation_bytes("Qwen/Qwen3-8B", 64, 64) / 2**20, 1)


# -- figures (vramlab.plots.overheads) --------------------------------------------------------
def test_plot_rules_draws_three_series():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from vramlab.plots.overheads import plot_rules

    cases = [ov.compare_rules("Qwen/Qwen3-8B", tokens=4096), ov.compare_rules("Qwen/QwQ-32B", tokens=16000)]
    ax = plot_rules(cases)
    assert len(ax.containers) == 3
    assert [b.get_height() for b in ax.containers[0]] == [c.explicit_overhead / GiB for c in cases]
    with pytest.raises(vl.VramlabError, match="cases"):
        plot_rules([])


def test_plot_measured_takes_a_table():
    pytest.importorskip("matplotlib")
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    from vramlab.plots.overheads import plot_measured

    df = pd.DataFrame({"model": ["a/b", "c/d"], "tp": [1, 2], "non-torch (GiB)": [0.5, 1.0],
                       "activation peak (GiB)": [1.2, 2.0], "CUDA graphs (GiB)": [0.3, 0.4],
                       "model overhead (GiB)": [1.8, float("nan")], "5 % rule (GiB)": [0.9, 1.0],
                       "20 % rule (GiB)": [3.6, 4.0]})
    ax = plot_measured(df)
    assert len(ax.containers) == 3 and len(ax.containers[0]) == 1   # the row without a model is left out
    with pytest.raises(vl.VramlabError, match="missing columns"):
        plot_measured(df.drop(columns=["tp"]))
