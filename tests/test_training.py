"""Training memory: the ZeRO paper's example, stage arithmetic, activations, LoRA, estimate, errors.

Expected values are typed from the papers or recomputed here from config fields.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vramlab as vl
import vramlab.training as tr
from vramlab.errors import VramlabError

GB = 10**9
DATA = Path(__file__).resolve().parents[1] / "vramlab" / "data" / "models"


def config(file_name: str) -> dict:
    return json.loads((DATA / file_name).read_text())["config"]


# --- ZeRO (Rajbhandari et al. 2020, Figure 1: Psi = 7.5B, N_d = 64, K = 12) ----------------
PAPER_GB = {0: 120, 1: 31.4, 2: 16.6, 3: 1.9}


@pytest.mark.parametrize("stage", [0, 1, 2, 3])
def test_zero_paper_example_rounded_as_published(stage):
    got = tr.model_states_bytes(7_500_000_000, zero_stage=stage, num_gpus=64).total
    assert round(got / GB, 1) == PAPER_GB[stage]


def test_zero_paper_example_exact():
    psi, nd, k = 7_500_000_000, 64, 12
    exact = {0: (2 + 2 + k) * psi, 1: 2 * psi + 2 * psi + k * psi // nd,
             2: 2 * psi + (2 + k) * psi // nd, 3: (2 + 2 + k) * psi // nd}
    for stage, want in exact.items():
        assert tr.model_states_bytes(psi, stage, nd).total == want
    assert tr.model_states_bytes(psi, 3, nd).total == 1_875_000_000  # the paper prints 1.9 GB


@given(n=st.integers(1, 10**12), gpus=st.integers(1, 4096))
def test_stages_shard_what_they_should(n, gpus):
    shard = -(-n // gpus)
    s = [tr.model_states_bytes(n, stage, gpus) for stage in range(4)]
    assert s[0].parts() == {"weights": 2 * n, "gradients": 2 * n, "master_weights": 4 * n, "optimizer_states": 8 * n}
    assert s[1].parts() == {"weights": 2 * n, "gradients": 2 * n, "master_weights": 4 * shard, "optimizer_states": 8 * shard}
    assert s[2].parts() == {"weights": 2 * n, "gradients": 2 * shard, "master_weights": 4 * shard, "optimizer_states": 8 * shard}
    assert s[3].total == 16 * shard
    assert s[0].total >= s[1].total >= s[2].total >= s[3].total


def test_optimizers_bytes_per_param():
    n = 1_000_000
    assert tr.model_states_bytes(n, optimizer="sgd", master_weights=False).total == 4 * n
    assert tr.model_states_bytes(n, optimizer="sgd-momentum").total == (2 + 2 + 4 + 4) * n
    assert tr.model_states_bytes(n, optimizer="adam").total == 16 * n
    # 8-bit Adam: two 1-byte states + one fp32 absmax per 256 values each, fp32 master copy
    eight = tr.model_states_bytes(n, optimizer="adamw8bit")
    assert eight.optimizer_states == 2 * n + 2 * 4 * n // 256
    assert eight.k_bytes == 4 + 2 * Fraction(260, 256)
    # fp32 training: no separate master copy
    assert tr.model_states_bytes(n, weight_dtype="fp32").total == 16 * n
    assert tr.model_states_bytes(n, weight_dtype="fp32").master_weights == 0
    assert tr.model_states_bytes(n, grad_dtype="fp32").gradients == 4 * n


def test_params_from_a_model():
    m = vl.load_model("Qwen/Qwen3-8B")
    assert tr.model_states_bytes(m).params == 8_190_735_360
    assert tr.model_states_bytes("Qwen/Qwen3-8B").total == 16 * 8_190_735_360


def test_article_training_doubles_is_weights_plus_gradients_only():
    """The QwQ-32B article: 64 GB of FP16 weights, training "doubles" it to 128 GB."""
    assert tr.model_states_bytes(32 * 10**9, optimizer="sgd", master_weights=False).total == 128 * GB
    real = tr.model_states_bytes("Qwen/QwQ-32B")  # mixed-precision AdamW
    assert real.total == 16 * 32_763_876_352
    assert real.total / (128 * GB) > 4


# --- activations -----------------------------------------------------------------------
def test_korthikanti_table_2():
    s, b, h, a = 2048, 4, 12288, 96
    sbh = s * b * h
    assert tr.korthikanti_layer_bytes(s, b, h, a) == sbh * (34 + 5 * a * s // h)
    assert tr.korthikanti_layer_bytes(s, b, h, a, 8) == sbh * 10 + sbh * 24 // 8 + sbh * 5 * a * s // (h * 8)
    assert tr.korthikanti_layer_bytes(s, b, h, a, 8, True) == sbh * (34 + 5 * a * s // h) // 8
    assert tr.korthikanti_layer_bytes(s, b, h, a, 8, False, "selective") == sbh * 10 + sbh * 24 // 8
    assert tr.korthikanti_layer_bytes(s, b, h, a, 8, True, "selective") == sbh * 34 // 8
    assert tr.korthikanti_layer_bytes(s, b, h, a, 1, False, "full") == 2 * sbh


def test_gpt_layer_without_dropout_is_korthikanti_minus_masks():
    """A GPT-like config (MHA, GeLU MLP of 4h): 32 sbh + 2 as^2 b, i.e. 34 sbh + 5 as^2 b without
    the 2 sbh of dropout masks and the 3 as^2 b of attention dropout, plus the small fp32 scalars."""
    cfg = {"model_type": "falcon", "hidden_size": 256, "num_attention_heads": 8, "num_hidden_layers": 1,
           "vocab_size": 1000, "multi_query": False, "parallel_attn": False}
    m = vl.load_model(cfg)
    s, b, h, a = 128, 2, 256, 8
    got = tr.activation_breakdown(m, s, b, flash_attention=False)
    layer = sum(v for k, v in got.items() if k not in ("head", "rope_and_ids"))
    scalars = 2 * 4 * s * b  # two fp32 1/rms per token
    assert layer == 32 * s * b * h + 2 * a * s * s * b + scalars
    assert layer < tr.korthikanti_layer_bytes(s, b, h, a)


def test_qwen3_8b_activation_terms_from_config_fields():
    c = config("Qwen__Qwen3-8B.json")
    L, h, a, akv, d, inter, V = (c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"],
                                 c["num_key_value_heads"], c["head_dim"], c["intermediate_size"], c["vocab_size"])
    s, b = 4096, 2
    got = tr.activation_breakdown("Qwen/Qwen3-8B", s, b)
    tok = s * b
    per_token_layer = (2 * (2 * h + 4)                      # two RMSNorm inputs + 1/rms
                       + 2 * 2 * h                          # inputs of QKV and MLP
                       + (2 * a * d + 4 * a) + (2 * akv * d + 4 * akv)  # q/k norms
                       + 2 * d * (a + 2 * akv) + 4 * a      # Q, K, V + log-sum-exp
                       + 2 * a * d                          # o_proj input
                       + 2 * 4 * inter)                     # SwiGLU
    head = tok * ((2 * h + 4) + 2 * h + 4 * V)
    rope_ids = 2 * 2 * d * s + 16 * tok + 4
    assert sum(got.values()) == L * tok * per_token_layer + head + rope_ids
    assert tr.activation_bytes("Qwen/Qwen3-8B", s, b) == sum(got.values())


def test_recompute_variants():
    m = vl.load_model("Qwen/QwQ-32B")
    none = tr.activation_bytes(m, 8192, 1)
    assert tr.activation_bytes(m, 8192, 1, "selective") == none  # FlashAttention already recomputes
    eager = tr.activation_bytes(m, 8192, 1, flash_attention=False)
    scores = 64 * 2 * 40 * 8192 * 8192
    assert eager - tr.activation_bytes(m, 8192, 1, "selective", flash_attention=False) == scores
    full = tr.activation_breakdown(m, 8192, 1, "full")
    assert full["layer_inputs"] == 64 * 8192 * 5120 * 2
    assert sum(full.values()) < none / 5


def test_tensor_and_sequence_parallel_split():
    m = vl.load_model("Qwen/QwQ-32B")
    one = tr.activation_breakdown(m, 4096, 1)
    tp = tr.activation_breakdown(m, 4096, 1, tensor_parallel=8)
    sp = tr.activation_breakdown(m, 4096, 1, tensor_parallel=8, sequence_parallel=True)
    assert tp["mlp"] * 8 == one["mlp"]
    assert tp["linear_inputs"] == one["linear_inputs"]          # replicated without SP
    assert sp["linear_inputs"] * 8 == one["linear_inputs"]
    assert tp["qkv"] == 64 * 4096 * (2 * 128 * (5 + 2 * 1) + 4 * 5)   # 40/8 query heads, 8/8 KV heads


def test_tokens_for_article_activation_claim():
    n = tr.tokens_for_activation_bytes("Qwen/QwQ-32B", 160 * GB)
    assert tr.activation_bytes("Qwen/QwQ-32B", n) >= 160 * GB > tr.activation_bytes("Qwen/QwQ-32B", n - 1)


# --- LoRA ------------------------------------------------------------------------------
def test_lora_params_qwq_from_config_fields():
    c = config("Qwen__QwQ-32B.json")
    h, a, akv, inter, L = (c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"],
                           c["intermediate_size"], c["num_hidden_layers"])
    d = h // a
    r = 64
    per_layer = r * ((h + a * d) + 2 * (h + akv * d) + (a * d + h) + 2 * (h + inter) + (inter + h))
    assert tr.lora_params("Qwen/QwQ-32B", r) == L * per_layer
    assert tr.lora_params("Qwen/QwQ-32B", r, "attention") == L * r * ((h + a * d) + 2 * (h + akv * d) + (a * d + h))


def test_lora_moe_attention_only():
    m = vl.load_model("Qwen/Qwen3-30B-A3B")
    assert tr.lora_params(m, 8) == tr.lora_params(m, 8, "attention")
    with pytest.raises(VramlabError, match="MoE"):
        tr.lora_params(m, 8, ["gate_proj"])


def test_estimate_methods():
    m = vl.load_model("Qwen/Qwen3-8B")
    n = m.param_count()
    full = tr.estimate(m, "full", 2048, framework_bytes=0)
    assert full.model_states == 16 * n
    assert full.activations == tr.activation_bytes(m, 2048, 1)
    lora = tr.estimate(m, "lora", 2048)
    p = tr.lora_params(m, 16)
    assert lora.trainable_params == p
    assert lora.weights == 2 * n + 4 * p                  # frozen bf16 base + fp32 adapters
    assert (lora.gradients, lora.optimizer_states) == (4 * p, 8 * p)
    q = tr.estimate(m, "qlora", 2048)
    assert q.weights == vl.weights_bytes(m, "nf4") + 4 * p
    z3 = tr.estimate(m, "qlora", 2048, zero_stage=3, num_gpus=8)
    assert z3.weights == -(-vl.weights_bytes(m, "nf4") // 8) + 4 * -(-p // 8)
    marg = tr.estimate(m, "full", 2048, margin=0.2)
    assert marg.margin == round(0.2 * (marg.total - marg.margin))
    t = full.table()
    assert t["part"].tolist()[-1] == "total" and t["bytes"].iloc[-1] == full.total
    assert t["GiB"].iloc[-1] == round(full.total / 2**30, 3)


# --- errors ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,field", [
    ({"zero_stage": 4}, "zero_stage"),
    ({"num_gpus": 0}, "num_gpus"),
    ({"optimizer": "lion"}, "optimizer"),
    ({"weight_dtype": "nf4"}, "weight_dtype"),
    ({"state_dtype": "int4"}, "state_dtype"),
    ({"master_weights": "yes"}, "master_weights"),
])
def test_model_states_errors(kwargs, field):
    with pytest.raises(VramlabError) as err:
        tr.model_states_bytes(1000, **kwargs)
    assert err.value.field == field
    assert field in str(err.value)


def test_bad_params():
    with pytest.raises(VramlabError, match="params"):
        tr.model_states_bytes(-1)
    with pytest.raises(VramlabError, match="params"):
        tr.model_states_bytes([1, 2])


@pytest.mark.parametrize("kwargs,field", [
    ({"seq_len": 0}, "seq_len"),
    ({"micro_batch": 0}, "micro_batch"),
    ({"recompute": "half"}, "recompute"),
    ({"tensor_parallel": 3}, "tensor_parallel"),
    ({"kernels": "triton"}, "kernels"),
    ({"dtype": "int8"}, "dtype"),
])
def test_activation_errors(kwargs, field):
    args = {"seq_len": 128, "micro_batch": 1, **kwargs}
    with pytest.raises(VramlabError) as err:
        tr.activation_bytes("Qwen/Qwen3-8B", **args)
    assert err.value.field == field


def test_mla_and_lora_errors():
    with pytest.raises(VramlabError, match="MLA"):
        tr.activation_bytes("deepseek-ai/DeepSeek-V3", 128)
    with pytest.raises(VramlabError, match="lora_targets"):
        tr.lora_params("Qwen/Qwen3-8B", 8, ["qkv"])
    with pytest.raises(VramlabError, match="rank"):
        tr.lora_params("Qwen/Qwen3-8B", 0)
    with pytest.raises(VramlabError, match="method"):
        tr.estimate("Qwen/Qwen3-8B", "prefix")


def test_estimate_text_is_the_estimate_or_the_error():
    text = tr.estimate_text("Qwen/Qwen3-8B", "lora", 2048, zero_stage=1, num_gpus=2)
    assert text == str(tr.estimate("Qwen/Qwen3-8B", "lora", 2048, zero_stage=1, num_gpus=2, recompute="full"))
    assert text.startswith("Qwen/Qwen3-8B: lora")
    assert "zero_stage" in tr.estimate_text("Qwen/Qwen3-8B", zero_stage=7)


def test_activation_curves_and_their_plot():
    lens = [512, 2048, 8192]
    c = tr.activation_curves("Qwen/Qwen3-8B", lens, micro_batch=2, series={"flash": {}, "full": {"recompute": "full"}})
    assert c.seq_lens == tuple(lens) and c.micro_batch == 2
    assert c.series["full"] == tuple(tr.activation_bytes("Qwen/Qwen3-8B", s, 2, "full") for s in lens)
    assert all(f > g for f, g in zip(c.series["flash"], c.series["full"]))
    with pytest.raises(VramlabError, match="seq_lens"):
        tr.activation_curves("Qwen/Qwen3-8B", [])
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from vramlab.plots.training import plot_activations_vs_seq_len

    ax = plot_activations_vs_seq_len(c, unit="MiB", lines={"a GPU": 80 * 2**30})
    first = ax.get_lines()[0].get_ydata()
    assert list(first) == [b / 2**20 for b in c.series["flash"]]
    with pytest.raises(VramlabError, match="curves"):
        plot_activations_vs_seq_len({"not": "curves"})


def test_moe_activations_count_the_routed_experts():
    m = vl.load_model("Qwen/Qwen3-30B-A3B")
    c = m.config
    per_token = c["num_experts_per_tok"] * (c["hidden_size"] + 4 * c["moe_intermediate_size"])
    assert tr.activation_breakdown(m, 1024, 1)["mlp"] == c["num_hidden_layers"] * 1024 * 2 * per_token


# --- hybrids: activations are modelled for attention layers only; the rest is refused ----------
_SMALL = {"vocab_size": 128}
HYBRIDS = {  # config, the layer kind the refusal names
    "Qwen3-Next (Gated DeltaNet)": ("Qwen/Qwen3-Next-80B-A3B-Instruct", "linear-attention"),
    "Jamba (Mamba)": ({"model_type": "jamba", "num_hidden_layers": 4, "hidden_size": 64, "intermediate_size": 64,
                       "num_attention_heads": 4, "num_key_value_heads": 2, "num_experts": 4, "num_experts_per_tok": 2,
                       "attn_layer_period": 2, "attn_layer_offset": 1, "mamba_d_state": 8, "mamba_d_conv": 4,
                       "mamba_expand": 2, **_SMALL}, "mamba"),
    "Falcon-H1 (Mamba-2 beside attention)": ({
        "model_type": "falcon_h1", "num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 64,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "mamba_d_ssm": 32, "mamba_n_heads": 4,
        "mamba_d_head": 8, "mamba_n_groups": 1, "mamba_d_state": 8, "mamba_d_conv": 4, **_SMALL}, "parallel SSM"),
    "Nemotron-H (Mamba-2, MLP blocks)": ({
        "model_type": "nemotron_h", "hybrid_override_pattern": "ME*-M*", "hidden_size": 64, "intermediate_size": 32,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "mamba_num_heads": 4,
        "mamba_head_dim": 8, "n_groups": 2, "ssm_state_size": 8, "conv_kernel": 4, "n_routed_experts": 4,
        "num_experts_per_tok": 2, "moe_intermediate_size": 16, "moe_shared_expert_intermediate_size": 16,
        **_SMALL}, "mamba2"),
    "MiniMax (Lightning attention)": ({
        "model_type": "minimax", "num_hidden_layers": 4, "hidden_size": 64, "intermediate_size": 32,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "num_local_experts": 4,
        "num_experts_per_tok": 2, "layer_types": ["linear_attention", "full_attention"] * 2, **_SMALL},
        "linear-attention"),
}


@pytest.mark.parametrize("case", list(HYBRIDS))
def test_activations_of_layers_that_are_not_attention_are_refused(case):
    cfg, kind = HYBRIDS[case]
    for call in (lambda: tr.activation_bytes(cfg, 256), lambda: tr.activation_breakdown(cfg, 256, 1, "full"),
                 lambda: tr.estimate(cfg, "full", 256), lambda: tr.activation_curves(cfg, [128])):
        with pytest.raises(VramlabError, match=f"training activations of {kind} layers are not modelled") as err:
            call()
        assert err.value.field == "model"


@pytest.mark.parametrize("case", list(HYBRIDS))
def test_lora_of_layers_that_are_not_attention_is_refused(case):
    cfg, kind = HYBRIDS[case]
    with pytest.raises(VramlabError, match=f"LoRA shapes of {kind} layers are not modelled"):
        tr.lora_params(cfg, 8, "attention")
    with pytest.raises(VramlabError, match="not modelled"):
        tr.estimate(cfg, "lora", 256)


def test_model_states_of_a_hybrid_still_follow_its_parameters():
    m = vl.load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    st = tr.model_states_bytes(m.param_count(), optimizer="adamw")
    assert st.weights == 2 * m.param_count() and st.optimizer_states == 8 * m.param_count()


def test_chunked_attention_layers_keep_the_activations_of_attention():
    # Llama 4's chunked layers are attention layers: FlashAttention keeps no scores, whatever the chunk
    cfg = {"model_type": "llama4_text", "hidden_size": 64, "intermediate_size": 96, "num_attention_heads": 4,
           "vocab_size": 100, "num_hidden_layers": 8, "num_local_experts": 4, "num_experts_per_tok": 1,
           "head_dim": 16, "attention_chunk_size": 256}
    b = tr.activation_breakdown(cfg, 512, 1)
    L, a, d = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["head_dim"]
    assert b["attention_output"] == L * 512 * 2 * a * d
