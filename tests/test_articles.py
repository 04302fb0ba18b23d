"""The two articles: every published figure reproduced, every corrected figure recomputed.

Published figures are typed here as quotations of the articles in shared/seeds/
(the Qwen3-8B article "Where does the GPU memory go?" and the QwQ-32B article "How much
video memory is needed for private deployment of large models?"). Corrected figures are
recomputed here from the config.json fields, independently of vramlab's formulas.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import vramlab.articles as art
from vramlab.errors import VramlabError
from vramlab.gpus import get_gpu, list_gpus
from vramlab.report import figures_text

DATA = Path(__file__).resolve().parents[1] / "vramlab" / "data" / "models"
GB, GiB = 10**9, 2**30


def config(name):
    return json.loads((DATA / f"{name.replace('/', '__')}.json").read_text())["config"]


QWEN3 = config("Qwen/Qwen3-8B")
QWQ = config("Qwen/QwQ-32B")


def qwen_params(c, qkv_bias, qk_norm):
    """Parameters of a Qwen2/Qwen3 decoder from config fields (untied embeddings)."""
    h, inter, n_layers, vocab = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    d = c.get("head_dim") or h // c["num_attention_heads"]
    q, kv = c["num_attention_heads"] * d, c["num_key_value_heads"] * d
    layer = h * q + 2 * h * kv + q * h + 3 * h * inter + 2 * h
    if qkv_bias:
        layer += q + 2 * kv
    if qk_norm:
        layer += 2 * d
    return n_layers * layer + h + 2 * vocab * h


QWEN3_PARAMS = qwen_params(QWEN3, qkv_bias=False, qk_norm=True)
QWQ_PARAMS = qwen_params(QWQ, qkv_bias=True, qk_norm=False)


def kv_per_token(c, bytes_per_value):
    d = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    return 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * d * bytes_per_value


def by_quantity(figures):
    return {f.quantity: f for f in figures}


# --------------------------------------------------------------------------- Qwen3-8B, as published

# (concurrency, total tokens, KV precision, KV cache "GB", total "GB") as printed in the table
QWEN3_TABLE = [
    (1, 4096, "FP16", "0.56", "18.7"),
    (1, 32768, "FP16", "4.50", "23.0"),
    (1, 32768, "FP8", "2.25", "20.5"),
    (8, 4096, "FP16", "4.50", "23.0"),
    (8, 4096, "FP8", "2.25", "20.5"),
    (1, 131072, "FP8", "9.00", "28.0"),
]


def test_helpers_agree_with_the_reference_counts():
    # the preset files carry the arithmetic of their sources; the helper above must agree
    assert QWEN3_PARAMS == 8_190_735_360
    assert QWQ_PARAMS == 32_763_876_352


def test_qwen3_inputs_as_published():
    a = art.QWEN3_8B_ARTICLE
    assert (a["num_hidden_layers"], a["num_attention_heads"], a["num_key_value_heads"], a["head_dim"]) == (36, 32, 8, 128)
    assert a["params_billion"] == 8.2 and a["bytes_per_value"] == 2 and a["margin_factor"] == 1.1
    assert [(c, t, k, v, s) for _, c, t, k, v, s in art.QWEN3_8B_SCENARIOS] == QWEN3_TABLE


def test_qwen3_scenario_table_reproduced():
    t = art.qwen3_8b_scenarios()
    assert len(t) == 6
    assert t["kv_published"].tolist() == ["0.56", "4.50", "2.25", "4.50", "2.25", "9.00"]
    assert t["kv_reproduced"].tolist() == ["0.56", "4.50", "2.25", "4.50", "2.25", "9.00"]
    assert t["total_published"].tolist() == ["18.7", "23.0", "20.5", "23.0", "20.5", "28.0"]
    for (conc, tokens, kv, kv_pub, total_pub), row in zip(QWEN3_TABLE, t.itertuples()):
        per_token = 2 * 36 * 8 * 128 * (2 if kv == "FP16" else 1)
        kv_gib = conc * tokens * per_token / 2**30
        assert f"{kv_gib:.2f}" == kv_pub == row.kv_reproduced
        total = (16.4 + float(kv_pub)) * 1.1
        assert row.total_exact == pytest.approx(total, abs=1e-6)
        assert row.total_reproduced == f"{total:.1f}"
    # five totals print as published; the last is (16.4 + 9.00) × 1.1 = 27.94 -> 27.9, printed 28.0
    assert t["total_reproduced"].tolist()[:5] == ["18.7", "23.0", "20.5", "23.0", "20.5"]
    assert t["matches"].tolist() == [True] * 5 + [False]
    assert (16.4 + 9.00) * 1.1 == pytest.approx(27.94)
    assert f"{round((16.4 + 9.00) * 1.1):.1f}" == "28.0"


def test_qwen3_figures_published_and_reproduced():
    f = by_quantity(art.qwen3_8b_figures())
    published = {
        "parameters": "8.2B",
        "weights, BF16": "16.4 GB",
        "KV cache per token, BF16": "144 KB",
        "KV cache per token, FP8": "72 KB",
        "native context": "32,768 tokens",
        "memory of a 24 GB card (RTX 3090/4090)": "24GB",
        "gpu_memory_utilization default": "0.9",
        "bytes per parameter, INT4": "~0.5 bytes",
    }
    for q, text in published.items():
        assert f[q].published == text
    # arithmetic the article's way, from its printed inputs
    assert f"{8.2 * 2:.1f} GB" == f["weights, BF16"].reproduced == "16.4 GB"
    assert f"{2 * 36 * 8 * 128 * 2 / 1024:.0f} KB" == f["KV cache per token, BF16"].reproduced == "144 KB"
    assert f"{2 * 36 * 8 * 128 * 1 / 1024:.0f} KB" == f["KV cache per token, FP8"].reproduced == "72 KB"
    assert f["parameters"].reproduced == f"{QWEN3_PARAMS / 1e9:.1f}B" == "8.2B"
    computed = [x for x in f.values() if x.matches is not None]
    assert len(computed) >= 20
    assert [x.quantity for x in computed if not x.matches] == ["row 6 total, (16.4 + KV) × 1.1"]


def test_qwen3_table_rows_in_the_figures():
    f = art.qwen3_8b_figures()
    kv_rows = [x for x in f if x.quantity.startswith("row ") and "KV cache" in x.quantity]
    total_rows = [x for x in f if x.quantity.startswith("row ") and "total" in x.quantity]
    assert [x.published for x in kv_rows] == [r[3] for r in QWEN3_TABLE]
    assert [x.published for x in total_rows] == [r[4] for r in QWEN3_TABLE]
    assert [x.reproduced for x in total_rows] == ["18.7", "23.0", "20.5", "23.0", "20.5", "27.9"]


def test_qwen3_corrected_from_config_fields():
    f = by_quantity(art.qwen3_8b_figures())
    weights = QWEN3_PARAMS * 2
    assert f["weights, BF16"].corrected == pytest.approx(weights / GB, rel=1e-12)
    assert f["weights, BF16"].error_pct == pytest.approx((16.4 - weights / GB) / (weights / GB) * 100)
    assert f["parameters"].corrected == pytest.approx(QWEN3_PARAMS / 1e9)
    assert f["KV cache per token, BF16"].corrected == pytest.approx(kv_per_token(QWEN3, 2) / 1000)
    assert f["KV cache per token, FP8"].corrected == pytest.approx(kv_per_token(QWEN3, 1) / 1000)
    assert f["KV cache per token, BF16"].error_pct == pytest.approx((144 - 147.456) / 147.456 * 100)
    for field in ("num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim"):
        assert f[f"config.json {field}"].corrected == QWEN3[field]
        assert f[f"config.json {field}"].error_pct == 0
    rows = [x for x in f.values() if x.quantity.startswith("row ")]
    for i, (conc, tokens, kv, kv_pub, total_pub) in enumerate(QWEN3_TABLE):
        kv_bytes = conc * tokens * kv_per_token(QWEN3, 2 if kv == "FP16" else 1)
        kv_fig, total_fig = rows[2 * i], rows[2 * i + 1]
        assert kv_fig.corrected == pytest.approx(kv_bytes / GB, rel=1e-12)
        assert kv_fig.error_pct == pytest.approx((float(kv_pub) - kv_bytes / GB) / (kv_bytes / GB) * 100)
        assert total_fig.corrected == pytest.approx((weights + kv_bytes) * 1.1 / GB, rel=1e-9)
    usable = get_gpu("RTX 3090").usable_bytes
    assert f["memory of a 24 GB card (RTX 3090/4090)"].corrected == pytest.approx(usable / GB)


def test_qwen3_gb_gib_mixing_is_named():
    f = by_quantity(art.qwen3_8b_figures())
    assert "KiB" in f["KV cache per token, BF16"].why
    assert "GiB" in f["row 2 KV cache, 1 × 32,768 FP16"].why
    assert "YaRN" in f["row 6 KV cache, 1 × 131,072 FP8"].why
    assert "YaRN" in f["native context"].why and "40,960" in f["native context"].why


def test_qwen3_corrected_scenarios_against_the_card():
    t = art.qwen3_8b_scenarios_corrected("RTX 3090")
    usable = get_gpu("RTX 3090").usable_bytes
    weights = QWEN3_PARAMS * 2
    assert 23.5 < usable / GiB < 23.7
    for (conc, tokens, kv, _, _), row in zip(QWEN3_TABLE, t.itertuples()):
        kv_bytes = conc * tokens * kv_per_token(QWEN3, 2 if kv == "FP16" else 1)
        total = (weights + kv_bytes) * 1.1
        assert row.kv_GiB == pytest.approx(kv_bytes / GiB)
        assert row.kv_GB == pytest.approx(kv_bytes / GB)
        assert row.total_GiB == pytest.approx(total / GiB, rel=1e-9)
        assert row.total_GB == pytest.approx(total / GB, rel=1e-9)
        assert row.realistic_GiB > row.total_GiB
        assert row.fits == (total <= usable)
        assert row.native_context == (tokens <= 32768)
    assert QWEN3["max_position_embeddings"] == 40960 < 131072
    assert t["fits"].tolist() == [True] * 5 + [False]


def test_qwen3_conclusions():
    c = art.qwen3_8b_conclusions("RTX 3090")
    usable = get_gpu("RTX 3090").usable_bytes
    weights16 = QWEN3_PARAMS * 2
    row = c.iloc[0]          # one 32K sequence, FP16 KV
    assert row.total_GiB == pytest.approx((weights16 + 32768 * 147456) * 1.1 / GiB, rel=1e-9)
    assert row.fits and (weights16 + 32768 * 147456) * 1.1 <= usable
    row = c.iloc[1]          # two of them do not fit
    assert not row.fits and (weights16 + 2 * 32768 * 147456) * 1.1 > usable
    # the article's verdicts hold where it gives one
    says = c.dropna(subset=["article_says"])
    assert (says["article_says"] == says["fits"]).all()
    # 8-bit weights are already enough for 131,072 tokens with FP8 KV
    assert c.iloc[5].weights == "int8" and bool(c.iloc[5].fits)


# --------------------------------------------------------------------------- QwQ-32B


def test_qwq_inputs_as_published():
    a = art.QWQ_32B_ARTICLE
    assert (a["layers"], a["heads"], a["head_dim"], a["tokens"], a["bytes_per_value"]) == (40, 64, 128, 16000, 2)
    assert a["params_billion"] == 32 and a["margin_factor"] == 1.2


def test_qwq_published_figures_reproduced():
    f = by_quantity(art.qwq_32b_figures())
    assert f["weights, FP16"].published == "64 GB" == f"{32 * 2} GB" == f["weights, FP16"].reproduced
    kv_gib = 40 * 2 * 64 * 128 * 16000 * 2 / 2**30
    assert kv_gib == 19.53125
    assert f["KV cache, 16,000 tokens"].published == "19.54GB"
    # printed 19.54 is 19.53125 rounded up; to nearest it is 19.53
    assert f"{math.ceil(kv_gib * 100) / 100:.2f}GB" == f["KV cache, 16,000 tokens"].reproduced == "19.54GB"
    assert f"{kv_gib:.2f}" == "19.53"
    total = (64 + 19.54) * 1.2
    assert total == pytest.approx(100.248)
    assert f["total, (weights + KV) × 1.2"].published == "100GB" == f"{total:.0f}GB"
    assert f["total, (weights + KV) × 1.2"].reproduced == "100GB"
    assert f["training memory ('doubled')"].published == "128GB" == f"{2 * 64}GB"
    assert f["training memory ('doubled')"].reproduced == "128GB"
    assert f["training activations, 32B model"].published == "160-224GB" == f"{32 * 5}-{32 * 7}GB"
    assert f["DeepSeek MLA KV reduction"].published == "93%" == f["DeepSeek MLA KV reduction"].reproduced
    assert f["memory for basic reasoning"].published == "90GB"
    assert f["memory for basic reasoning"].reproduced == f"{64 + 19.54:.0f}GB" != "90GB"
    assert f["underestimate of a 90 GB budget"].published == "30%"
    assert f["underestimate of a 90 GB budget"].reproduced == f"{(total / 90 - 1) * 100:.0f}%" == "11%"
    for q, text in [("number of layers (L)", "40"), ("number of attention heads (h)", "64"),
                    ("parameters", "32B"), ("inference activations", "5~10GB"), ("framework overhead", "10-20%"),
                    ("training activations", "5-7 times"), ("memory to choose", "128GB")]:
        assert f[q].published == text


def test_qwq_corrected_from_config_fields():
    f = by_quantity(art.qwq_32b_figures())
    assert (QWQ["num_hidden_layers"], QWQ["num_attention_heads"], QWQ["num_key_value_heads"]) == (64, 40, 8)
    head_dim = QWQ["hidden_size"] // QWQ["num_attention_heads"]
    kv = 2 * 64 * 8 * 128 * 16000 * 2
    assert kv == QWQ["num_hidden_layers"] * 2 * QWQ["num_key_value_heads"] * head_dim * 16000 * 2
    assert kv / 2**30 == pytest.approx(3.90625)
    assert f["KV cache, 16,000 tokens"].corrected == pytest.approx(kv / GB)
    assert f["KV cache, 16,000 tokens"].error_pct == pytest.approx((19.54 - kv / GB) / (kv / GB) * 100)
    # the article's KV over the real one: 64 heads x 40 layers against 8 KV heads x 64 layers
    assert (40 * 2 * 64 * 128 * 16000 * 2) / kv == 5
    weights = QWQ_PARAMS * 2
    assert f["parameters"].corrected == pytest.approx(32.763876352)
    assert f["weights, FP16"].corrected == pytest.approx(weights / GB)
    assert f["total, (weights + KV) × 1.2"].corrected == pytest.approx((weights + kv) * 1.2 / GB, rel=1e-9)
    assert f["memory for basic reasoning"].corrected == pytest.approx((weights + kv) / GB)
    assert f["training memory ('doubled')"].corrected == pytest.approx(QWQ_PARAMS * 16 / GB)
    assert f["number of layers (L)"].corrected == 64 and f["number of attention heads (h)"].corrected == 40
    assert f["heads in the KV formula"].corrected == 8
    assert f["head dimension"].corrected == head_dim == 128
    assert (weights + kv) * 1.2 / GiB == pytest.approx(77.92, abs=0.005)


def test_qwq_totals_in_bytes():
    t = art.qwq_32b_totals()
    assert t["article_weights"] == 64 * GB
    assert t["article_kv"] == 40 * 2 * 64 * 128 * 16000 * 2
    assert t["article_base"] == round((64 + 19.54) * GB)
    assert t["article_total"] == round((64 + 19.54) * 1.2 * GB)
    assert t["weights"] == QWQ_PARAMS * 2
    assert t["kv"] == 2 * 64 * 8 * 128 * 16000 * 2
    assert t["total"] == pytest.approx((QWQ_PARAMS * 2 + t["kv"]) * 1.2, abs=1)


def test_qwq_cards():
    c = art.qwq_32b_cards().set_index("gpu")
    assert sorted(c.index) == sorted(list_gpus())
    article = (64 + 19.54) * 1.2 * GB
    base = QWQ_PARAMS * 2 + 2 * 64 * 8 * 128 * 16000 * 2
    for name in list_gpus():
        u = get_gpu(name).usable_bytes
        row = c.loc[name]
        assert row.fits_article == (article <= u)
        assert row.fits_corrected == (base <= u)
        assert row.fits_corrected_margin == (base * 1.2 <= u)
        assert row.min_cards_article == math.ceil(article / u)
        assert row.min_cards_corrected == math.ceil(base * 1.2 / u)
    # the advice changes: one 80 GB card holds the corrected need, margin included
    for name in ("H100 80GB", "A100 80GB"):
        assert not c.loc[name, "fits_article"] and c.loc[name, "fits_corrected_margin"]
    assert c.loc["A100 40GB", "min_cards_article"] == 3 and c.loc["A100 40GB", "min_cards_corrected"] == 2


def test_deepseek_claim():
    v2, base = config("deepseek-ai/DeepSeek-V2"), config("deepseek-ai/deepseek-llm-67b-base")
    mla = v2["num_hidden_layers"] * (v2["kv_lora_rank"] + v2["qk_rope_head_dim"])
    gqa = 2 * base["num_hidden_layers"] * base["num_key_value_heads"] * (base["hidden_size"] // base["num_attention_heads"])
    assert art.deepseek_mla_reduction(16) == pytest.approx((1 - mla / gqa) * 100)
    assert art.deepseek_mla_reduction(6) == pytest.approx((1 - mla * 6 / (gqa * 16)) * 100)
    assert round(art.deepseek_mla_reduction(6)) == 93
    assert round(art.deepseek_mla_reduction(16), 1) == 82.2


# --------------------------------------------------------------------------- frames, text, errors


@pytest.mark.parametrize("fn", [art.qwen3_8b, art.qwq_32b])
def test_dataframes(fn):
    df = fn()
    assert df.columns.tolist()[:6] == ["quantity", "published", "reproduced", "corrected", "unit", "error_pct"]
    assert "why" in df.columns and df["why"].str.len().min() > 0
    assert df["quantity"].is_unique


def test_figures_text_lists_every_published_figure():
    for figures in (art.qwen3_8b_figures(), art.qwq_32b_figures()):
        text = figures_text(figures)
        assert len(text.splitlines()) == len(figures) + 1
        for fig in figures:
            assert fig.published in text


def test_bad_input():
    with pytest.raises(VramlabError, match="tokens"):
        art.qwq_32b_totals(tokens=0)
    with pytest.raises(VramlabError, match="margin_factor"):
        art.qwq_32b_totals(margin_factor=float("nan"))
    with pytest.raises(VramlabError, match="gpu"):
        art.qwen3_8b_scenarios_corrected("RTX 9999")
    with pytest.raises(VramlabError, match="kv_bits_mla"):
        art.deepseek_mla_reduction(0)


def test_import_does_not_load_pandas():
    code = "import sys, vramlab.articles; print('pandas' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vramlab.plots import qwen3_8b_budget_plot, qwq_32b_budget_plot

    ax = qwen3_8b_budget_plot(art.qwen3_8b_scenarios(), art.qwen3_8b_scenarios_corrected("RTX 4090"))
    assert ax.get_ylabel() == "memory (GiB)" and len(ax.patches) == 18
    ax = qwq_32b_budget_plot(art.qwq_32b_totals())
    assert ax.get_ylabel() == "memory (GiB)" and len(ax.patches) == 6
    plt.close("all")


def test_exercises():
    import vramlab.exercises as ex

    assert ex.check("04.1", 2 * 36 * 8 * 128).startswith("✓")
    assert ex.check("04.2", 32768 * 147456 / GB).startswith("✓")
    assert ex.check("04.4", 4).startswith("✓")
    assert ex.check("05.1", 3.90625).startswith("✓")
    assert ex.check("05.2", 5).startswith("✓")
    assert ex.check("05.3", (QWQ_PARAMS * 2 + 4_194_304_000) * 1.2 / GiB).startswith("✓")
    assert ex.check("05.4", QWQ_PARAMS * 16 / GB).startswith("✓")
    assert ex.check("05.1", 19.53).startswith("✗")
