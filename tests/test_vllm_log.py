"""The vLLM log parser/explainer on logs of several generations."""

import csv
import json
from pathlib import Path

import pytest

import vramlab as vl
from vramlab.errors import VramlabError
from vramlab.vllm_log import parse_vllm_log

HERE = Path(__file__).resolve().parent
LOGS = HERE / "fixtures" / "vllm_logs"
CSV = HERE.parent / "vramlab" / "data" / "vllm_logs_calibration.csv"
FIXTURE_ROWS = {
    "v0.6_llama-3.1-8b_rtx3090_20k.log": 1, "v0.6_llama-3.1-8b_rtx3090_29k_failed.log": 2,
    "v0.19.0_llama-3.1-8b_h100_tp1.log": 22, "v0.19.0_llama-3.1-8b_h100_tp2.log": 24,
    "v0.19.0_llama-3.1-8b_h100_tp1_kvfp8.log": 27, "v0.19.0_qwen2.5-7b_h100_tp1.log": 28,
    "v0.19.0_deepseek-v2-lite_h100_tp1.log": 33, "v0.19.0_gemma-2-9b-it_h100_tp1.log": 43,
}


def _rows():
    with open(CSV, encoding="utf-8") as f:
        return {int(r["row_id"]): r for r in csv.DictReader(f)}


@pytest.mark.parametrize("name,row_id", sorted(FIXTURE_ROWS.items()))
def test_parse_fixture_matches_csv(name, row_id):
    r = _rows()[row_id]
    log = parse_vllm_log((LOGS / name).read_text())
    assert log.engine == ("v1" if r["engine_version"] else "v0")
    assert log.settings["model"] == r["model"]
    assert log.settings["max_model_len"] == int(r["max_model_len"])
    assert log.settings["gpu_memory_utilization"] == pytest.approx(float(r["gpu_memory_utilization"]))
    assert log.settings.get("tensor_parallel_size", 1) == int(r["tensor_parallel_size"])
    assert log.figures["weights"][0] == pytest.approx(float(r["weights_value"]))
    assert log.figures["weights"][1] == r["weights_unit_as_printed"]
    assert log.figures["kv_memory"][0] == pytest.approx(float(r["kv_cache_memory_gib"]))
    if r["gpu_kv_cache_tokens"]:
        assert log.figures["tokens"][0] == int(r["gpu_kv_cache_tokens"])
    if r["num_gpu_blocks"]:
        assert log.figures["gpu_blocks"][0] == int(r["num_gpu_blocks"])


@pytest.mark.parametrize("name", sorted(FIXTURE_ROWS))
def test_explained_figures_close_to_logged(name):
    df = vl.explain_vllm_log((LOGS / name).read_text()).set_index("quantity")
    for q in ("weights", "KV cache memory"):
        assert abs(df.loc[q, "difference_%"]) < 1
    q = "KV cache tokens" if "KV cache tokens" in df.index else "GPU blocks"
    assert abs(df.loc[q, "difference_%"]) < 1
    assert all(isinstance(s, str) and s.endswith(".") for s in df.explanation)


def test_gb_label_explained_as_gib():
    df = vl.explain_vllm_log((LOGS / "v0.6_llama-3.1-8b_rtx3090_20k.log").read_text()).set_index("quantity")
    assert 'under the label "GB"' in df.loc["weights", "explanation"]
    assert df.loc["weights", "unit"] == "GiB"


def test_tokens_sentence_names_bytes_per_token():
    df = vl.explain_vllm_log((LOGS / "v0.19.0_llama-3.1-8b_h100_tp1.log").read_text()).set_index("quantity")
    per_token_kib = 2 * 32 * 8 * 128 * 2 / 1024
    assert f"{per_token_kib:.2f} KiB per token" in df.loc["KV cache tokens", "explanation"]


def test_v0_7_format():
    # lines as printed by vLLM 0.7 (vllm-project/vllm PR 12126)
    text = ("INFO 01-16 09:40:00 worker.py:238] the current vLLM instance can use total_gpu_memory (79.22GiB) "
            "x gpu_memory_utilization (0.90) = 71.29GiB\n"
            "INFO 01-16 09:40:00 worker.py:238] model weights take 19.86GiB; non_torch_memory takes 0.16GiB; "
            "PyTorch activation peak memory takes 36.63GiB; the rest of the memory reserved for KV Cache is 14.65GiB.\n"
            "INFO 01-16 09:40:00 executor_base.py:95] # CUDA blocks: 6001, # CPU blocks: 1638\n")
    log = parse_vllm_log(text)
    f = log.figures
    assert log.engine == "v0"
    assert f["total_memory"][0] == 79.22 and f["requested"][0] == 71.29
    assert f["weights"][0] == 19.86 and f["non_torch"][0] == 0.16 and f["activation"][0] == 36.63
    assert f["kv_memory"][0] == 14.65 and f["gpu_blocks"][0] == 6001
    assert log.settings["gpu_memory_utilization"] == 0.9


