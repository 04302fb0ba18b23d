"""vLLM release lines: version resolution and the rules read in each release's source."""

import pytest

from vramlab.engines import (ENGINE_LINES, engine_line, hybrid_group_size, line_auto_dtype, line_batching,
                             line_block_size, line_non_torch, parse_version, resolve_engine)
from vramlab.errors import VramlabError
from vramlab.units import GiB

from .reference import FALCON_H1, NEMOTRON_H

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


@pytest.mark.parametrize("version, line", [
    ("0.6.4.post1", "0.6"), ("0.7.1", "0.7"), ("0.7.3.dev233+gad5a35c2", "0.7"), ("0.8.3", "0.8"),
    ("0.9.2", "0.9"), ("0.10.1", "0.10"), ("v0.10.2", "0.10"), ("0.11.0", "0.11"), ("0.12.0", "0.13"), ("0.17.1", "0.17"), ("0.18.0", "0.19"),
    ("0.14.1", "0.13"), ("0.16.0", "0.13"), ("v0.19.0", "0.19"), ("0.20.1", "0.19"), ("0.21.0", "0.21"), ("0.26.0", "0.21"),
    ("latest", "0.21"), ("v1", "0.19"), ("v0", "0.6"),
])
def test_versions_map_to_their_line(version, line):
    assert engine_line(version).name == line


def test_unknown_versions_map_to_the_nearest_line_with_a_note():
    line, note = resolve_engine("0.5.4")
    assert line.name == "0.6" and "older" in note
    line, note = resolve_engine("0.40.0")
    assert line is ENGINE_LINES[-1] and "newer" in note
    assert resolve_engine("0.10.1")[1] == ""


@pytest.mark.parametrize("bad", ["", "vllm", "main", None, 10])
def test_bad_engine_names_refused(bad):
    with pytest.raises(VramlabError, match="engine"):
        engine_line(bad)


def test_parse_version():
    assert parse_version("v0.19.0") == (0, 19, 0)
    assert parse_version("0.8") == (0, 8, 0)
    assert parse_version("dev") is None


def test_v0_lines_use_the_v0_engine_and_v1_from_0_8():
    # VLLM_USE_V1 defaults to 0 in vllm/envs.py v0.7.1 and to 1 in v0.8.5.
    assert not engine_line("0.7.1").v1 and not engine_line("0.6.4").v1
    assert all(engine_line(v).v1 for v in ("0.8.5", "0.10.1", "0.19.0", "0.26.0"))


def test_default_batching_per_line():
    # vllm/engine/arg_utils.py: >= 70 GiB gets 8192/1024 (serve); A100 excluded from 0.9.
    assert line_batching(engine_line("0.8.5"), 79 * GiB, "A100 80GB") == (8192, 1024)
    assert line_batching(engine_line("0.10.1"), 79 * GiB, "A100 80GB") == (2048, 256)
    assert line_batching(engine_line("0.10.1"), 79 * GiB, "H100 80GB", usage="llm") == (16384, 1024)
    assert line_batching(engine_line("0.10.1"), 44 * GiB, "L40S") == (2048, 256)
    # V0: chunked prefill only above 32768 tokens: 512 (0.6) or 2048 (0.7) per step.
    assert line_batching(engine_line("0.6.4"), 23 * GiB, max_model_len=32768) == (32768, 256)
    assert line_batching(engine_line("0.6.4"), 23 * GiB, max_model_len=32769) == (512, 256)
    assert line_batching(engine_line("0.7.1"), 23 * GiB, max_model_len=131072) == (2048, 256)
    assert line_batching(engine_line("0.7.1"), 23 * GiB, max_model_len=1000) == (2048, 256)


def test_auto_dtype_of_float32_checkpoints():
    assert line_auto_dtype(engine_line("0.7.1"), "fp32") == "fp16"
    assert line_auto_dtype(engine_line("0.9.2"), "fp32") == "bf16"
    assert line_auto_dtype(engine_line("0.19.0"), "fp16") == "fp16"


def test_cuda_graphs_subtracted_from_0_21():
    assert not engine_line("0.19.0").cuda_graphs_profiled
    assert engine_line("0.21.0").cuda_graphs_profiled and engine_line("latest").cuda_graphs_profiled


def test_hybrid_groups_per_line():
    assert not engine_line("0.8.5").hybrid and engine_line("0.9.2").hybrid
    # gpt-oss-20b + a one-layer drafter: 12 sliding, 13 full.
    assert hybrid_group_size(engine_line("0.10.1"), [12, 13]) == 12
    assert hybrid_group_size(engine_line("0.13.0"), [12, 13]) == 13
    assert hybrid_group_size(engine_line("0.19.0"), [10, 14]) == 14
    assert hybrid_group_size(engine_line("0.13.0"), [10, 14]) == 10
    # Gemma-3: 5 sliding per full layer, the smallest count always.
    assert hybrid_group_size(engine_line("latest"), [52, 10]) == 10


