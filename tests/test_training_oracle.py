"""Oracle: training memory formulas against real transformers models trained with torch on the CPU.

A tiny model is built from a config dict (nothing downloaded) and trained one step. We measure
the bytes of the parameters, their gradients and the optimizer-state tensors, and the bytes of
the tensors autograd saves for the backward pass, and compare them with vramlab.training.

PyTorch's AdamW also keeps ``state["step"]``: one 0-d fp32 tensor (4 bytes) per parameter
*tensor*, not per parameter value. vramlab's model-state formula leaves it out (a few kB for a
real model); the test checks its size separately so that nothing in the state is unaccounted.
"""

from __future__ import annotations

import pytest

import vramlab as vl
import vramlab.training as tr

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

pytestmark = pytest.mark.oracle

QWEN3 = {"model_type": "qwen3", "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 24, "vocab_size": 128,
         "tie_word_embeddings": False}
LLAMA = {"model_type": "llama", "hidden_size": 48, "intermediate_size": 80, "num_hidden_layers": 3,
         "num_attention_heads": 6, "num_key_value_heads": 6, "vocab_size": 100}
QWEN2 = {"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 112, "num_hidden_layers": 2,
         "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 96}
CONFIGS = {"qwen3": QWEN3, "llama": LLAMA, "qwen2": QWEN2}


def build(config: dict, attn: str = "sdpa", dtype=None):
    cls = transformers.AutoConfig.for_model(config["model_type"]).__class__
    cfg = cls(**{k: v for k, v in config.items() if k != "model_type"})
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation=attn)
    if dtype is not None:
        model = model.to(dtype)
    model.train()
    return model


def nbytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def one_step(model, optimizer, seq=7, batch=2):
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(1))
    model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()


def state_bytes(optimizer, keys):
    return nbytes(st[k] for st in optimizer.state.values() for k in keys if st.get(k) is not None)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_adamw_fp32_one_step_model_states(name):
    model = build(CONFIGS[name])
    spec = vl.load_model(CONFIGS[name])
    params = list(model.parameters())
    assert sum(p.numel() for p in params) == spec.param_count()
    opt = torch.optim.AdamW(params, lr=1e-3)
    one_step(model, opt)

    s = tr.model_states_bytes(spec, weight_dtype="fp32", optimizer="adamw")
    assert s.weights == nbytes(params)
    assert s.gradients == nbytes(p.grad for p in params)
    assert s.master_weights == 0          # fp32 weights are their own master copy
    assert s.optimizer_states == state_bytes(opt, ("exp_avg", "exp_avg_sq"))
    assert s.total == 16 * spec.param_count()
    # the step counters: one 4-byte scalar per parameter tensor, outside the formula
    steps = [st["step"] for st in opt.state.values()]
    assert len(steps) == len(params) and all(t.dim() == 0 for t in steps)
    assert nbytes(steps) == 4 * len(params)
    assert set().union(*(st.keys() for st in opt.state.values())) == {"step", "exp_avg", "exp_avg_sq"}


def test_adamw_bf16_parameters_keep_bf16_states():
    model = build(QWEN3, dtype=torch.bfloat16)
    spec = vl.load_model(QWEN3)
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3)
    one_step(model, opt)
    assert {st["exp_avg"].dtype for st in opt.state.values()} == {torch.bfloat16}
    s = tr.model_states_bytes(spec, weight_dtype="bf16", optimizer="adamw", master_weights=False, state_dtype="bf16")
    assert (s.weights, s.gradients, s.optimizer_states) == (
        nbytes(params), nbytes(p.grad for p in params), state_bytes(opt, ("exp_avg", "exp_avg_sq")))
    assert s.total == 8 * spec.param_count()


@pytest.mark.parametrize("momentum,optimizer", [(0.9, "sgd-momentum"), (0.0, "sgd")])
def test_sgd_states(momentum, optimizer):
    model = build(LLAMA)
    spec = vl.load_model(LLAMA)
    params = list(model.parameters())
    opt = torch.optim.SGD(params, lr=1e-3, momentum=momentum)
    one_step(model, opt)
    s = tr.model_states_bytes(spec, weight_dtype="fp32", optimizer=optimizer)
    assert s.optimizer_states == state_bytes(opt, ("momentum_buffer",))
    assert s.weights + s.gradients == nbytes(params) + nbytes(p.grad for p in params)


def saved_activation_bytes(model, seq, batch, checkpointing=False):
    """Bytes of the distinct tensors autograd saves in one forward pass (parameters excluded)."""
    if checkpointing:
        enable = getattr(model, "activation_checkpointing_enable", None) or model.gradient_checkpointing_enable
        enable()
    param_ptrs = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t):
        st = t.untyped_storage()
        if st.data_ptr() not in param_ptrs:
            seen.setdefault(st.data_ptr(), st.nbytes())
        return t

    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(2))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(input_ids=ids, labels=ids)
    return sum(seen.values())


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_saved_activations_equal_eager_formula(name, attn, dtype):
    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    model = build(CONFIGS[name], attn=attn, dtype=torch_dtype)
    seq, batch = 9, 3
    measured = saved_activation_bytes(model, seq, batch)
    formula = tr.activation_bytes(vl.load_model(CONFIGS[name]), seq, batch, recompute="none",
                                  flash_attention=(attn == "sdpa"), dtype=dtype, kernels="eager")
    assert measured == formula


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_saved_activations_with_gradient_checkpointing(name):
    model = build(CONFIGS[name], dtype=torch.bfloat16)
    seq, batch = 9, 3
    measured = saved_activation_bytes(model, seq, batch, checkpointing=True)
    spec = vl.load_model(CONFIGS[name])
    b = tr.activation_breakdown(spec, seq, batch, recompute="full", dtype="bf16", kernels="eager")
    # Saved by the forward pass: the layer inputs, the head and ids/labels. The RoPE cos/sin
    # tables (2 x seq x head_dim bf16) are held by the checkpoint as layer arguments, which the
    # saved-tensor hook does not see, and the recomputed layer exists only during backward.
    rope = 2 * 2 * seq * spec.head_dim
    assert b["layer_inputs"] == spec.num_layers * seq * batch * spec.hidden_size * 2
    assert measured == sum(b.values()) - b["recompute_working"] - rope


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_lora_params_equal_hand_built_adapters(name):
    """Attach A (r x in) and B (out x r) to every targeted nn.Linear of the real model and count."""
    model = build(CONFIGS[name])
    rank = 4
    adapters = []
    for mod_name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear) and mod_name.rsplit(".", 1)[-1] in tr.LORA_TARGETS:
            adapters += [torch.nn.Linear(mod.in_features, rank, bias=False),
                         torch.nn.Linear(rank, mod.out_features, bias=False)]
    counted = sum(p.numel() for a in adapters for p in a.parameters())
    assert counted == tr.lora_params(vl.load_model(CONFIGS[name]), rank, "all-linear")
