"""vLLM-style KV pool, paged blocks, chunked prefill: checked against config arithmetic
and the published vLLM start-up figures (data/vllm_logs_calibration.csv)."""

import csv
import math
from pathlib import Path

import pytest

import vramlab as vl
from vramlab import serving
from vramlab.calibration import logged_model
from vramlab.errors import VramlabError

CSV = Path(__file__).resolve().parents[1] / "vramlab" / "data" / "vllm_logs_calibration.csv"
GiB = 2**30
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def _rows():
    with open(CSV, encoding="utf-8") as f:
        return {int(r["row_id"]): r for r in csv.DictReader(f)}


def _llama_params_from_config():
    c = vl.load_model(LLAMA).hf_config
    h, inter, L, V = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    kv = c["num_key_value_heads"] * (h // c["num_attention_heads"])
    per_layer_sharded = 2 * h * h + 3 * h * inter
    kv_proj = 2 * h * kv
    norms = L * 2 * h + h
    return dict(h=h, L=L, V=V, sharded=L * per_layer_sharded + 2 * V * h, kv_proj=L * kv_proj, norms=norms,
                rope=c["max_position_embeddings"] * (h // c["num_attention_heads"]) * 2)


def test_weights_per_gpu_from_config_fields():
    p = _llama_params_from_config()
    total = 2 * (p["sharded"] + p["kv_proj"] + p["norms"]) + p["rope"]
    assert serving.weights_per_gpu(LLAMA) == total
    tp2 = 2 * ((p["sharded"] + p["kv_proj"]) / 2 + p["norms"]) + p["rope"]
    assert abs(serving.weights_per_gpu(LLAMA, None, 2) - tp2) <= 2


@pytest.mark.parametrize("row_id", [1, 2, 22, 24, 27, 28, 33, 43])
def test_weights_within_one_percent_of_logged(row_id):
    r = _rows()[row_id]
    logged_gib = float(r["weights_value"])  # GiB in every row (V0 printed GiB under "GB")
    p = vl.kv_pool(logged_model(r["model"]), gpu=r["gpu"], tensor_parallel=int(r["tensor_parallel_size"]),
                   gpu_memory_utilization=float(r["gpu_memory_utilization"]),
                   max_model_len=int(r["max_model_len"]), total_memory_gib=float(r["total_gpu_memory_gib"]),
                   engine="v1" if r["engine_version"] else "v0")
    assert abs(p.weights / GiB - logged_gib) / logged_gib < 0.01


@pytest.mark.parametrize("row_id", [1, 2, 22, 24, 27, 28, 33, 43])
def test_kv_tokens_within_one_percent_of_logged(row_id):
    r = _rows()[row_id]
    p = vl.kv_pool(logged_model(r["model"]), gpu=r["gpu"], tensor_parallel=int(r["tensor_parallel_size"]),
                   gpu_memory_utilization=float(r["gpu_memory_utilization"]),
                   kv_dtype=r["kv_cache_dtype"] or "auto", max_model_len=int(r["max_model_len"]),
                   total_memory_gib=float(r["total_gpu_memory_gib"]), engine="v1" if r["engine_version"] else "v0")
    logged = int(r["gpu_kv_cache_tokens"]) if r["gpu_kv_cache_tokens"] else int(r["num_gpu_blocks"]) * 16
    assert abs(p.tokens - logged) / logged < 0.01
    assert abs(p.max_concurrency - float(r["max_concurrency_x"])) / float(r["max_concurrency_x"]) < 0.01


def test_budget_identity_and_block_arithmetic():
    p = vl.kv_pool(LLAMA, gpu="H100 80GB", gpu_memory_utilization=0.95, max_model_len=8192)
    assert p.kv_bytes == p.requested - (p.weights + p.activation + p.non_torch + p.cuda_graphs)
    assert p.requested == int(p.total_memory * 0.95)
    per_token = 2 * 32 * 8 * 128 * 2  # layers x (K,V) x KV heads x head_dim x bf16
    assert p.kv_bytes_per_token == per_token
    assert p.num_blocks == p.kv_bytes // (16 * per_token)
    assert p.tokens == 16 * p.num_blocks
    assert p.max_concurrency == p.num_blocks / (8192 // 16)


def test_tensor_parallel_splits_kv_heads_but_not_mla():
    one = vl.kv_pool(LLAMA, max_model_len=8192)
    two = vl.kv_pool(LLAMA, max_model_len=8192, tensor_parallel=2)
    assert two.kv_bytes_per_token * 2 == one.kv_bytes_per_token
    ds1 = vl.kv_pool(logged_model("deepseek-ai/DeepSeek-V2-Lite-Chat"), max_model_len=8192)
    ds2 = vl.kv_pool(logged_model("deepseek-ai/DeepSeek-V2-Lite-Chat"), max_model_len=8192, tensor_parallel=2)
    assert ds1.kv_bytes_per_token == ds2.kv_bytes_per_token == 27 * (512 + 64) * 2


def test_kv_heads_replicated_when_tp_exceeds_them():
    p = vl.kv_pool("Qwen/Qwen3-8B", tensor_parallel=16, max_model_len=4096)
    assert p.kv_bytes_per_token == 36 * 2 * 1 * 128 * 2  # 8 KV heads over 16 GPUs: 1 each


def test_fp8_kv_doubles_tokens():
    a = vl.kv_pool(LLAMA, max_model_len=8192)
    b = vl.kv_pool(LLAMA, max_model_len=8192, kv_dtype="fp8")
    assert b.kv_bytes == a.kv_bytes
    assert abs(b.tokens - 2 * a.tokens) <= 16


def test_sliding_window_groups_and_concurrency_by_hand():
    p = vl.kv_pool("google/gemma-2-9b", gpu="H100 80GB", gpu_memory_utilization=0.95, max_model_len=8192)
    page = 16 * 2 * 8 * 256 * 2                 # one layer, one block
    assert p.num_groups == 2 and p.block_bytes == 21 * page
    full = math.ceil(8192 / 16)
    sliding = math.ceil(min(4096 - 1 + 8192, 8192) / 16) + 1
    assert p.max_concurrency == p.num_blocks / (full + sliding)
    assert p.tokens == p.num_blocks // 2 * 16


def test_v0_concurrency_is_tokens_over_length():
    p = vl.kv_pool(LLAMA, gpu="RTX 3090", max_model_len=20000, engine="v0")
    assert p.max_concurrency == p.tokens / 20000
    assert p.max_num_batched_tokens == 20000 and p.max_num_seqs == 256


def test_v0_activation_slope_matches_published_rows():
    """Rows 1 and 2 differ only in max_model_len (20000 vs 29000 tokens in the profile pass)."""
    rows = _rows()
    w = float(rows[1]["weights_value"])
    logged = [float(rows[i]["peak_torch_memory_gib_incl_weights"]) - w for i in (1, 2)]
    c = vl.load_model(LLAMA).hf_config
    per_token = (3 * c["intermediate_size"] + 3 * c["hidden_size"]) * 2   # gate/up/act + 3 residual-wide, bf16
    slope_logged = (logged[1] - logged[0]) * GiB / 9000
    assert abs(slope_logged - per_token) / per_token < 0.03
    pred = [serving.profile_activation(LLAMA, t, 256, engine="v0") / GiB for t in (20000, 29000)]
    assert all(abs(a - b) < 0.03 for a, b in zip(pred, logged))


def test_v1_sampler_term_scales_with_vocab():
    """Logged activation peaks (rows 22, 28, 43) grow with vocab x 1024 sequences."""
    rows = _rows()
    vocab = {22: 128256, 28: 152064, 43: 256000}
    slope = (float(rows[43]["activation_peak_gib"]) - float(rows[22]["activation_peak_gib"])) * GiB / (
        1024 * (vocab[43] - vocab[22]))
    assert 13 < slope < 16
    assert abs(slope - serving.SAMPLER_BYTES_PER_LOGIT) < 1


def test_failed_start_is_reported():
    p = vl.kv_pool(LLAMA, gpu="RTX 3090", max_model_len=29000, engine="v0", total_memory_gib=23.58)
    assert p.tokens < 29000 and not p.fits_max_model_len


def test_utilization_sweep_is_monotonic():
    df = serving.utilization_sweep("Qwen/Qwen3-8B", "H100", [0.3, 0.6, 0.9], max_model_len=32768)
    assert list(df.tokens) == sorted(df.tokens) and df.tokens.iloc[0] > 0


def test_low_utilization_leaves_no_kv():
    p = vl.kv_pool("Qwen/QwQ-32B", gpu="RTX 4090", gpu_memory_utilization=0.5)
    assert p.kv_bytes == 0 and p.tokens == 0 and not p.fits_max_model_len


@pytest.mark.parametrize("util", [0, -0.1, 1.01, float("nan")])
def test_bad_utilization(util):
    with pytest.raises(VramlabError, match="gpu_memory_utilization"):
        vl.kv_pool(LLAMA, gpu_memory_utilization=util)


@pytest.mark.parametrize("tp", [3, 5, 0])
def test_tp_not_dividing_heads(tp):
    with pytest.raises(VramlabError, match="tensor_parallel"):
        vl.kv_pool(LLAMA, tensor_parallel=tp)


def test_unknown_engine_and_gpu():
    with pytest.raises(VramlabError, match="engine"):
        vl.kv_pool(LLAMA, engine="v9")
    with pytest.raises(VramlabError, match="gpu"):
        vl.kv_pool(LLAMA, gpu="H800")


def test_pool_serialises():
    p = vl.kv_pool(LLAMA, max_model_len=8192)
    d = p.to_dict()
    assert d["non_kv"] == p.weights + p.activation + p.non_torch + p.cuda_graphs
    assert "max concurrency for 8,192 tokens" in str(p)


def test_chunked_prefill_forward_is_linear_in_chunk():
    a = serving.profile_activation("Qwen/Qwen3-8B", 1024, 256, parts=True)
    b = serving.profile_activation("Qwen/Qwen3-8B", 2048, 256, parts=True)
    assert b["forward"] == 2 * a["forward"]
    assert a["sampler"] == b["sampler"] == 256 * 151936 * 14
    df = serving.chunked_prefill_table("Qwen/Qwen3-8B")
    assert list(df.activation_gib) == sorted(df.activation_gib)




# -- release lines (vramlab.engines) ------------------------------------------------------------

def test_engine_versions_select_their_line():
    p = vl.kv_pool(LLAMA, gpu="A100 80GB", engine="0.10.1", max_model_len=8192)
    q = vl.kv_pool(LLAMA, gpu="A100 80GB", engine="0.8.5", max_model_len=8192)
    # vllm/engine/arg_utils.py: A100s keep the small defaults from 0.9 on, not in 0.8.
    assert (p.max_num_batched_tokens, p.max_num_seqs) == (2048, 256)
    assert (q.max_num_batched_tokens, q.max_num_seqs) == (8192, 1024)
    assert p.engine == "0.10" and q.engine == "0.8"
    assert vl.kv_pool(LLAMA, engine="v0.19.0").engine == "0.19"
    assert vl.kv_pool(LLAMA, engine="v0.19.0").kv_bytes == vl.kv_pool(LLAMA, engine="v1").kv_bytes


def test_unknown_version_maps_to_nearest_line_with_a_note():
    p = vl.kv_pool(LLAMA, engine="0.5.4", max_model_len=8192)
    assert p.engine == "0.6" and "older" in p.engine_note
    assert vl.kv_pool(LLAMA, engine="0.10.1").engine_note == ""


def test_cuda_graphs_subtracted_only_from_0_21():
    old = vl.kv_pool(LLAMA, engine="0.19.0", max_model_len=8192)
    new = vl.kv_pool(LLAMA, engine="0.26.0", max_model_len=8192)
    assert old.cuda_graphs == 0 and new.cuda_graphs == serving.cuda_graph_bytes(LLAMA)
    assert old.kv_bytes - new.kv_bytes == new.cuda_graphs
    assert vl.kv_pool(LLAMA, engine="0.19.0", count_cuda_graphs=True).cuda_graphs == new.cuda_graphs


def test_tp_increase_per_line():
    # v0.19.0 on H100 logs 2.07 GiB non-torch at TP=2 (row 24); 0.8.3 on A100 0.43 GiB at TP=4 (row 17).
    assert abs(vl.kv_pool(LLAMA, tensor_parallel=2, engine="0.19.0").non_torch / GiB - 2.07) < 0.01
    assert abs(vl.kv_pool(LLAMA, tensor_parallel=4, engine="0.8.3").non_torch / GiB - 0.43) < 0.01
    assert vl.kv_pool(LLAMA, tensor_parallel=2, engine="0.7.1").non_torch == \
        vl.kv_pool(LLAMA, tensor_parallel=1, engine="0.7.1").non_torch


def test_dtype_float32_gets_a_float32_kv_cache():
    p = vl.kv_pool(LLAMA, gpu_memory_utilization=0.95, max_model_len=8192, total_memory_gib=79.19,
                   engine="0.19.0", dtype="float32")
    cfg = vl.load_model(LLAMA).hf_config
    per_token = cfg["num_hidden_layers"] * 2 * cfg["num_key_value_heads"] * 128 * 4
    assert p.kv_dtype == "fp32" and p.weight_dtype == "fp32" and p.dtype == "fp32"
    assert p.kv_bytes_per_token == per_token
    assert p.weights > 1.99 * vl.kv_pool(LLAMA, engine="0.19.0").weights
    # vLLM 0.19 with --dtype float32 logs 175,296 tokens for this setting.
    assert abs(p.tokens - 175_296) / 175_296 < 0.01


def test_dtype_auto_downcasts_float32_checkpoints_per_line():
    cfg = dict(vl.load_model(LLAMA).hf_config, torch_dtype="float32")
    m = vl.load_model(cfg, name="llama-fp32")
    assert vl.kv_pool(m, engine="0.7.1").kv_dtype == "fp16"
    assert vl.kv_pool(m, engine="0.10.1").kv_dtype == "bf16"
    assert vl.kv_pool(m, engine="0.10.1", dtype="float16").weight_dtype == "fp16"
    with pytest.raises(VramlabError, match="dtype"):
        vl.kv_pool(LLAMA, dtype="int8")


def test_hybrid_allocator_groups_and_tokens():
    m = vl.load_model("openai/gpt-oss-20b")   # 12 sliding (window 128) + 12 full layers
    p = vl.kv_pool(m, engine="0.10.1", max_model_len=131072)
    assert p.num_groups == 2
    assert p.block_bytes == p.page_bytes * 12
    assert p.tokens == p.num_blocks // 2 * p.block_size
    per_request = -(-131072 // 16) + (-(-min(127 + p.max_num_batched_tokens, 131072) // 16) + 1)
    assert p.blocks_per_request == per_request
    assert p.max_concurrency == p.num_blocks / per_request
    # 0.8 sized sliding layers as full attention: one group of 24 layers, concurrency in tokens.
    q = vl.kv_pool(m, engine="0.8.5", max_model_len=131072)
    assert q.num_groups == 1 and q.block_bytes == q.page_bytes * 24
    assert q.max_concurrency == q.tokens / 131072


def test_mla_block_size_per_line():
    m = logged_model("deepseek-ai/DeepSeek-V2-Lite-Chat")
    assert vl.kv_pool(m, engine="0.10.1", max_model_len=8192).block_size == 64
    assert vl.kv_pool(m, engine="0.19.0", max_model_len=8192).block_size == 16


# -- usable memory: one rule (ECC on data-centre GDDR cards) ------------------------------------

@pytest.mark.parametrize("name, physical_gib", [("T4", 16), ("L4", 24), ("L40S", 48)])
def test_ecc_cards_lose_one_sixteenth(name, physical_gib):
    g = vl.get_gpu(name)
    assert g.ecc_default and not g.usable_is_measured
    assert g.usable_bytes == int(physical_gib * GiB * 15 / 16 * vl.gpus.DEFAULT_USABLE_FRACTION)
    # the same figure everywhere: kv_pool's total and fit's usable memory
    assert vl.kv_pool("Qwen/Qwen3-0.6B", gpu=name, max_model_len=4096).total_memory == g.usable_bytes
    assert vl.fit("Qwen/Qwen3-0.6B", name, tokens=4096).usable == g.usable_bytes


def test_ecc_rule_matches_what_drivers_report():
    # vLLM logs print 44.42 GiB total on an L40S; nvidia-smi shows 15,079 MiB on a T4 (ECC on)
    assert abs(vl.get_gpu("L40S").usable_bytes / GiB - 44.42) / 44.42 < 0.005
    assert abs(vl.get_gpu("T4").usable_bytes / 2**20 - 15_079) / 15_079 < 0.005
    # the A10's total is measured (PyTorch prints 21.99 GiB): within 2.5 % of the ECC rule's estimate
    a10 = vl.get_gpu("A10")
    assert a10.ecc_default and a10.usable_is_measured
    estimate = 24 * GiB * 15 / 16 * vl.gpus.DEFAULT_USABLE_FRACTION
    assert a10.usable_bytes < estimate and abs(a10.usable_bytes - estimate) / estimate < 0.025
    assert vl.kv_pool("Qwen/Qwen3-0.6B", gpu="A10", max_model_len=4096).total_memory == a10.usable_bytes
    assert not vl.get_gpu("RTX 4090").ecc_default and not vl.get_gpu("H100 80GB").ecc_default



def test_cli_pool_takes_dtype_and_engine(capsys):
    import json

    from vramlab import cli
    rc = cli.main(["pool", LLAMA, "--dtype", "float32", "--engine", "0.19.0", "--max-model-len", "8192", "--json"])
    d = json.loads(capsys.readouterr().out)
    p = vl.kv_pool(LLAMA, max_model_len=8192, engine="0.19.0", dtype="float32")
    assert rc == 0 and d["kv_dtype"] == "fp32" and d["tokens"] == p.tokens and d["engine"] == "0.19"
    assert cli.main(["pool", LLAMA, "--dtype", "int8"]) == 2
    assert "dtype" in capsys.readouterr().err


def test_linear_attention_hybrid_grows_the_attention_block():
    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    c = m.hf_config
    tp = 4
    conv_dim = 2 * c["linear_num_key_heads"] * c["linear_key_head_dim"] + c["linear_num_value_heads"] * c["linear_value_head_dim"]
    state = (conv_dim * (c["linear_conv_kernel_dim"] - 1)
             + c["linear_num_value_heads"] * c["linear_key_head_dim"] * c["linear_value_head_dim"]) * 2 // tp
    one_token = 2 * max(1, c["num_key_value_heads"] // tp) * c["head_dim"] * 2
    p = vl.kv_pool(m, tensor_parallel=tp, max_model_len=32768, engine="0.19.0")
    assert p.block_size == 16 * -(-state // (16 * one_token))
    assert p.page_bytes == p.block_size * one_token >= state
    n_linear = sum(la.kind == "linear" for la in m.layers)
    n_full = m.num_layers - n_linear
    assert p.num_groups == -(-n_linear // n_full) + 1
    # a request: its full-attention blocks plus one state page per linear group
    assert p.blocks_per_request == -(-32768 // p.block_size) + (p.num_groups - 1)
    with pytest.raises(VramlabError, match="0.10"):
        vl.kv_pool(m, tensor_parallel=tp, engine="0.8.5")


def test_flashinfer_sampler_skips_the_sort():
    from vramlab.engines import SAMPLER_BYTES_FLASHINFER_PROBS, SAMPLER_BYTES_INPLACE, SAMPLER_BYTES_SORT
    kw = dict(gpu="A10", tensor_parallel=4, max_model_len=8192, engine="0.8.5")
    sort, fi = vl.kv_pool("Qwen/Qwen3-30B-A3B", **kw), vl.kv_pool("Qwen/Qwen3-30B-A3B", flashinfer_sampler=True, **kw)
    vocab = vl.load_model("Qwen/Qwen3-30B-A3B").vocab_size
    # 0.8's FlashInfer path holds bf16 logits, their float32 copy and float32 probabilities: 2 + 4 + 4 bytes
    assert SAMPLER_BYTES_FLASHINFER_PROBS == 2 + 4 + 4
    assert sort.activation - fi.activation == sort.max_num_seqs * vocab * (SAMPLER_BYTES_SORT -
                                                                            SAMPLER_BYTES_FLASHINFER_PROBS)
    # the other V1 lines keep the in-place figure
    k9 = dict(kw, engine="0.10.1")
    s9, f9 = vl.kv_pool("Qwen/Qwen3-30B-A3B", **k9), vl.kv_pool("Qwen/Qwen3-30B-A3B", flashinfer_sampler=True, **k9)
    assert s9.activation - f9.activation == s9.max_num_seqs * vocab * (SAMPLER_BYTES_SORT - SAMPLER_BYTES_INPLACE)
    # 0.19 samples in place already; V0 never used FlashInfer for sampling by default
    assert vl.kv_pool(LLAMA, engine="0.19.0", flashinfer_sampler=True).kv_bytes == vl.kv_pool(LLAMA, engine="0.19.0").kv_bytes
    assert vl.kv_pool(LLAMA, engine="0.7.1", flashinfer_sampler=True).kv_bytes == vl.kv_pool(LLAMA, engine="0.7.1").kv_bytes