def test_v0_6_5_multiline_format():
    # tab-separated lines as printed by vLLM 0.6.5 (vllm-project/vllm PR 10511)
    text = "\n".join([
        "INFO 12-13 19:54:18 worker.py:243] Memory profiling results:",
        "INFO 12-13 19:54:18 worker.py:243] duration\t0.75 seconds",
        "INFO 12-13 19:54:18 worker.py:243] total_gpu_memory\t79.22GiB",
        "INFO 12-13 19:54:18 worker.py:243] gpu_memory_utilization\t0.90",
        "INFO 12-13 19:54:18 worker.py:243] the current vLLM instance can use\t71.29GiB",
        "INFO 12-13 19:54:18 worker.py:243] model weights take\t14.96GiB",
        "INFO 12-13 19:54:18 worker.py:243] non_torch_memory\t1.79GiB",
        "INFO 12-13 19:54:18 worker.py:243] PyTorch activation peak memory\t1.26GiB",
        "INFO 12-13 19:54:18 worker.py:243] available_kv_cache_memory\t53.29GiB",
    ])
    f = parse_vllm_log(text).figures
    assert (f["total_memory"][0], f["requested"][0], f["weights"][0]) == (79.22, 71.29, 14.96)
    assert (f["non_torch"][0], f["activation"][0], f["kv_memory"][0]) == (1.79, 1.26, 53.29)


def test_v1_info_lines_only():
    text = ("INFO [gpu_model_runner.py:1316] Model loading took 14.9889 GiB and 3.652170 seconds\n"
            "INFO [kv_cache_utils.py:634] GPU KV cache size: 158,656 tokens\n"
            "INFO [kv_cache_utils.py:637] Maximum concurrency for 32,768 tokens per request: 4.84x\n")
    log = parse_vllm_log(text)
    assert log.engine == "v1" and log.figures["tokens"][0] == 158656
    assert log.settings["max_model_len"] == 32768 and log.figures["concurrency"][0] == 4.84


def test_explain_without_model_lists_figures():
    df = vl.explain_vllm_log("GPU KV cache size: 1,000 tokens")
    assert df.loc[0, "vramlab"] is None and "pass model=" in df.loc[0, "explanation"]


@pytest.mark.parametrize("text", ["", "nothing here", "INFO starting server on port 8000"])
def test_nothing_recognisable(text):
    with pytest.raises(VramlabError, match="recognises"):
        vl.explain_vllm_log(text)


def test_not_a_string():
    with pytest.raises(VramlabError, match="text"):
        parse_vllm_log(None)


@pytest.mark.parametrize("util", ["1.5", "0", "-0.2"])
def test_bad_utilization_in_log(util):
    text = (f"non-default args: {{'model': 'Qwen/Qwen3-8B', 'gpu_memory_utilization': {util}}}\n"
            "GPU KV cache size: 1,000 tokens")
    with pytest.raises(VramlabError, match="gpu_memory_utilization"):
        vl.explain_vllm_log(text)


def test_tp_not_dividing_heads_in_log():
    text = ("non-default args: {'model': 'Qwen/Qwen3-8B', 'tensor_parallel_size': 3}\n"
            "GPU KV cache size: 1,000 tokens")
    with pytest.raises(VramlabError, match="tensor_parallel"):
        vl.explain_vllm_log(text)


