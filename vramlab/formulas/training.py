"""Training memory (:mod:`vramlab.training`): model states under ZeRO, activations, LoRA.

Activation formulas take the tokens per sequence ``T``, the micro-batch ``N`` and the bytes
per activation value ``b_act`` by keyword; the model supplies the rest:

>>> import vramlab as vl
>>> from vramlab import formulas as F
>>> m = vl.load_model("Qwen/Qwen3-8B")
>>> F.evaluate(F.training_activations(), m, T=4096, N=1, b_act=2) == vl.training.activation_bytes(m, 4096, 1)
True
"""

from __future__ import annotations

from . import _eq, _over, _prod, _s, _sum

__all__ = ["model_states", "korthikanti_layer", "training_layer_activations", "training_head_activations",
           "training_ids_activations", "training_activations", "lora_params"]


def model_states(zero_stage: int = 0):
    """Per-GPU bytes of weights, gradients and optimizer states with 16-bit weights and
    gradients (Rajbhandari et al. 2020, "ZeRO", section 3.1), for ZeRO stage 0-3.

    * stage 0: ``M_states = (2 + 2 + K) P``
    * stage 1 shards the optimizer states: ``2 P + 2 P + K ceil(P / N_d)``
    * stage 2 also the gradients: ``2 P + (2 + K) ceil(P / N_d)``
    * stage 3 also the weights: ``(2 + 2 + K) ceil(P / N_d)``

    ``K`` is :attr:`vramlab.training.ModelStates.k_bytes` (12 for mixed-precision AdamW).

    >>> model_states(0)
    Eq(M_states, P*(K + 2 + 2))
    >>> from vramlab.formulas import evaluate
    >>> evaluate(model_states(3), P=7_500_000_000, K=12, N_d=64)     # the ZeRO paper's example
    1875000000
    """
    import sympy as sp

    from ..errors import check_int

    zero_stage = check_int("zero_stage", zero_stage, minimum=0, maximum=3)
    P, K, Nd = _s("P", "K", "N_d")
    shard = sp.ceiling(_over(P, Nd))
    rhs = {
        0: _prod(_sum(2, 2, K), P),
        1: _sum(_prod(2, P), _prod(2, P), _prod(K, shard)),
        2: _sum(_prod(2, P), _prod(_sum(2, K), shard)),
        3: _prod(_sum(2, 2, K), shard),
    }[zero_stage]
    return _eq("M_states", rhs)


def korthikanti_layer():
    """Activations of one GPT layer as in Korthikanti et al. 2022 (Table 2, no parallelism):
    ``A_layer = T N h (34 + 5 H_q T / h)`` (16-bit values, dropout, LayerNorm, GeLU MLP of
    width 4h, attention without FlashAttention; the paper writes it sbh(34 + 5as/h)).

    >>> from vramlab.formulas import evaluate
    >>> evaluate(korthikanti_layer(), T=2048, N=1, h=12288, H_q=96) == 2048 * 12288 * 114   # GPT-3 175B
    True
    """
    T, N, h, Hq = _s("T", "N", "h", "H_q")
    return _eq("A_layer", _prod(T, N, h, _sum(34, _over(_prod(5, Hq, T), h))))


def _norm(width, rows=1):
    """A fused RMSNorm keeps its input (b_act per value) and a 4-byte fp32 1/rms per row."""
    (b,) = _s("b_act")
    return _sum(_prod(b, width), _prod(4, rows)) if rows != 1 else _sum(_prod(b, width), 4)


def _layer_values():
    """Values one token keeps in one layer (fused kernels, FlashAttention, no recomputation)."""
    h, Hq, Hkv, d, dff, nn, nu, b = _s("h", "H_q", "H_kv", "d_head", "d_ff", "n_norm", "nu_qk", "b_act")
    return _sum(
        _prod(nn, _norm(h)),                                    # norms
        _prod(2, b, h),                                         # inputs of the QKV and MLP projections
        _prod(nu, _sum(_norm(_prod(Hq, d), Hq), _norm(_prod(Hkv, d), Hkv))),  # q/k norms
        _prod(b, d, _sum(Hq, _prod(2, Hkv))), _prod(4, Hq),     # Q, K, V and FlashAttention's log-sum-exp
        _prod(b, Hq, d),                                        # input of the output projection
        _prod(4, b, dff),                                       # gated MLP: gate, up, act(gate), product
    )


