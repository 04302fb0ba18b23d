"""The ``vramlab`` command line: numbers recomputed here from config fields, JSON, errors.

Expected figures are computed in this file from the raw config.json fields of the presets
(or are the published counts quoted in the project's issue), never copied from vramlab's output.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vramlab import cli
from vramlab.presets import list_models, preset_record

from .reference import checkpoint_params

ROOT = Path(__file__).resolve().parents[1]

# Published exact counts (transformers on the meta device), quoted in the issue.
QWEN3_8B_PARAMS = 8_190_735_360
QWQ_32B_PARAMS = 32_763_876_352
DEEPSEEK_V3_PARAMS = 671_026_404_352


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def table_rows(text: str) -> dict[str, list[str]]:
    """Rows of an aligned table, keyed by their first cell (cells are 2+ spaces apart)."""
    rows = {}
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 2:
            rows[cells[0]] = cells[1:]
    return rows


def raw_config(model_id: str) -> dict:
    cfg = preset_record(model_id)["config"]
    return cfg.get("text_config", cfg)


def kv_bytes_per_token_16bit(cfg: dict) -> int:
    """KV-cache bytes per token at 2 bytes per value, straight from config fields."""
    if "n_layer" in cfg:  # GPT-2's field names
        cfg = {"num_hidden_layers": cfg["n_layer"], "num_attention_heads": cfg["n_head"], "hidden_size": cfg["n_embd"]}
    layers = cfg["num_hidden_layers"]
    if cfg.get("layer_types"):          # linear-attention layers keep a fixed state, no KV per token
        layers = sum(t != "linear_attention" for t in cfg["layer_types"])
    elif cfg.get("linear_attn_config"):  # Kimi-Linear: the listed full-attention (MLA) layers cache K/V
        layers = len(cfg["linear_attn_config"]["full_attn_layers"])
    elif cfg.get("full_attention_interval"):   # Qwen3-Next: layer i is full attention when (i + 1) % k == 0
        layers = sum((i + 1) % cfg["full_attention_interval"] == 0 for i in range(layers))
    if cfg.get("kv_lora_rank"):  # MLA: one latent plus the decoupled RoPE key, no factor 2
        index = cfg.get("index_head_dim", 0)  # DeepSeek-V3.2: its sparse-attention indexer's key per layer
        return layers * (cfg["kv_lora_rank"] + cfg["qk_rope_head_dim"] + index) * 2
    heads = cfg["num_attention_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    if cfg.get("multi_query") and not cfg.get("new_decoder_architecture"):
        kv_heads = 1
    else:
        kv_heads = cfg.get("num_key_value_heads") or heads
    return 2 * layers * kv_heads * head_dim * 2


def qwen3_8b_breakdown() -> dict[str, int]:
    """Qwen3-8B's parameters by component, from its config fields."""
    c = raw_config("Qwen/Qwen3-8B")
    h, L, V, inter = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"], c["intermediate_size"]
    q, kv, d = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    return {
        "embeddings": V * h,
        "attention": L * (h * q * d + 2 * h * kv * d + q * d * h),
        "mlp": L * 3 * h * inter,
        "norms": L * (2 * h + 2 * d) + h,  # input + post-attention norms, q/k norms, final norm
        "lm_head": V * h,
    }


# ---------------------------------------------------------------------------
# vramlab models
def test_models_table_lists_every_preset_with_recomputed_kv(capsys):
    rc, out, err = run(capsys, "models")
    assert rc == 0 and err == ""
    header = out.splitlines()[0]
    for word in ("id", "family", "attention", "layers", "params (B)", "KiB"):
        assert word in header
    rows = table_rows(out)
    assert set(list_models()) <= set(rows)
    for model_id in list_models():
        cfg = raw_config(model_id)
        family, kind, layers, params_b, kv_kib = rows[model_id]
        assert family == cfg["model_type"]
        assert int(layers) == cfg.get("num_hidden_layers", cfg.get("n_layer"))
        assert float(kv_kib) == pytest.approx(kv_bytes_per_token_16bit(cfg) / 1024, abs=0.005)
    assert rows["Qwen/Qwen3-8B"][:4] == ["qwen3", "GQA", "36", f"{QWEN3_8B_PARAMS / 1e9:.2f}"]
    assert rows["Qwen/Qwen3-8B"][4] == "144.00"  # 2 x 36 x 8 x 128 x 2 bytes = 147,456 bytes
    assert rows["Qwen/QwQ-32B"][3] == f"{QWQ_32B_PARAMS / 1e9:.2f}"
    assert rows["deepseek-ai/DeepSeek-V3"][1] == "MLA"
    assert rows["tiiuae/falcon-7b"][1] == "MQA"
    assert rows["meta-llama/Llama-2-7b-hf"][1] == "MHA"