def test_log_naming_a_path_asks_which_model_without_opening_it(tmp_path, monkeypatch):
    import builtins
    import io

    cfg = tmp_path / "config.json"
    cfg.write_text('{"model_type": "llama"}')
    opened = []
    real_open, real_io_open = builtins.open, io.open

    def spy(file, *a, **k):
        opened.append(str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    for name in ("/etc/passwd", str(cfg), str(tmp_path)):
        text = f"INFO vllm serve {name} --max-model-len 4096\nGPU KV cache size: 1,000 tokens"
        assert parse_vllm_log(text).settings["model"] == name
        df = vl.explain_vllm_log(text)
        assert df["vramlab"].isna().all()
        assert all("local model directory" in w and name[:100] in w and "model=" in w for w in df["explanation"])
    assert not [f for f in opened if f.startswith(("/etc", str(tmp_path)))]


LOCAL_LOG = """INFO 05-01 12:00:00 [api_server.py] vLLM API server version 0.10.1
INFO non-default args: {'model': '../models/qwen25_32b_instruct_HF/', 'max_model_len': 32768, 'tensor_parallel_size': 2}
INFO [gpu_model_runner.py] Model loading took 30.71 GiB and 10.2 seconds
INFO [gpu_worker.py] Available KV cache memory: 33.0 GiB
INFO [kv_cache_utils.py] GPU KV cache size: 270,336 tokens
"""


def test_local_model_directory_is_named_and_answered_with_model():
    df = vl.explain_vllm_log(LOCAL_LOG)
    why = df["explanation"].iloc[0]
    assert "../models/qwen25_32b_instruct_HF/" in why and "which model is it" in why
    assert "Qwen/Qwen2.5-32B-Instruct" in why          # the directory's name suggests the preset
    df = vl.explain_vllm_log(LOCAL_LOG, model="Qwen/Qwen2.5-32B-Instruct").set_index("quantity")
    assert df.loc["weights", "vramlab"] == pytest.approx(30.71, rel=0.01)


def test_the_printed_version_selects_the_release_line():
    log = parse_vllm_log(LOCAL_LOG)
    assert log.version == "0.10.1" and log.release == "0.10.1" and log.engine == "v1"
    df = vl.explain_vllm_log(LOCAL_LOG, model="Qwen/Qwen2.5-32B-Instruct", gpu="H100 80GB").set_index("quantity")
    p = vl.kv_pool("Qwen/Qwen2.5-32B-Instruct", gpu="H100 80GB", tensor_parallel=2, max_model_len=32768,
                   engine="0.10.1")
    assert df.loc["KV cache tokens", "vramlab"] == p.tokens
    assert "vLLM 0.10" in df.loc["KV cache memory", "explanation"]
    # --engine overrides what the log prints
    df = vl.explain_vllm_log(LOCAL_LOG, model="Qwen/Qwen2.5-32B-Instruct", gpu="H100 80GB", engine="0.19.0")
    q = vl.kv_pool("Qwen/Qwen2.5-32B-Instruct", gpu="H100 80GB", tensor_parallel=2, max_model_len=32768,
                   engine="0.19.0")
    assert df.set_index("quantity").loc["KV cache tokens", "vramlab"] == q.tokens != p.tokens


def test_v0_line_formats_select_their_line_without_a_version():
    assert parse_vllm_log("Memory profiling results: total_gpu_memory=23.58GiB, kv_cache_size=3.81GiB").release == "0.6"
    assert parse_vllm_log("the current vLLM instance can use total_gpu_memory (44.42GiB) x gpu_memory_utilization "
                          "(0.90) = 39.98GiB").release == "0.7"
    assert parse_vllm_log("GPU KV cache size: 1,000 tokens").release == "v1"


def test_dtype_of_the_log_or_the_argument_sizes_the_kv_cache():
    text = ("INFO vLLM API server version 0.19.0\nINFO non-default args: {'model': 'meta-llama/Llama-3.1-8B-Instruct', "
            "'dtype': 'float32', 'max_model_len': 8192, 'gpu_memory_utilization': 0.95}\n"
            "INFO GPU KV cache size: 175,296 tokens\n")
    df = vl.explain_vllm_log(text, gpu="H100 80GB").set_index("quantity")
    assert df.loc["KV cache tokens", "difference_%"] == pytest.approx(0, abs=1)   # fp32 KV, fp32 weights
    plain = text.replace("'dtype': 'float32', ", "")
    assert vl.explain_vllm_log(plain, gpu="H100 80GB").set_index("quantity").loc["KV cache tokens", "vramlab"] > 400_000
    df = vl.explain_vllm_log(plain, gpu="H100 80GB", dtype="float32").set_index("quantity")
    assert df.loc["KV cache tokens", "vramlab"] == vl.kv_pool(
        "meta-llama/Llama-3.1-8B-Instruct", gpu_memory_utilization=0.95, max_model_len=8192, engine="0.19.0",
        dtype="float32").tokens


def test_explicit_model_may_be_a_config_path(tmp_path):
    src = vl.load_model("meta-llama/Llama-3.1-8B-Instruct").hf_config
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(src))
    text = (LOGS / "v0.19.0_llama-3.1-8b_h100_tp1.log").read_text()
    a = vl.explain_vllm_log(text, model=str(cfg)).set_index("quantity")
    b = vl.explain_vllm_log(text).set_index("quantity")
    assert a.loc["KV cache tokens", "vramlab"] == b.loc["KV cache tokens", "vramlab"]