def training_layer_activations(full_recompute: bool = False):
    """Activations one decoder layer keeps for the backward pass, for one micro-batch.

    ``A_layer = T N (n_norm (b_act h + 4) + 2 b_act h + nu_qk (...) + b_act d_head (H_q + 2 H_kv)
    + 4 H_q + b_act H_q d_head + 4 b_act d_ff)``: the terms of
    :func:`vramlab.training.activation_breakdown` for a dense model with fused kernels and
    FlashAttention. ``full_recompute=True``: the layer keeps only its input, ``T N b_act h``.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> evaluate(training_layer_activations(True), "Qwen/Qwen3-8B", T=4096, N=1, b_act=2)
    33554432
    """
    T, N, b, h = _s("T", "N", "b_act", "h")
    if full_recompute:
        return _eq("A_layer", _prod(T, N, b, h))
    return _eq("A_layer", _prod(T, N, _layer_values()))


def _head_rhs():
    T, N, b, h, V = _s("T", "N", "b_act", "h", "V")
    return _prod(T, N, _sum(_norm(h), _prod(b, h), _prod(4, V)))


def training_head_activations():
    """The output layer and loss: ``A_head = T N ((b_act h + 4) + b_act h + 4 V)``: the final
    norm, the lm_head input and the fp32 log-softmax of the logits.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> evaluate(training_head_activations(), "Qwen/Qwen3-8B", T=4096, N=1, b_act=2) == vl.training.activation_breakdown("Qwen/Qwen3-8B", 4096)["head"]
    True
    """
    return _eq("A_head", _head_rhs())


def _ids_rhs():
    T, N, b, d = _s("T", "N", "b_act", "d_head")
    return _sum(_prod(2, b, d, T), _prod(16, T, N), 4)


def training_ids_activations():
    """RoPE tables, token ids and labels: ``A_ids = 2 b_act d_head T + 16 T N + 4`` (cos/sin per
    position, int64 ids and labels per token, the loss' fp32 weight).

    >>> training_ids_activations()
    Eq(A_ids, 16*N*T + 2*T*b_act*d_head + 4)
    """
    return _eq("A_ids", _ids_rhs())


def training_activations(full_recompute: bool = False):
    """All training activations of one micro-batch, written out:
    ``A_train = L A_layer + A_head + A_ids``; with ``full_recompute=True``
    ``A_train = L T N b_act h + A_layer + A_head + A_ids`` (every layer keeps its input, one
    layer is rebuilt at a time during the backward pass).

    Equals :func:`vramlab.training.activation_bytes` (fused kernels, FlashAttention) for the
    dense Llama-like models (:func:`llama_like`, no MoE). Every one of the ``L`` layers is
    attention plus an MLP here: :func:`vramlab.training.activation_bytes` refuses models with
    linear-attention, Mamba or parallel-SSM layers, and this formula does not describe them.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> m = vl.load_model("Qwen/QwQ-32B")
    >>> evaluate(training_activations(True), m, T=4096, N=1, b_act=2) == vl.training.activation_bytes(m, 4096, 1, "full")
    True
    """
    T, N, b, h, L = _s("T", "N", "b_act", "h", "L")
    layer = _prod(T, N, _layer_values())
    if full_recompute:
        return _eq("A_train", _sum(_prod(L, T, N, b, h), layer, _head_rhs(), _ids_rhs()))
    return _eq("A_train", _sum(_prod(L, layer), _head_rhs(), _ids_rhs()))


def lora_params():
    """Trainable parameters of all-linear LoRA of rank ``r`` on a dense model: ``r (in + out)``
    per adapted matrix, ``P_LoRA = L r ((h + H_q d_head) + 2 (h + H_kv d_head) + (H_q d_head + h) + 3 (h + d_ff))``
    (q, k and v, o, gate, up and down; :func:`vramlab.training.lora_params`). Every one of the
    ``L`` layers has these projections: models with linear-attention or Mamba layers are refused there.

    >>> import vramlab as vl
    >>> from vramlab.formulas import evaluate
    >>> evaluate(lora_params(), "Qwen/Qwen3-8B", r=16) == vl.training.lora_params("Qwen/Qwen3-8B", 16)
    True
    """
    L, r, h, Hq, Hkv, d, dff = _s("L", "r", "h", "H_q", "H_kv", "d_head", "d_ff")
    return _eq("P_LoRA", _prod(L, r, _sum(
        _sum(h, _prod(Hq, d)), _prod(2, _sum(h, _prod(Hkv, d))), _sum(_prod(Hq, d), h), _prod(3, _sum(h, dff)))))