def test_models_json(capsys):
    rc, out, _ = run(capsys, "models", "--json")
    assert rc == 0
    data = {r["id"]: r for r in json.loads(out)}
    assert set(data) == set(list_models())
    for model_id, rec in data.items():
        assert rec["kv_bytes_per_token_16bit"] == kv_bytes_per_token_16bit(raw_config(model_id))
        ref = checkpoint_params(model_id)  # a multimodal checkpoint's vision tower included
        if model_id == "deepseek-ai/DeepSeek-V3":
            # that reference also counts the router's e_score_correction_bias, a buffer in
            # transformers (not a parameter): n_routed_experts values per MoE layer
            cfg = raw_config(model_id)
            moe_layers = cfg["num_hidden_layers"] - cfg["first_k_dense_replace"]
            ref -= cfg["n_routed_experts"] * moe_layers
        assert rec["params"] == ref
    assert data["Qwen/Qwen3-8B"]["params"] == QWEN3_8B_PARAMS
    assert data["Qwen/Qwen3-8B"]["kv_bytes_per_token_16bit"] == 2 * 36 * 8 * 128 * 2
    assert data["deepseek-ai/DeepSeek-V3"]["params"] == DEEPSEEK_V3_PARAMS


# ---------------------------------------------------------------------------
# vramlab params MODEL
def test_params_breakdown_recomputed_from_config(capsys):
    rc, out, err = run(capsys, "params", "Qwen/Qwen3-8B")
    assert rc == 0 and err == ""
    expected = qwen3_8b_breakdown()
    total = sum(expected.values())
    assert total == QWEN3_8B_PARAMS
    rows = table_rows(out)
    for name, n in expected.items():
        count, share = rows[name]
        assert int(count.replace(",", "")) == n
        assert float(share.rstrip(" %")) == pytest.approx(100 * n / total, abs=0.005)
    assert rows["total"][0] == "8,190,735,360"
    assert "active per token" not in rows  # dense model
    assert "model card" in out and "8.2B" in out  # card figure from the preset


def test_params_moe_active_and_json(capsys):
    rc, out, _ = run(capsys, "params", "Qwen/Qwen3-30B-A3B")
    assert rc == 0
    cfg = raw_config("Qwen/Qwen3-30B-A3B")
    h, L, e_inter = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["moe_intermediate_size"]
    idle = cfg["num_experts"] - cfg["num_experts_per_tok"]
    rows = table_rows(out)
    total = int(rows["total"][0].replace(",", ""))
    active = int(rows["active per token"][0].replace(",", ""))
    assert total - active == L * idle * 3 * h * e_inter  # unchosen experts: gate, up, down each
    assert "3.3B" in out  # the card's active figure is shown beside the count

    rc, out, _ = run(capsys, "params", "Qwen/Qwen3-30B-A3B", "--json")
    data = json.loads(out)
    assert data["total"] == total and data["active"] == active
    assert sum(data["components"].values()) == total
    assert data["components"]["experts"] == L * cfg["num_experts"] * 3 * h * e_inter
    assert data["card"]["params_active"] == "3.3B"


