"""Activations of training: what one micro-batch keeps for the backward pass, by term.

Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models",
adapted to RMSNorm, SwiGLU MLPs, GQA and FlashAttention (:func:`activation_breakdown`).
Compared with Korthikanti's 34·sbh: no dropout (modern LLMs train without it: the paper's
2·sbh of masks and its 3·as²b of attention-dropout buffers are gone), RMSNorm instead of
LayerNorm, SwiGLU's 4·I values instead of GeLU's 2·4h, GQA's smaller K and V.

>>> import vramlab as vl
>>> activation_bytes(vl.load_model("Qwen/Qwen3-8B"), 4096, 1, recompute="full") < activation_bytes("Qwen/Qwen3-8B", 4096, 1)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from .. import families
from ..errors import VramlabError, check_int
from ..layers import ATTENTION_KINDS
from ..presets import load_model
from ..spec import ModelSpec
from .states import _FP32, _ceil, _choice, _float_dtype

__all__ = ["RECOMPUTE", "KERNELS", "korthikanti_layer_bytes", "activation_breakdown", "activation_bytes",
           "tokens_for_activation_bytes", "ACTIVATION_SERIES", "ActivationCurves", "activation_curves"]

#: Activation recomputation (gradient checkpointing) strategies of Korthikanti et al. 2022.
RECOMPUTE = ("none", "selective", "full")

#: How norms store their activations: ``"fused"`` (Megatron/Apex/Liger-style kernels, the
#: accounting of Korthikanti et al.) or ``"eager"`` (transformers' PyTorch RMSNorm modules).
KERNELS = ("fused", "eager")


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------
def korthikanti_layer_bytes(
    seq_len: int,
    micro_batch: int,
    hidden: int,
    heads: int,
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
    recompute: str = "none",
) -> int:
    """Activation bytes of one GPT layer, exactly as in Korthikanti et al. 2022 (Table 2).

    16-bit activations, 1-byte dropout masks, LayerNorm, GeLU MLP of width 4h, multi-head
    attention without FlashAttention:

    * no parallelism: sbh(34 + 5as/h)
    * tensor parallel t: sbh(10 + 24/t + 5as/(ht)); with sequence parallel: sbh/t · (34 + 5as/h)
    * selective recomputation drops the 5as/h term
    * full recomputation keeps the layer input: 2sbh (2sbh/t with sequence parallel)

    Rounded up to whole bytes.

    GPT-3 175B, one sequence of 2048 tokens: 34 + 5 · 96 · 2048 / 12288 = 114.

    >>> korthikanti_layer_bytes(2048, 1, 12288, 96) == 2048 * 12288 * 114
    True
    """
    s = check_int("seq_len", seq_len, minimum=1, maximum=10**8)
    b = check_int("micro_batch", micro_batch, minimum=1, maximum=10**6)
    h = check_int("hidden", hidden, minimum=1, maximum=10**7)
    a = check_int("heads", heads, minimum=1, maximum=10**6)
    t = check_int("tensor_parallel", tensor_parallel, minimum=1, maximum=4096)
    recompute = _choice("recompute", recompute, RECOMPUTE)
    sbh = Fraction(s * b * h)
    scores = Fraction(5 * a * s, h) if recompute == "none" else Fraction(0)
    if recompute == "full":
        out = 2 * sbh / (t if sequence_parallel else 1)
    elif sequence_parallel:
        out = sbh / t * (34 + scores)
    else:
        out = sbh * (10 + Fraction(24, t) + scores / t)
    return _ceil(out)


_qk_norm = families.has_qk_norm
_norms_per_layer = families.norms_per_layer


def _mlp_values(m: ModelSpec) -> int:
    """Values per token that the MLP keeps (gated: gate, up, act(gate), product = 4 I)."""
    if families.family_of(m).layout == "falcon":  # h -> 4h GeLU -> h: GeLU input and output
        return 2 * m.intermediate_size
    if not m.is_moe:
        return 4 * m.intermediate_size
    from ..params import experts_per_token, moe_layer_indices

    width = families.expert_width(m)
    n_moe = len(moe_layer_indices(m))
    dense = (m.num_layers - n_moe) * 4 * m.intermediate_size
    # each routed token: a gathered copy of its input (h) and the expert's 4 * width values
    moe = n_moe * (experts_per_token(m) * (m.hidden_size + 4 * width) + 4 * families.shared_expert_width(m))
    return _ceil(Fraction(dense + moe, m.num_layers))


def activation_breakdown(
    model: Any,
    seq_len: int,
    micro_batch: int = 1,
    recompute: str = "none",
    flash_attention: bool = True,
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
    *,
    dtype: str = "bf16",
    kernels: str = "fused",
) -> dict[str, int]:
    """Activations kept for the backward pass of one micro-batch, by term (bytes per GPU).

    Korthikanti et al. 2022 count, per GPT layer, sbh(34 + 5as/h) bytes. Modern decoders
    differ, so each term is rebuilt from the config (b_a = bytes of the activation dtype,
    ``s`` tokens per sequence, ``b`` sequences, a/a_kv query/KV heads of size d, MLP width I,
    per token and layer unless said otherwise):

    ``norms``             each RMSNorm keeps its input (b_a·h) and a 4-byte fp32 1/rms.
                          With ``kernels="eager"`` (transformers' RMSNorm) it keeps an fp32
                          copy of its input (4·h), the 1/rms and the normalized values (b_a·h).
    ``linear_inputs``     the normed inputs of the QKV and of the MLP projections: 2·b_a·h.
    ``qk_norms``          Qwen3/Gemma-3 q/k RMSNorms over heads, kept like ``norms``.
    ``qkv``               Q, K, V after RoPE: b_a·d·(a + 2·a_kv) (GQA keeps K, V at a_kv heads);
                          FlashAttention adds its fp32 log-sum-exp (4·a).
    ``attention_scores``  without FlashAttention the softmax output, b_a·a·s per token (that is
                          b_a·a·s²·b in all). ``kernels="eager"``: transformers' eager attention
                          also keeps the fp32 softmax (4·a·s more) and K, V repeated to a heads.
                          Sliding-window and chunked layers too: eager attention masks the
                          s x s scores, it does not shorten them.
    ``attention_output``  input of the output projection: b_a·a·d.
    ``mlp``               gated MLP (SwiGLU/GeGLU): gate and up outputs, activated gate and the
                          product: 4·b_a·I (GeLU MLP: 2·b_a·I). MoE: per routed expert its
                          gathered input and 4·b_a·I_expert (approximate).
    ``layer_inputs``      full recomputation: each layer keeps only its input, b_a·h.
    ``recompute_working`` full recomputation: one layer's activations rebuilt during backward.
    ``head``              final norm, lm_head input (b_a·h) and fp32 log-softmax of the
                          logits (4·V), as Korthikanti's 4sbh(1 + V/h) for the output layer.
    ``rope_and_ids``      cos/sin tables (2·b_a·d per position, shared by the batch and the
                          layers), token ids and labels (int64), the loss' fp32 weight (4 B).

    Every layer must be attention (full, sliding, chunked) followed by an MLP: models with
    linear-attention (Gated DeltaNet, Lightning), Mamba or Mamba-2 layers, MLP-only blocks or an
    SSM beside the attention are refused, naming the layer kind.

    Exactness: with ``kernels="eager"`` the layer, head and ``rope_and_ids`` terms equal the
    bytes of the tensors transformers saves for backward (Llama/Qwen2/Qwen3/Mistral, SDPA or
    eager attention; checked by the oracle tests). Approximate: ``"fused"`` (real fused kernels
    differ in small scalars), MoE layers (router logits and permutation indices not counted),
    Gemma's 4 norms, Falcon, selective recomputation (a Megatron feature), tensor/sequence
    parallel splits (K/V heads per rank rounded up). LoRA's own small rank-r intermediates are
    not counted. Temporary buffers (the bf16 logits before the fp32 upcast, gradients of
    activations during backward) are not stored activations and are not counted.

    Parameters
    ----------
    model : ModelSpec or preset id
    seq_len : int
        Tokens per sequence ``s``.
    micro_batch : int
        Sequences per forward pass ``b`` on this GPU.
    recompute : str
        ``"none"``, ``"selective"`` (recompute the attention scores: same as ``"none"`` with
        FlashAttention, which already recomputes them) or ``"full"`` (gradient checkpointing
        of every layer).
    flash_attention : bool
        FlashAttention/SDPA kernels that never store the s×s score matrix.
    tensor_parallel : int
        Megatron tensor-parallel degree ``t``: heads and MLP width split over t GPUs.
    sequence_parallel : bool
        Also split the norm and linear inputs along the sequence (Korthikanti et al.).
    dtype : str
        Activation dtype (``"bf16"``, ``"fp16"`` or ``"fp32"``).
    kernels : str
        ``"fused"`` or ``"eager"``, see above.

    Returns
    -------
    dict
        Term name -> bytes; zero terms left out.

    Examples
    --------
    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> b = activation_breakdown(m, 4096, 1)
    >>> b["mlp"] == 36 * 4096 * 4 * 2 * 12288      # layers x tokens x 4 I x 2 bytes
    True
    >>> sorted(activation_breakdown(m, 4096, 1, recompute="full"))
    ['head', 'layer_inputs', 'recompute_working', 'rope_and_ids']
    """
    m = load_model(model)
    s = check_int("seq_len", seq_len, minimum=1, maximum=10**8)
    b = check_int("micro_batch", micro_batch, minimum=1, maximum=10**6)
    recompute = _choice("recompute", recompute, RECOMPUTE)
    kernels = _choice("kernels", kernels, KERNELS)
    t = check_int("tensor_parallel", tensor_parallel, minimum=1, maximum=4096)
    if not isinstance(flash_attention, bool):
        raise VramlabError(f"flash_attention must be True or False, got {flash_attention!r}", field="flash_attention")
    if not isinstance(sequence_parallel, bool):
        raise VramlabError(f"sequence_parallel must be True or False, got {sequence_parallel!r}", field="sequence_parallel")
    _check_activation_model(m, t)
    ba = _float_dtype("dtype", dtype).bytes_per_value
    return _activation_terms(m, s, b, ba, t, sequence_parallel, recompute, flash_attention, kernels)


#: How a refusal names a layer kind that is not attention (:data:`vramlab.layers.STATE_KINDS`).
_KIND_NAMES = {"linear": "linear-attention", "none": "MLP-only (no token mixing)"}


def _not_attention(m: ModelSpec) -> list[str]:
    """Kinds of the layers that are not plain attention, in layer order, once each (an attention
    layer with an SSM beside it, Falcon-H1's, is ``"parallel SSM"``)."""
    kinds = [_KIND_NAMES.get(la.kind, la.kind) if la.kind not in ATTENTION_KINDS else "parallel SSM"
             for la in m.layers if la.kind not in ATTENTION_KINDS or la.conv_state or la.recurrent_state]
    return list(dict.fromkeys(kinds))


def _check_activation_model(m: ModelSpec, t: int) -> None:
    """Refuse what :func:`activation_breakdown` does not model: MLA, layers that are not attention
    (linear attention, Mamba, Nemotron-H's MLP-only blocks, an SSM beside the attention), an uneven split."""
    why = families.family_of(m).cache_refusal
    if why:  # encoders, cross-attention, per-layer K/V widths: not the decoder blocks the formulas describe
        raise VramlabError(f"training activations of {m.name} ({m.model_type}) are not modelled: {why}", field="model")
    other = _not_attention(m)
    if other:
        n = sum(la.kind not in ATTENTION_KINDS or bool(la.conv_state or la.recurrent_state) for la in m.layers)
        raise VramlabError(
            f"training activations of {other[0]} layers are not modelled ({m.name}: {n} of {m.num_layers} "
            f"layers are {', '.join(other)}); valid: models whose every layer is attention "
            f"({', '.join(ATTENTION_KINDS)}) followed by an MLP", field="model",
        )
    if m.attention_kind == "MLA":
        raise VramlabError(
            f"activations of MLA attention ({m.name}) are not modelled; valid attention kinds: MHA, GQA, MQA",
            field="model",
        )
    if m.num_q_heads % t:
        raise VramlabError(
            f"tensor_parallel must divide num_attention_heads ({m.num_q_heads}), got {t}", field="tensor_parallel"
        )


def _norm_bytes(width: Fraction | int, rows: Fraction | int, ba: Fraction, kernels: str) -> Fraction:
    """Bytes one RMSNorm keeps per token: its input (and with eager kernels an fp32 copy) and 1/rms."""
    if kernels == "eager":
        return (_FP32 + ba) * width + _FP32 * rows
    return ba * width + _FP32 * rows


def _layer_bytes_per_token(m: ModelSpec, s: int, ba: Fraction, t: int, sequence_parallel: bool,
                           recompute: str, flash_attention: bool, kernels: str) -> dict[str, Fraction]:
    """Bytes one token keeps in one layer on one GPU, by term of :func:`activation_breakdown`."""
    h, d = m.hidden_size, m.head_dim
    a = Fraction(m.num_q_heads, t)
    a_kv = Fraction(-(-m.num_kv_heads // t))
    rep = Fraction(t if sequence_parallel else 1)  # divisor of replicated (non-TP) terms
    per_layer: dict[str, Fraction] = {
        "norms": _norms_per_layer(m) * _norm_bytes(h, 1, ba, kernels) / rep,
        "linear_inputs": 2 * ba * h / rep,
        "qk_norms": (_norm_bytes(a * d, a, ba, kernels) + _norm_bytes(a_kv * d, a_kv, ba, kernels))
        if _qk_norm(m) else Fraction(0),
        "qkv": ba * d * (a + 2 * a_kv),
        "attention_scores": Fraction(0),
        "attention_output": ba * a * d,
        "mlp": ba * Fraction(_mlp_values(m), t),
    }
    if flash_attention:
        per_layer["qkv"] += _FP32 * a
    elif recompute == "none":
        per_layer["attention_scores"] = ba * a * s
        if kernels == "eager":
            per_layer["attention_scores"] += (_FP32 * a * s if ba != _FP32 else 0)
            per_layer["qkv"] = ba * d * 3 * a  # K and V repeated to the query heads
    elif kernels == "eager":
        per_layer["qkv"] = ba * d * 3 * a
    return per_layer


def _activation_terms(m: ModelSpec, s: int, b: int, ba: Fraction, t: int, sequence_parallel: bool,
                      recompute: str, flash_attention: bool, kernels: str) -> dict[str, int]:
    """:func:`activation_breakdown` on checked inputs (a ModelSpec, activation bytes ``ba``)."""
    L, h, d, V = m.num_layers, m.hidden_size, m.head_dim, m.vocab_size
    rep = Fraction(t if sequence_parallel else 1)
    tok = s * b
    per_layer = _layer_bytes_per_token(m, s, ba, t, sequence_parallel, recompute, flash_attention, kernels)
    out: dict[str, int] = {}
    if recompute == "full":
        out["layer_inputs"] = _ceil(L * tok * ba * h / rep)
        out["recompute_working"] = _ceil(tok * sum(per_layer.values()))
    else:
        for k, v in per_layer.items():
            out[k] = _ceil(L * tok * v)
    out["head"] = _ceil(tok * (_norm_bytes(h, 1, ba, kernels) / rep + ba * h / rep + _FP32 * Fraction(V, t)))
    out["rope_and_ids"] = _ceil(2 * ba * d * s + 16 * tok + 4)
    return {k: v for k, v in out.items() if v}


def activation_bytes(
    model: Any,
    seq_len: int,
    micro_batch: int = 1,
    recompute: str = "none",
    flash_attention: bool = True,
    tensor_parallel: int = 1,
    sequence_parallel: bool = False,
    *,
    dtype: str = "bf16",
    kernels: str = "fused",
) -> int:
    """Training activations of one micro-batch on one GPU: the sum of :func:`activation_breakdown`.

    Not :func:`vramlab.activation_bytes`, which is the transient buffer of an inference
    forward pass.

    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/QwQ-32B")
    >>> vl.format_bytes(activation_bytes(m, 4096, 1), "GiB")
    '72.44 GiB'
    >>> vl.format_bytes(activation_bytes(m, 4096, 1, recompute="full"), "GiB")
    '5.99 GiB'
    """
    return sum(activation_breakdown(model, seq_len, micro_batch, recompute, flash_attention,
                                    tensor_parallel, sequence_parallel, dtype=dtype, kernels=kernels).values())


def tokens_for_activation_bytes(model: Any, target_bytes: int, recompute: str = "none", **kwargs: Any) -> int:
    """Tokens in one sequence (micro-batch 1) whose activations first reach ``target_bytes``.

    Binary search over :func:`activation_bytes` (which grows with the sequence length).

    >>> import vramlab as vl
    >>> n = tokens_for_activation_bytes("Qwen/QwQ-32B", 160 * vl.GB)
    >>> activation_bytes("Qwen/QwQ-32B", n) >= 160 * vl.GB > activation_bytes("Qwen/QwQ-32B", n - 1)
    True
    """
    target = check_int("target_bytes", target_bytes, minimum=1, maximum=10**16)
    lo, hi = 1, 1
    while activation_bytes(model, hi, 1, recompute, **kwargs) < target:
        hi *= 2
        if hi > 10**8:
            raise VramlabError(f"target_bytes {target} is not reached below 10**8 tokens", field="target_bytes")
    while lo < hi:
        mid = (lo + hi) // 2
        if activation_bytes(model, mid, 1, recompute, **kwargs) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


#: Curves of :func:`activation_curves`: label -> keyword arguments of :func:`activation_bytes`.
ACTIVATION_SERIES: dict[str, dict[str, Any]] = {
    "no recomputation, attention without FlashAttention (s² scores)": {"flash_attention": False},
    "no recomputation, FlashAttention (= selective recomputation)": {},
    "full recomputation (gradient checkpointing)": {"recompute": "full"},
}


@dataclass(frozen=True)
class ActivationCurves:
    """Training activations of one model against tokens per sequence, one curve per setting.

    Attributes
    ----------
    model : str
    micro_batch : int
    seq_lens : tuple of int
        Tokens per sequence, the x values.
    series : dict
        Label -> bytes per GPU at each of ``seq_lens``.
    """

    model: str
    micro_batch: int
    seq_lens: tuple[int, ...]
    series: dict[str, tuple[int, ...]]


def activation_curves(model: Any, seq_lens: Sequence[int], micro_batch: int = 1,
                      series: dict[str, dict[str, Any]] | None = None) -> ActivationCurves:
    """:func:`activation_bytes` at each sequence length, for each setting of ``series``.

    Parameters
    ----------
    model : ModelSpec or preset id
    seq_lens : sequence of int
        Tokens per sequence.
    micro_batch : int
        Sequences per micro-batch.
    series : dict, optional
        Label -> keyword arguments of :func:`activation_bytes` (default :data:`ACTIVATION_SERIES`).

    Examples
    --------
    >>> c = activation_curves("Qwen/Qwen3-8B", [1024, 4096])
    >>> c.series["full recomputation (gradient checkpointing)"][1] == activation_bytes("Qwen/Qwen3-8B", 4096, 1, "full")
    True
    """
    m = load_model(model)
    seq_lens = tuple(check_int("seq_lens", s, minimum=1, maximum=10**8) for s in seq_lens)
    if not seq_lens:
        raise VramlabError("seq_lens must list at least one sequence length", field="seq_lens")
    curves = {label: tuple(activation_bytes(m, s, micro_batch, **kwargs) for s in seq_lens)
              for label, kwargs in (ACTIVATION_SERIES if series is None else series).items()}
    return ActivationCurves(model=m.name, micro_batch=micro_batch, seq_lens=seq_lens, series=curves)
