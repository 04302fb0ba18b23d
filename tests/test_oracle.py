"""vramlab.oracle: the one transformers/torch oracle shared by the suite (skipped only without torch)."""

import pytest

from vramlab import oracle
from vramlab.errors import VramlabError

pytestmark = pytest.mark.oracle


def test_reduced_config_needs_no_torch():
    cfg = oracle.reduced_config("Qwen/Qwen3-8B", num_hidden_layers=1, vocab_size=64)
    assert cfg["num_hidden_layers"] == 1 and cfg["vocab_size"] == 64
    assert oracle.reduced_config("Qwen/Qwen3-8B")["num_hidden_layers"] == 36   # a copy, not the preset


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, vramlab.oracle; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_bad_input_refused_before_torch():
    with pytest.raises(VramlabError, match="tokens"):
        oracle.transformers_kv_oracle(tokens=0)
    with pytest.raises(VramlabError, match="batch"):
        oracle.transformers_kv_oracle(batch=0)


@pytest.mark.parametrize("model,tokens,batch", [("Qwen/Qwen3-8B", 64, 1), ("meta-llama/Llama-3.1-8B-Instruct", 33, 2)])
def test_transformers_oracle(model, tokens, batch):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    o = oracle.transformers_kv_oracle(model, tokens=tokens, batch=batch)
    g = oracle.ORACLE_GEOMETRY
    expected = batch * tokens * g["num_hidden_layers"] * 2 * g["num_key_value_heads"] * g["head_dim"] * 4  # fp32
    assert o["measured_bytes"] == expected == o["formula_bytes"]
    assert o["layers"] == g["num_hidden_layers"]
    assert o["key_shape"] == (batch, g["num_key_value_heads"], tokens, g["head_dim"])


def test_meta_param_count_matches_vramlab():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import vramlab as vl

    cfg = oracle.reduced_config("Qwen/Qwen3-8B", num_hidden_layers=2, hidden_size=64, intermediate_size=96,
                                num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=128)
    assert oracle.meta_param_count(cfg) == vl.load_model(cfg).param_count()


def test_cache_layers_of_a_tuple_cache():
    pytest.importorskip("torch")
    import torch

    k, v = torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4, dtype=torch.float16)
    assert oracle.cache_bytes(((k, v), (k, v))) == 2 * (24 * 4 + 24 * 2)


def test_unknown_dtype():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    with pytest.raises(VramlabError, match="dtype"):
        oracle.build_model(oracle.reduced_config("Qwen/Qwen3-8B"), dtype="int3")