def test_params_of_a_config_file(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(preset_record("Qwen/QwQ-32B")["config"]))
    rc, out, _ = run(capsys, "params", str(path), "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["total"] == QWQ_32B_PARAMS
    assert data["card"] == {}  # no model card for a bare config.json


def test_params_generic_family_says_approximate(capsys, tmp_path):
    cfg = dict(raw_config("Qwen/Qwen3-8B"), model_type="some_new_decoder")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    rc, out, _ = run(capsys, "params", str(path))
    assert rc == 0
    assert "approximate" in out


# ---------------------------------------------------------------------------
# vramlab estimate
def test_estimate_json_matches_independent_arithmetic(capsys):
    tokens, conc = 32768, 4
    rc, out, err = run(capsys, "estimate", "Qwen/Qwen3-8B", "--tokens", str(tokens), "--concurrency", str(conc),
                       "--weight-dtype", "bf16", "--kv-dtype", "fp8", "--margin", "0.1", "--json")
    assert rc == 0 and err == ""
    d = json.loads(out)
    weights = QWEN3_8B_PARAMS * 2                      # bf16: 2 bytes per parameter
    kv = conc * tokens * (2 * 36 * 8 * 128 * 1)        # fp8: 1 byte per value
    assert d["weights"] == weights
    assert d["kv_cache"] == kv
    assert d["kv_bytes_per_token"] == 2 * 36 * 8 * 128
    assert d["framework"] == 2**30                     # default 1 GiB
    assert d["margin"] == round(0.1 * (weights + kv + d["activations"] + d["framework"]))
    assert d["total"] == weights + kv + d["activations"] + d["framework"] + d["margin"]
    assert d["overhead"] == d["activations"] + d["framework"]
    assert d["params"] == QWEN3_8B_PARAMS
    assert all(isinstance(d[k], int) for k in ("weights", "kv_cache", "activations", "framework", "margin", "total"))
    assert (d["tokens"], d["concurrency"], d["weight_dtype"], d["kv_dtype"]) == (tokens, conc, "bf16", "fp8")


def test_estimate_article_style_without_overhead(capsys):
    # weights + KV only, x 1.1: the Qwen3-8B article's way of adding things up
    rc, out, _ = run(capsys, "estimate", "Qwen/Qwen3-8B", "--tokens", "32768", "--kv-dtype", "fp8",
                     "--weight-dtype", "bf16", "--activation-tokens", "0", "--framework-gib", "0", "--json")
    assert rc == 0
    d = json.loads(out)
    sub = QWEN3_8B_PARAMS * 2 + 32768 * 2 * 36 * 8 * 128
    assert d["activations"] == 0 and d["framework"] == 0
    assert d["total"] == sub + round(sub / 10)


def test_estimate_framework_gib_option(capsys):
    rc, out, _ = run(capsys, "estimate", "Qwen/Qwen3-8B", "--framework-gib", "2.5", "--json")
    assert rc == 0
    assert json.loads(out)["framework"] == int(2.5 * 2**30)


def test_estimate_text_table_names_units(capsys):
    rc, out, err = run(capsys, "estimate", "Qwen/QwQ-32B", "--tokens", "16000", "--weight-dtype", "bf16",
                       "--kv-dtype", "bf16", "--margin", "0.2")
    assert rc == 0 and err == ""
    rows = table_rows(out)
    weights = QWQ_32B_PARAMS * 2
    kv = 16000 * 2 * 64 * 8 * 128 * 2                  # 64 layers, 8 KV heads, head_dim 128
    assert rows["weights"] == [f"{weights:,}", f"{weights / 1e9:.2f} GB", f"{weights / 2**30:.2f} GiB"]
    assert rows["kv_cache"] == [f"{kv:,}", f"{kv / 1e9:.2f} GB", f"{kv / 2**30:.2f} GiB"]
    assert rows["kv_cache"][2] == "3.91 GiB"           # not the article's 19.53 GiB
    assert rows["part"] == ["bytes", "GB", "GiB"]
    parts = [int(rows[k][0].replace(",", "")) for k in ("weights", "kv_cache", "activations", "framework", "margin")]
    assert int(rows["total"][0].replace(",", "")) == sum(parts)
    assert "GB = 10^9 bytes" in out and "GiB = 2^30 bytes" in out


def test_estimate_of_config_file(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(preset_record("tiiuae/falcon-7b")["config"]))
    rc, out, _ = run(capsys, "estimate", str(path), "--tokens", "2048", "--kv-dtype", "bf16", "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["kv_cache"] == 2048 * 2 * 32 * 1 * (4544 // 71) * 2  # multi_query: one KV head


# ---------------------------------------------------------------------------
# errors: one line on stderr, exit status 2, no traceback
def assert_one_line_error(rc: int, out: str, err: str, *needles: str) -> None:
    assert rc == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("vramlab: error: ")
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_unknown_model_suggests_closest(capsys):
    rc, out, err = run(capsys, "params", "Qwen/Qwen3-8X")
    assert_one_line_error(rc, out, err, "Qwen/Qwen3-8X", "Qwen/Qwen3-8B")
    rc, out, err = run(capsys, "estimate", "lama-3.1-8b", "--tokens", "10")
    assert_one_line_error(rc, out, err, "meta-llama/Llama-3.1-8B-Instruct")


def test_malformed_json_file(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama", "num_hidden_layers": 32,')
    rc, out, err = run(capsys, "estimate", str(path), "--tokens", "10")
    assert_one_line_error(rc, out, err, str(path), "JSON")


def test_json_that_is_not_an_object(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text("[1, 2, 3]")
    rc, out, err = run(capsys, "params", str(path))
    assert_one_line_error(rc, out, err, "JSON object")


def test_undecodable_file(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    rc, out, err = run(capsys, "params", str(path))
    assert_one_line_error(rc, out, err, str(path))


def test_config_missing_num_hidden_layers(capsys, tmp_path):
    cfg = dict(raw_config("Qwen/Qwen3-8B"))
    del cfg["num_hidden_layers"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    rc, out, err = run(capsys, "estimate", str(path), "--tokens", "10")
    assert_one_line_error(rc, out, err, "num_hidden_layers")


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--tokens", "-5"], ["--tokens", "-5", "between 1 and"]),
        (["--tokens", "0"], ["--tokens", "0"]),
        (["--concurrency", "0"], ["--concurrency", "0"]),
        (["--margin", "nan"], ["--margin", "nan"]),
        (["--margin", "-0.1"], ["--margin", "-0.1"]),
        (["--framework-gib", "-1"], ["--framework-gib", "-1"]),
        (["--activation-tokens", "-1"], ["--activation-tokens", "-1"]),
        (["--weight-dtype", "fp7"], ["--weight-dtype", "fp7", "fp8"]),
        (["--kv-dtype", "fp7"], ["--kv-dtype", "fp7", "fp8"]),
        (["--kv-dtype", "Q4_K_M"], ["--kv-dtype", "Q4_K_M", "bf16"]),
    ],
)
def test_bad_estimate_values(capsys, args, needles):
    rc, out, err = run(capsys, "estimate", "Qwen/Qwen3-8B", *args)
    assert_one_line_error(rc, out, err, *needles)


@pytest.mark.parametrize(
    "argv,needles",
    [([], ["missing COMMAND", "vramlab --help"]),
     (["nonsense"], ["'nonsense' is unknown", "'models'", "'explain-log'"]),
     (["estimate"], ["missing MODEL_OR_CONFIG_JSON", "vramlab estimate --help"]),
     (["estimate", "Qwen/Qwen3-8B", "--tokens", "abc"], ["--tokens", "whole number", "'abc'", "32k"]),
     (["estimate", "Qwen/Qwen3-8B", "--tokens"], ["--tokens needs a value"]),
     (["pool", "Qwen/Qwen3-8B", "--gpu-memory-utilization", "lots"], ["--gpu-memory-utilization", "fraction", "'lots'"]),
     (["pool", "Qwen/Qwen3-8B", "--gpu-memory-utilization", "90"], ["--gpu-memory-utilization", "did you mean 90%?"]),
     (["estimate", "Qwen/Qwen3-8B", "--no-such-option"], ["unknown arguments --no-such-option"])],
)
def test_usage_errors_exit_2_in_one_line(capsys, argv, needles):
    rc, out, err = run(capsys, *argv)
    assert_one_line_error(rc, out, err, *needles)
    assert "usage:" not in err and "Traceback" not in err


def test_internal_error_is_one_line(capsys, monkeypatch):
    def boom(args):
        raise KeyError("x")

    monkeypatch.setattr(cli, "SUBCOMMANDS", [cli.Subcommand("boom", "fails", lambda p: None, boom)])
    rc, out, err = run(capsys, "boom")
    assert rc == cli.EXIT_INTERNAL == 3  # 1 means "does not fit"
    assert err.count("\n") == 1 and err.startswith("vramlab: error: internal error (KeyError")


# ---------------------------------------------------------------------------
# help, version, extension point
def test_help_and_version(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0
    assert "examples:" in out and "vramlab estimate Qwen/Qwen3-8B" in out
    for sc in cli.SUBCOMMANDS:
        assert sc.name in out
    rc, out, _ = run(capsys, "estimate", "--help")
    assert rc == 0 and "--kv-dtype" in out and "examples:" in out
    rc, out, _ = run(capsys, "--version")
    import vramlab

    assert rc == 0 and out.strip() == f"vramlab {vramlab.__version__}"


def test_new_subcommand_plugs_in(capsys, monkeypatch):
    def add(p):
        p.add_argument("--n", type=int, default=1)

    def hello(args):
        print("hello " * args.n)
        return 0

    monkeypatch.setattr(cli, "SUBCOMMANDS", cli.SUBCOMMANDS + [cli.Subcommand("hello", "say hello", add, hello)])
    rc, out, _ = run(capsys, "hello", "--n", "2")
    assert rc == 0 and out.split() == ["hello", "hello"]


# ---------------------------------------------------------------------------
# a real process: the console entry point's module form
def test_python_m_vramlab_subprocess():
    cmd = [sys.executable, "-m", "vramlab", "estimate", "Qwen/Qwen3-8B", "--tokens", "32768", "--json"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["kv_cache"] == 32768 * 2 * 36 * 8 * 128 * 2
    assert d["weights"] == QWEN3_8B_PARAMS * 2

    bad = subprocess.run([sys.executable, "-m", "vramlab", "params", "Qwen/Qwen3-8X"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert_one_line_error(bad.returncode, bad.stdout, bad.stderr, "Qwen/Qwen3-8B")


# ---------------------------------------------------------------------------
# vramlab pool / vramlab explain-log
LOGS = ROOT / "tests" / "fixtures" / "vllm_logs"


def test_pool_json_block_arithmetic(capsys):
    rc, out, _ = run(capsys, "pool", "Qwen/Qwen3-8B", "--gpu", "H100", "--max-model-len", "8192", "--json")
    d = json.loads(out)
    c = raw_config("Qwen/Qwen3-8B")
    per_token = 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * c["head_dim"] * 2
    assert rc == 0 and d["kv_bytes_per_token"] == per_token
    assert d["num_blocks"] == d["kv_bytes"] // (16 * per_token) and d["tokens"] == 16 * d["num_blocks"]
    assert d["max_concurrency"] == d["num_blocks"] / (8192 // 16)


def test_pool_text_and_bad_tp(capsys):
    rc, out, _ = run(capsys, "pool", "meta-llama/Llama-3.1-8B-Instruct", "--tp", "2", "--max-model-len", "8192")
    assert rc == 0 and "x2 (vLLM v1)" in out and "max concurrency for 8,192 tokens" in out
    rc, out, err = run(capsys, "pool", "meta-llama/Llama-3.1-8B-Instruct", "--tp", "3")
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "tensor_parallel" in err


def test_explain_log_table_and_json(capsys):
    path = str(LOGS / "v0.19.0_llama-3.1-8b_h100_tp1.log")
    rc, out, _ = run(capsys, "explain-log", path)
    assert rc == 0 and "KV cache tokens" in out and "476016" in out.replace(",", "")
    rc, out, _ = run(capsys, "explain-log", path, "--json")
    records = {r["quantity"]: r for r in json.loads(out)}
    assert rc == 0 and records["KV cache tokens"]["logged"] == 476016


def test_explain_log_from_stdin(capsys, monkeypatch):
    import io

    text = (LOGS / "v0.19.0_llama-3.1-8b_h100_tp1.log").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    rc, out, _ = run(capsys, "explain-log", "-")
    assert rc == 0 and "KV cache tokens" in out


def _one_line_error(capsys, *argv: str, needle: str) -> None:
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("vramlab: error:") and needle in err


def test_explain_log_refuses_devices_dirs_and_missing(capsys, tmp_path):
    _one_line_error(capsys, "explain-log", "/dev/zero", needle="not a regular file")
    _one_line_error(capsys, "explain-log", str(tmp_path), needle="not a regular file")
    _one_line_error(capsys, "explain-log", str(tmp_path / "missing.log"), needle="cannot be read")


def test_explain_log_refuses_a_fifo_without_blocking(capsys, tmp_path):
    import os

    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)  # no writer: opening it for a blocking read would hang
    _one_line_error(capsys, "explain-log", str(fifo), needle="not a regular file")


def test_explain_log_refuses_a_file_over_the_limit(capsys, tmp_path, monkeypatch):
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * 1001)
    monkeypatch.setattr(cli.engines, "MAX_LOG_BYTES", 1000)
    _one_line_error(capsys, "explain-log", str(big), needle="1,001 bytes")


def test_explain_log_dev_zero_subprocess_exits_2():
    r = subprocess.run([sys.executable, "-m", "vramlab", "explain-log", "/dev/zero"], capture_output=True,
                       text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_explain_log_stdin_over_the_limit(capsys, monkeypatch):
    import io

    monkeypatch.setattr(cli.engines, "MAX_LOG_BYTES", 100)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 101)))
    _one_line_error(capsys, "explain-log", "-", needle="more than 100 bytes")


def test_typed_values_read_as_written(capsys):
    def tokens_json(*args):
        rc, out, _ = run(capsys, "estimate", "Qwen/Qwen3-8B", "--json", *args)
        assert rc == 0
        return json.loads(out)

    assert tokens_json("--tokens", "32k")["tokens"] == 32 * 1024
    assert tokens_json("--margin", "25%")["margin"] == tokens_json("--margin", "0.25")["margin"]
    assert tokens_json("--framework-gib", "512MiB")["framework"] == 512 * 2**20
    assert tokens_json("--framework-gib", "1.5")["framework"] == 3 * 2**29
    rc, out, _ = run(capsys, "pool", "Qwen/Qwen3-8B", "--gpu-memory-utilization", "90%", "--json",
                     "--total-memory-gib", "79.19")
    d = json.loads(out)
    assert rc == 0 and d["gpu_memory_utilization"] == 0.9 and d["total_memory"] == round(79.19 * 2**30)


# ---------------------------------------------------------------------------
# vramlab fit / gpus / train: verdicts and exit codes (0 fits, 1 does not fit, 2 bad input)
LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"


def params_from_config(model_id: str) -> int:
    """A dense Llama-style count from config fields (untied lm_head, no biases)."""
    c = raw_config(model_id)
    h, L, V, inter = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"], c["intermediate_size"]
    q, kv = c["num_attention_heads"], c["num_key_value_heads"]
    d = c.get("head_dim") or h // q
    return 2 * V * h + L * (2 * h * q * d + 2 * h * kv * d + 3 * h * inter + 2 * h) + h


def fit_json(capsys, *args: str) -> tuple[int, dict]:
    rc, out, err = run(capsys, "fit", *args, "--json")
    assert err == "", err
    return rc, json.loads(out)


def test_fit_llama_70b_int4_on_rtx_4090_does_not_fit(capsys):
    rc, out, err = run(capsys, "fit", LLAMA_70B, "--gpu", "RTX 4090", "--weight-dtype", "int4", "--tokens", "32768")
    assert rc == 1 and err == ""
    assert out.startswith("✗ Does not fit on one RTX 4090")
    # int4 stores at least half a byte per parameter: the weights alone exceed one card
    usable = 24 * 2**30 * 0.985
    lower_bound = params_from_config(LLAMA_70B) // 2
    assert lower_bound > usable
    _, d = fit_json(capsys, LLAMA_70B, "--gpu", "RTX 4090", "--weight-dtype", "int4", "--tokens", "32768")
    n = d["min_gpus"]
    assert d["fits"] is False and n >= math.ceil(lower_bound / usable)
    assert f"Needs {n} x RTX 4090 with tensor parallelism" in out
    assert d["headroom"] == d["usable"] - d["per_gpu"]["total"] < 0
    # the fewest GPUs fit, and every smaller tensor-parallel size the model allows does not
    rc_n, at_n = fit_json(capsys, LLAMA_70B, "--gpu", "RTX 4090", "--weight-dtype", "int4", "--tokens", "32k",
                          "--tp", str(n))
    assert rc_n == 0 and at_n["fits"] and at_n["per_gpu"]["total"] <= at_n["usable"]
    for t in (t for t in range(2, n) if 64 % t == 0 and (8 % t == 0 or t % 8 == 0)):
        assert fit_json(capsys, LLAMA_70B, "--gpu", "RTX 4090", "--weight-dtype", "int4", "--tp", str(t))[0] == 1


def test_fit_qwen3_8b_on_h100_at_8k(capsys):
    rc, d = fit_json(capsys, "Qwen/Qwen3-8B", "--gpu", "H100", "--tokens", "8192")
    c = raw_config("Qwen/Qwen3-8B")
    kv = 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * c["head_dim"] * 2 * 8192
    assert rc == 0 and d["fits"] is True and d["min_gpus"] == 1
    assert d["usable"] == round(79.19 * 2**30)            # the vLLM logs' total for an H100 80GB
    assert d["estimate"]["weights"] == 2 * QWEN3_8B_PARAMS and d["estimate"]["kv_cache"] == kv
    assert d["per_gpu"]["total"] == d["estimate"]["total"] and d["headroom"] == d["usable"] - d["estimate"]["total"]
    assert d["max_context"] == c["max_position_embeddings"] and d["max_concurrency"] > 1
    assert d["warnings"] == [] and "✓ Fits on one H100 80GB" in d["verdict"]


def test_fit_custom_gpu_memory(capsys):
    _, a = fit_json(capsys, "Qwen/Qwen3-8B", "--gpu-memory", "16GiB", "--weight-dtype", "int4")
    _, b = fit_json(capsys, "Qwen/Qwen3-8B", "--gpu-memory", "16", "--weight-dtype", "int4")   # bare number: GiB
    assert a["usable"] == b["usable"] == int(16 * 2**30 * 0.985)
    assert a["gpu"] == "custom GPU (16.00 GiB)" and a["fits"]
    _, c = fit_json(capsys, "Qwen/Qwen3-8B", "--gpu", "RTX 4090", "--gpu-memory", "80GB")
    assert c["usable"] == int(80 * 10**9 * 0.985) and c["gpu"].startswith("RTX 4090 with")


def test_fit_under_vllm_accounting(capsys):
    rc, d = fit_json(capsys, LLAMA_70B, "--gpu", "RTX 4090", "--weight-dtype", "int4", "--engine", "vllm")
    assert rc == 1 and d["pool"]["kv_bytes"] == 0 and any("refuses to start" in w for w in d["warnings"])
    rc, d = fit_json(capsys, "Qwen/Qwen3-8B", "--gpu", "H100", "--tokens", "8k", "--engine", "vllm")
    p = d["pool"]
    assert rc == 0 and p["max_model_len"] == 8192 and p["max_concurrency"] >= 1 and d["fits"]
    assert d["max_concurrency"] == int(p["num_blocks"] / (8192 // 16))


@pytest.mark.parametrize("argv,needles", [
    (["fit", "Qwen/Qwen3-8B"], ["--gpu NAME", "--gpu-memory"]),
    (["fit", "Qwen/Qwen3-8B", "--gpu", "H800"], ["--gpu", "H800", "closest"]),
    (["fit", "Qwen/Qwen3-8B", "--gpu", "24"], ["--gpu", "GPU.custom", "--gpu-memory 24GiB"]),
    (["fit", "Qwen/Qwen3-8B", "--gpu", "H100", "--tp", "3"], ["tensor_parallel", "3"]),
    (["fit", "Qwen/Qwen3-8B", "--gpu-memory", "lots"], ["--gpu-memory", "'lots'"]),
    (["fit", "Qwen/Qwen3-8B", "--gpu", "H100", "--engine", "sglang"], ["--engine", "sglang", "plain"]),
    (["estimate", "Qwen/Qwen3-8B", "--margin", "10"], ["--margin", "did you mean 10%?"]),
    (["estimate", "Qwen/Qwen3-8B", "--tp", "2"], ["--tensor-parallel", "--gpu"]),
    (["train", "Qwen/Qwen3-8B", "--zero-stage", "4"], ["--zero-stage", "4"]),
    (["train", "Qwen/Qwen3-8B", "--seq-len", "0"], ["--seq-len", "0"]),
    (["train", "Qwen/Qwen3-8B", "--method", "dpo"], ["--method", "dpo", "qlora"]),
])
def test_new_commands_refuse_bad_input_in_one_line(capsys, argv, needles):
    assert_one_line_error(*run(capsys, *argv), *needles)


def test_margin_takes_a_fraction_or_a_percentage(capsys):
    as_pct = json.loads(run(capsys, "estimate", "Qwen/Qwen3-8B", "--margin", "10%", "--json")[1])
    as_fraction = json.loads(run(capsys, "estimate", "Qwen/Qwen3-8B", "--margin", "0.1", "--json")[1])
    assert as_pct == as_fraction and as_pct["margin_fraction"] == 0.1


def test_tokens_32k_is_32768_everywhere(capsys):
    for cmd in (["estimate"], ["fit", "--gpu", "L40S"]):
        a = run(capsys, cmd[0], "Qwen/Qwen3-8B", *cmd[1:], "--tokens", "32k", "--json")
        b = run(capsys, cmd[0], "Qwen/Qwen3-8B", *cmd[1:], "--tokens", "32768", "--json")
        assert a == b and json.loads(a[1])


def test_context_past_max_position_embeddings_warns(capsys, tmp_path):
    limit = raw_config("Qwen/Qwen3-8B")["max_position_embeddings"]
    rc, out, _ = run(capsys, "estimate", "Qwen/Qwen3-8B", "--tokens", "131072")
    assert rc == 0 and f"warning: tokens 131,072 exceed the {limit:,} positions" in out and "YaRN" in out
    d = json.loads(run(capsys, "estimate", "Qwen/Qwen3-8B", "--tokens", "131072", "--json")[1])
    assert any(f"{limit:,}" in w for w in d["warnings"])
    assert json.loads(run(capsys, "estimate", "Qwen/Qwen3-8B", "--tokens", "32768", "--json")[1])["warnings"] == []
    _, f = fit_json(capsys, "Qwen/Qwen3-8B", "--gpu", "H200", "--tokens", "131072")
    assert any(f"{limit:,}" in w for w in f["warnings"])
    # the model card's YaRN (factor 4 over 32,768 positions) covers 131,072 tokens
    cfg = dict(preset_record("Qwen/Qwen3-8B")["config"])
    cfg["rope_scaling"] = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    rc, out, _ = run(capsys, "estimate", str(path), "--tokens", "131072")
    assert rc == 0 and "extends it to 131,072, which covers them" in out
    rc, out, _ = run(capsys, "pool", "Qwen/Qwen3-8B", "--max-model-len", "131072")
    assert f"exceed the {limit:,} positions" in out


def test_estimate_per_gpu_share(capsys):
    d = json.loads(run(capsys, "estimate", LLAMA_70B, "--gpu", "H100", "--tp", "2", "--json")[1])
    p = d["per_gpu"]
    assert p["tensor_parallel"] == 2 and p["weights"] == -(-d["weights"] // 2)
    assert p["total"] == p["weights"] + p["kv_cache"] + p["overhead"] + p["margin"]
    rc, out, _ = run(capsys, "estimate", LLAMA_70B, "--gpu", "H100", "--tp", "2")
    assert rc == 0 and "on 2 x H100 80GB:" in out


def test_pool_that_cannot_start_exits_1(capsys):
    rc, out, err = run(capsys, "pool", LLAMA_70B, "--gpu", "RTX 4090")
    assert rc == 1 and err == "" and "KV cache    0.00 GiB = 0 blocks" in out
    assert "warning:" in out and "refuses to start" in out
    d = json.loads(run(capsys, "pool", LLAMA_70B, "--gpu", "RTX 4090", "--json")[1])
    assert d["kv_bytes"] == 0 and d["warnings"]
    # a pool smaller than one request of max_model_len: vLLM refuses that too
    rc, out, _ = run(capsys, "pool", LLAMA_70B, "--gpu", "H100", "--tp", "2", "--max-model-len", "131072",
                     "--gpu-memory-utilization", "0.85")
    d = json.loads(run(capsys, "pool", LLAMA_70B, "--gpu", "H100", "--tp", "2", "--max-model-len", "131072",
                       "--gpu-memory-utilization", "0.85", "--json")[1])
    assert rc == (0 if d["max_concurrency"] >= 1 else 1)
    assert run(capsys, "pool", "Qwen/Qwen3-8B", "--gpu", "H100")[0] == 0


def test_gpus_lists_the_catalog_with_sources(capsys):
    rc, out, _ = run(capsys, "gpus")
    d = json.loads(run(capsys, "gpus", "--json")[1])
    assert rc == 0 and len(d) >= 20 and f"{len(d)} GPUs." in out
    for g in d:
        assert g["source"] and 0 < g["usable_bytes"] <= g["physical_bytes"]
        assert g["usable_is_measured"] == (g["measured_usable_bytes"] is not None)
        assert g["name"] in out
    rows = table_rows(out)
    assert rows["H100 80GB"][2:4] == ["79.19 GiB", "measured"] and rows["RTX 4090"][3] == "estimated"
    assert {g["vendor"] for g in d} >= {"NVIDIA", "AMD", "Intel"}


def test_train_runs_with_zero_lora_and_a_verdict(capsys):
    rc, out, _ = run(capsys, "train", "Qwen/Qwen3-8B")
    assert rc == 0 and "model states" in out and "16.0 bytes per parameter" in out
    d = json.loads(run(capsys, "train", "Qwen/Qwen3-8B", "--json")[1])
    assert d["weights"] + d["gradients"] + d["master_weights"] + d["optimizer_states"] == 16 * QWEN3_8B_PARAMS
    z3 = json.loads(run(capsys, "train", "Qwen/Qwen3-8B", "--zero-stage", "3", "--gpus", "8", "--json")[1])
    assert z3["model_states"] == 16 * QWEN3_8B_PARAMS // 8
    full = json.loads(run(capsys, "train", "Qwen/Qwen3-8B", "--recompute", "full", "--json")[1])
    assert full["activations"] < d["activations"]
    rc, out, _ = run(capsys, "train", "Qwen/Qwen3-8B", "--gpu", "RTX 4090")
    assert rc == 1 and "✗ does not fit on RTX 4090" in out
    rc, out, _ = run(capsys, "train", "Qwen/Qwen3-8B", "--method", "qlora", "--seq-len", "2k", "--gpu-memory", "48GiB")
    assert rc == 0 and "✓ fits" in out
    rc, out, _ = run(capsys, "train", "Qwen/Qwen3-8B", "--seq-len", "64k")
    assert "warning: tokens 65,536 exceed the 40,960 positions" in out


def test_help_lists_exit_codes(capsys):
    out = run(capsys, "--help")[1]
    assert "1 does not fit" in out and "2 bad input" in out
    for name in ("fit", "gpus", "train"):
        assert name in out


def test_unknown_model_says_where_to_get_its_config(capsys):
    rc, out, err = run(capsys, "params", "acme/Llama-Next-9B")
    assert_one_line_error(rc, out, err, "works offline",
                          "https://huggingface.co/acme/Llama-Next-9B/resolve/main/config.json", "pass its path")
    rc, out, err = run(capsys, "params", "no-such-model")
    assert_one_line_error(rc, out, err, "works offline", "config.json")
    assert "huggingface.co/no-such-model" not in err