def test_mla_block_size():
    assert line_block_size(engine_line("0.10.1"), 16, True, "H100 80GB") == 64
    assert line_block_size(engine_line("0.10.1"), 16, True, "B200") == 128
    assert line_block_size(engine_line("0.10.1"), 16, False, "H100 80GB") == 16
    assert line_block_size(engine_line("0.10.1"), 16, True, "A100 80GB") == 16
    assert line_block_size(engine_line("0.19.0"), 16, True, "H100 80GB") == 16


def test_non_torch_grows_with_tensor_parallelism_only_once():
    for line in ENGINE_LINES:
        assert line_non_torch(line, 2) == line_non_torch(line, 8) >= line_non_torch(line, 1)
    # Logged: v0.19.0 TP=2 on H100 2.07 GiB (row 24); 0.8.3 TP=4 driver rank 0.43 GiB (row 17).
    assert abs(line_non_torch(engine_line("0.19.0"), 2) / GiB - 2.07) < 0.01
    assert abs(line_non_torch(engine_line("0.8.3"), 4) / GiB - 0.43) < 0.01


def test_sampler_sorts_the_vocabulary_until_0_17():
    from vramlab.engines import SAMPLER_BYTES_INPLACE, SAMPLER_BYTES_SORT
    for v in ("0.6.4", "0.7.1", "0.8.5", "0.10.1", "0.11.0", "0.13.0", "0.16.0"):
        assert engine_line(v).sampler_bytes_per_logit == SAMPLER_BYTES_SORT, v
    for v in ("0.17.1", "0.19.0", "latest"):
        assert engine_line(v).sampler_bytes_per_logit == SAMPLER_BYTES_INPLACE, v
    # the sort holds more than the in-place kernel: sorted values and int64 indices at least
    assert SAMPLER_BYTES_SORT >= SAMPLER_BYTES_INPLACE + 4 + 8


def test_group_factor_changes_at_0_12_and_0_18():
    assert engine_line("0.11.0").group_factor == 0
    assert engine_line("0.12.0").group_factor == engine_line("0.17.1").group_factor == 1.25
    assert engine_line("0.18.0").group_factor == engine_line("0.26.0").group_factor == 1.5



def test_latest_names_the_newest_line_in_kv_pool_and_the_cli(capsys):
    import json

    import vramlab as vl
    from vramlab import cli
    assert resolve_engine("latest") == (ENGINE_LINES[-1], "")
    assert engine_line("LATEST") is engine_line(" latest ") is ENGINE_LINES[-1]
    kw = dict(max_model_len=8192)
    p, q = vl.kv_pool(LLAMA, engine="latest", **kw), vl.kv_pool(LLAMA, engine=ENGINE_LINES[-1].name, **kw)
    assert p.engine == "latest" and q.engine == ENGINE_LINES[-1].name and p.engine_note == ""
    assert (p.kv_bytes, p.tokens, p.cuda_graphs) == (q.kv_bytes, q.tokens, q.cuda_graphs) and p.cuda_graphs > 0
    assert cli.main(["pool", LLAMA, "--engine", "latest", "--max-model-len", "8192", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"] == p.tokens




@pytest.mark.parametrize("engine", ["0.6.4", "0.8.5", "0.10.1", "0.19.0", "latest"])
@pytest.mark.parametrize("cfg, kind", [(NEMOTRON_H, "'mamba2'"), (FALCON_H1, "'full' with")],
                         ids=["nemotron_h", "falcon_h1"])
def test_state_layers_vllm_pages_differently_are_refused_not_counted_as_zero(cfg, kind, engine):
    import vramlab as vl
    m = vl.load_model(cfg)
    # the layers do hold a state: counting it as zero would be silently wrong
    assert any(la.conv_state + la.recurrent_state > 0 for la in m.layers)
    with pytest.raises(VramlabError) as err:
        vl.kv_pool(m, engine=engine, max_model_len=1024)
    assert err.value.field == "model"
    assert f"engine {engine_line(engine).name}:" in str(err.value) and f"layer kind {kind}" in str(err.value)


def test_modelled_state_layers_still_size_their_pages():
    import vramlab as vl
    p = vl.kv_pool("Qwen/Qwen3-Next-80B-A3B-Instruct", tensor_parallel=4, max_model_len=32768, engine="0.19.0")
    assert p.num_groups > 1 and p.block_size > 16