def test_unknown_formats_in_a_log_are_refused():
    for setting in ("'dtype': 'float13'", "'kv_cache_dtype': 'fp3'"):
        text = f"non-default args: {{'model': 'Qwen/Qwen3-8B', {setting}}}\nGPU KV cache size: 1,000 tokens"
        with pytest.raises(VramlabError, match="dtype"):
            vl.explain_vllm_log(text)


def test_fp32_kv_bytes_named_in_the_sentence():
    text = ("non-default args: {'model': 'meta-llama/Llama-3.1-8B-Instruct', 'kv_cache_dtype': 'fp32', "
            "'max_model_len': 8192}\nGPU KV cache size: 1,000 tokens")
    why = vl.explain_vllm_log(text).set_index("quantity").loc["KV cache tokens", "explanation"]
    assert "× 4 bytes" in why and f"{2 * 32 * 8 * 128 * 4 / 1024:.2f} KiB per token" in why


def test_command_line_flags():
    log = parse_vllm_log("$ vllm serve Qwen/Qwen3-8B --max-model-len=32768 -tp 2 --kv-cache-dtype fp8 "
                         "--enforce-eager --gpu-memory-utilization 0.8\nGPU KV cache size: 10 tokens")
    assert log.settings == {"model": "Qwen/Qwen3-8B", "max_model_len": 32768, "tensor_parallel_size": 2,
                            "kv_cache_dtype": "fp8", "gpu_memory_utilization": 0.8}


@pytest.mark.parametrize("junk", [
    "9" * 100_000, "1," * 50_000, "-" * 100_000, "--a" * 30_000, "a" * 100_000 + "=", "'" * 100_000,
    " " * 100_000, "the current vLLM instance can use total_gpu_memory" * 2_000,
    "Graph capturing finished in " * 4_000, "non-default args: {" + "[" * 100_000 + "}",
    "gpu_memory_utilization" + " " * 100_000, "vllm serve " + "x" * 100_000,
    "Memory profiling results: x=1 " + "a" * 100_000,
])
def test_pathological_lines_parse(junk):
    """Long lines of the shapes that make backtracking patterns quadratic still parse (linear
    patterns; the timings are printed by benchmarks/bench_vllm_log.py)."""
    log = parse_vllm_log(junk + " GPU KV cache size: 5 tokens")
    assert log.figures["tokens"][0] == 5
    assert all(len(str(v)) <= 256 for v in log.settings.values())


def test_non_default_args_too_long_is_ignored():
    from vramlab.vllm_log import MAX_LITERAL_CHARS

    pad = "x" * MAX_LITERAL_CHARS
    log = parse_vllm_log(f"non-default args: {{'model': 'Qwen/Qwen3-8B', 'pad': '{pad}'}}\nGPU KV cache size: 5 tokens")
    assert "model" not in log.settings


@pytest.mark.parametrize("line", [
    "Model loading took 99999999 GiB memory", "GPU KV cache size: 10000000000000 tokens",
    "Available KV cache memory: 2,000,000 GiB", "Loading model weights took " + "9" * 400 + " GB", "Maximum concurrency for 8192 tokens per request: 9999999999x",
    "Memory profiling results: total_gpu_memory=99999999999GiB, kv_cache_size=1GiB",
])
def test_implausible_figures_are_refused(line):
    with pytest.raises(VramlabError, match="not a figure a vLLM log prints"):
        parse_vllm_log(line)


@pytest.mark.parametrize("line", ["Model loading took 1e305 GiB memory", "Available KV cache memory: nan GiB",
                                  "GPU KV cache size: -5 tokens"])
def test_numbers_no_log_prints_are_not_read(line):
    with pytest.raises(VramlabError, match="recognises"):
        parse_vllm_log(line)


def test_utilization_that_implies_a_huge_gpu_is_refused():
    text = ("non-default args: {'model': 'Qwen/Qwen3-8B', 'gpu_memory_utilization': 0.000001}\n"
            "Requested memory: 0.000001 (util), 70.00 GiB")
    with pytest.raises(VramlabError, match="total GPU memory"):
        vl.explain_vllm_log(text)
