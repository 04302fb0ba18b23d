"""Parameters and weights: P, P_layer, P_emb, the MoE experts, M_w.

>>> from vramlab import formulas as F
>>> F.weights_memory()
Eq(M_w, (P*b_w)/8)
"""

from __future__ import annotations

from typing import Any

from . import _eq, _over, _prod, _s, _sum, symbol

__all__ = [
    "llama_like", "embedding_params", "layer_params", "model_params", "expert_params",
    "active_expert_params", "weights_memory", "quantized_weights_memory",
]

def llama_like(model: Any) -> bool:
    """True when :func:`layer_params` / :func:`model_params` describe ``model`` exactly.

    That is the Llama-like families (Llama, Mistral, Qwen2/3, Qwen3-MoE, Mixtral, Phi-3,
    Gemma-2/3) without an output-projection or MLP bias. MLA (DeepSeek), Falcon's fused
    parallel block and gpt-oss (attention sinks, expert biases) are laid out differently.

    >>> import vramlab as vl
    >>> llama_like(vl.load_model("Qwen/QwQ-32B")), llama_like(vl.load_model("tiiuae/falcon-7b"))
    (True, False)
    """
    from ..families import family_of, llama_like_family
    from ..presets import load_model

    m = load_model(model)
    c = m.config
    if not llama_like_family(m) or m.attention_kind == "MLA":
        return False
    if family_of(m).qkv_bias == "attention_bias" and c.get("attention_bias"):
        return False
    return not c.get("mlp_bias")


def embedding_params():
    """Parameters of the token embeddings and the output head: ``P_emb = (2 - t_tie) V h``.

    A tied lm_head (``t_tie = 1``) reuses the embedding matrix, so it is counted once.

    >>> embedding_params()
    Eq(P_emb, V*h*(2 - t_tie))
    """
    V, h, t = _s("V", "h", "t_tie")
    return _eq("P_emb", _prod(_sum(2, -t), V, h))


def _layer_rhs():
    h, Hq, Hkv, d, dff, nn, beta, nu = _s("h", "H_q", "H_kv", "d_head", "d_ff", "n_norm", "beta_qkv", "nu_qk")
    return _sum(
        _prod(2, h, Hq, d),          # Q and O projections
        _prod(2, h, Hkv, d),         # K and V projections
        _prod(3, h, dff),            # gate, up, down
        _prod(nn, h),                # RMSNorm weights
        _prod(beta, _sum(Hq, _prod(2, Hkv)), d),  # Q, K, V biases
        _prod(nu, 2, d),             # per-head q/k norms
    )


def layer_params():
    """Parameters of one dense Llama-like decoder layer.

    ``P_layer = 2 h H_q d_head + 2 h H_kv d_head + 3 h d_ff + n_norm h
    + beta_qkv (H_q + 2 H_kv) d_head + nu_qk 2 d_head``: the Q and O projections
    (h x H_q d_head each), K and V (h x H_kv d_head each), the gated MLP (three h x d_ff
    matrices), the norm weights, and the optional QKV biases and q/k norms.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> m = vl.load_model("meta-llama/Llama-3.1-8B-Instruct")
    >>> evaluate(layer_params(), m)            # 4096 x (2x4096 + 2x1024 + 3x14336 + 2)
    218112000
    """
    return _eq("P_layer", _layer_rhs())


def model_params(moe: bool = False):
    """Parameters of a whole Llama-like model (Llama, Mistral, Qwen2/3, Phi-3, Gemma-2/3).

    Dense: ``P = (2 - t_tie) V h + L P_layer + h`` (the last ``h`` is the final norm).
    With ``moe=True`` the MLP of ``L_moe`` layers is replaced by ``E`` experts of width
    ``d_moe`` and a router (``h E`` weights): Qwen3-MoE, Mixtral.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> m = vl.load_model("Qwen/Qwen3-30B-A3B")
    >>> evaluate(model_params(moe=True), m) == m.param_count()
    True
    """
    import sympy as sp

    V, h, t, L = _s("V", "h", "t_tie", "L")
    layer = _layer_rhs()
    if not moe:
        return _eq("P", _sum(_prod(_sum(2, -t), V, h), _prod(L, layer), h))
    dff, E, Lm, dm = _s("d_ff", "E", "L_moe", "d_moe")
    # the layer without its dense MLP; the MLP term is then counted for the dense layers only
    attn_norms = sp.Add(*[a for a in layer.args if symbol("d_ff") not in a.free_symbols], evaluate=False)
    return _eq("P", _sum(
        _prod(_sum(2, -t), V, h),
        _prod(L, attn_norms),
        _prod(_sum(L, -Lm), 3, h, dff),
        _prod(Lm, _sum(_prod(E, 3, h, dm), _prod(h, E))),
        h,
    ))


def expert_params():
    """Weights of the routed experts: ``P_experts = L_moe E 3 h d_moe``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> m = vl.load_model("deepseek-ai/DeepSeek-V3")
    >>> evaluate(expert_params(), m) == vl.param_breakdown(m)["experts"]
    True
    """
    Lm, E, h, dm = _s("L_moe", "E", "h", "d_moe")
    return _eq("P_experts", _prod(Lm, E, 3, h, dm))


def active_expert_params():
    """Expert weights one token passes through: ``P_active_experts = L_moe k 3 h d_moe``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> f"{evaluate(active_expert_params(), vl.load_model('Qwen/Qwen3-30B-A3B')):,}"
    '1,811,939,328'
    """
    Lm, k, h, dm = _s("L_moe", "k", "h", "d_moe")
    return _eq("P_active_experts", _prod(Lm, k, 3, h, dm))


def weights_memory():
    """Bytes of the weights when every parameter uses the same format: ``M_w = P b_w / 8``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> evaluate(weights_memory(), vl.load_model("Qwen/Qwen3-8B"), dtype="bf16")
    16381470720
    """
    P, b = _s("P", "b_w")
    return _eq("M_w", _over(_prod(P, b), 8))


def quantized_weights_memory():
    """Bytes of the weights when only the linear layers are quantized.

    ``M_w = (P_q b_w + (P - P_q) 16) / 8``: weight-only formats (GPTQ/AWQ int4, nf4, fp8,
    MXFP4) keep embeddings, lm_head, norms, biases and routers in 16-bit. For a format
    applied to everything (bf16, GGUF) ``P_q = P`` and this is :func:`weights_memory`.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> evaluate(quantized_weights_memory(), m, dtype="int4") == vl.weights_bytes(m, "int4")
    True
    """
    P, Pq, b = _s("P", "P_q", "b_w")
    return _eq("M_w", _over(_sum(_prod(Pq, b), _prod(_sum(P, -Pq), 16)), 8))
