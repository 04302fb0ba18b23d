"""Memory of training and fine-tuning: weights, gradients, optimizer states, ZeRO, activations, LoRA/QLoRA.

All results are integers of bytes (GB = 10**9, GiB = 2**30 when formatted).

Model states (Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion
Parameter Models", section 3.1): mixed-precision Adam keeps, per parameter, 2 bytes of 16-bit
weights, 2 bytes of 16-bit gradients and K = 12 bytes of optimizer state (fp32 master weights,
fp32 momentum m, fp32 variance v): 16 bytes in all. ZeRO stage 1 shards the optimizer state
across the N data-parallel GPUs, stage 2 also the gradients, stage 3 also the weights.

Activations follow Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
Transformer Models" (sbh(34 + 5as/h) bytes per layer), adapted to RMSNorm, SwiGLU MLPs, GQA
and FlashAttention; see :func:`activation_breakdown` for each term and which are approximate.

>>> import vramlab.training as tr
>>> s = tr.model_states_bytes(7_500_000_000)           # the ZeRO paper's 7.5B example
>>> s.total // 10**9, s.bytes_per_param
(120, Fraction(16, 1))
>>> tr.model_states_bytes(7_500_000_000, zero_stage=3, num_gpus=64).total
1875000000
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Iterable

from .dtypes import DType, get_dtype
from .errors import VramlabError, check_int, check_number
from .memory import DEFAULT_FRAMEWORK_BYTES, weights_bytes
from .presets import load_model
from .spec import ModelSpec
from .units import format_bytes, to_unit

__all__ = [
    "OPTIMIZERS", "LORA_TARGETS", "RECOMPUTE", "KERNELS", "ModelStates", "TrainingEstimate",
    "model_states_bytes", "activation_breakdown", "activation_bytes", "korthikanti_layer_bytes",
    "lora_shapes", "lora_params", "estimate", "tokens_for_activation_bytes", "formulas", "formula_values", "show_estimate",
]

#: Optimizers: number of state tensors per parameter and the bytes each value takes
#: (None: the ``state_dtype`` argument decides).
#: ``adamw8bit`` follows bitsandbytes' block-wise 8-bit Adam: 1 byte per value plus one fp32
#: absmax per block of 256 values, for each of the two states (Dettmers et al. 2022,
#: "8-bit Optimizers via Block-wise Quantization"; block size 256 in bitsandbytes >= 0.44).
OPTIMIZERS: dict[str, tuple[int, Fraction | None]] = {
    "adamw": (2, None),
    "adam": (2, None),
    "adamw8bit": (2, Fraction(1) + Fraction(4, 256)),
    "sgd": (0, None),
    "sgd-momentum": (1, None),
}

#: The linear layers LoRA can adapt, by their transformers/PEFT module names.
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_TARGET_SETS = {"all-linear": LORA_TARGETS, "attention": LORA_TARGETS[:4], "mlp": LORA_TARGETS[4:]}

#: Activation recomputation (gradient checkpointing) strategies of Korthikanti et al. 2022.
RECOMPUTE = ("none", "selective", "full")

#: How norms store their activations: ``"fused"`` (Megatron/Apex/Liger-style kernels, the
#: accounting of Korthikanti et al.) or ``"eager"`` (transformers' PyTorch RMSNorm modules).
KERNELS = ("fused", "eager")

_TRAIN_DTYPES = ("fp32", "fp16", "bf16")
_FP32 = Fraction(4)


def _ceil(x: Fraction | int) -> int:
    x = Fraction(x)
    return -(-x.numerator // x.denominator)


def _float_dtype(name: str, value: Any) -> DType:
    d = get_dtype(value)
    if d.name not in _TRAIN_DTYPES:
        raise VramlabError(
            f"{name} must be a training float format ({', '.join(_TRAIN_DTYPES)}), got {value!r}", field=name
        )
    return d


def _choice(name: str, value: Any, valid: Iterable[str]) -> str:
    valid = tuple(valid)
    if value not in valid:
        raise VramlabError(f"{name} must be one of {', '.join(valid)}, got {value!r}", field=name)
    return value


def _params(params: Any) -> int:
    if isinstance(params, (int, float)) and not isinstance(params, bool):
        return check_int("params", params, minimum=0, maximum=10**14)
    if isinstance(params, (ModelSpec, str, dict)):
        return load_model(params).param_count()
    raise VramlabError(
        f"params must be a parameter count (int >= 0) or a model (ModelSpec, preset id), got {params!r}",
        field="params",
    )


# ---------------------------------------------------------------------------
# Model states: weights, gradients, optimizer states, ZeRO
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelStates:
    """Per-GPU bytes of the model states of one data-parallel rank.

    Attributes
    ----------
    params : int
        Parameters trained (all of them, not the shard).
    zero_stage, num_gpus : int
        ZeRO stage (0-3) and data-parallel GPUs the shards are spread over.
    weight_dtype, grad_dtype, optimizer, state_dtype : str
        Formats and optimizer.
    weights, gradients, master_weights, optimizer_states : int
        Bytes per GPU of each part.
    k_bytes : Fraction
        The ZeRO paper's K: master copy + optimizer states per parameter, before sharding.

    Examples
    --------
    >>> s = model_states_bytes(1000, weight_dtype="bf16")
    >>> s.parts()
    {'weights': 2000, 'gradients': 2000, 'master_weights': 4000, 'optimizer_states': 8000}
    """

    params: int
    zero_stage: int
    num_gpus: int
    weight_dtype: str
    grad_dtype: str
    optimizer: str
    state_dtype: str
    weights: int
    gradients: int
    master_weights: int
    optimizer_states: int
    k_bytes: Fraction

    @property
    def total(self) -> int:
        """Sum of the four parts, bytes per GPU."""
        return self.weights + self.gradients + self.master_weights + self.optimizer_states

    @property
    def bytes_per_param(self) -> Fraction:
        """Bytes per parameter before sharding: weight + gradient + K (16 for mixed-precision Adam)."""
        return get_dtype(self.weight_dtype).bytes_per_value + get_dtype(self.grad_dtype).bytes_per_value + self.k_bytes

    def parts(self) -> dict[str, int]:
        """The parts that sum to ``total``, by name."""
        return {"weights": self.weights, "gradients": self.gradients,
                "master_weights": self.master_weights, "optimizer_states": self.optimizer_states}


def model_states_bytes(
    params: Any,
    zero_stage: int = 0,
    num_gpus: int = 1,
    weight_dtype: str = "bf16",
    optimizer: str = "adamw",
    master_weights: bool = True,
    *,
    grad_dtype: str | None = None,
    state_dtype: str = "fp32",
) -> ModelStates:
    """Per-GPU bytes of weights, gradients and optimizer states, with ZeRO sharding.

    Per parameter: the weight and its gradient (``grad_dtype``, default the weight format),
    an fp32 master copy when ``master_weights`` and the weights are 16-bit (fp32 weights are
    their own master copy), and the optimizer states: AdamW keeps two (m and v), SGD with
    momentum one, plain SGD none, each in ``state_dtype``; 8-bit Adam keeps two 8-bit states
    with an fp32 scale per block of 256 values. K (the ZeRO paper's symbol) is master copy +
    states: 12 bytes for mixed-precision AdamW.

    ZeRO stage 1 shards master weights and optimizer states over ``num_gpus``, stage 2 also
    the gradients, stage 3 also the weights; a shard holds ceil(params / num_gpus) values
    (DeepSpeed pads the flat buffer so that it divides evenly).

    Not counted: PyTorch's ``step`` counter (one 4-byte fp32 scalar per parameter *tensor*,
    a few kB), ZeRO's communication buckets and ZeRO-3's gathered-layer buffer, and
    bitsandbytes keeping 32-bit states for tensors under 4,096 values (norms).

    Parameters
    ----------
    params : int or model
        Trained parameter count, or a ModelSpec/preset id (its exact ``param_count()``).
    zero_stage : int
        0 (plain data parallel), 1, 2 or 3.
    num_gpus : int
        Data-parallel GPUs sharing the shards (ignored at stage 0).
    weight_dtype : str
        ``"bf16"``, ``"fp16"`` or ``"fp32"``.
    optimizer : str
        One of :data:`OPTIMIZERS`: ``"adamw"``, ``"adam"``, ``"adamw8bit"``, ``"sgd"``,
        ``"sgd-momentum"``.
    master_weights : bool
        Keep an fp32 master copy of 16-bit weights (mixed precision).
    grad_dtype : str, optional
        Gradient format; default the weight format.
    state_dtype : str
        Format of the optimizer states (fp32 in mixed precision; PyTorch's AdamW on bf16
        parameters without master weights keeps bf16 states).

    Returns
    -------
    ModelStates

    Examples
    --------
    The ZeRO paper's example (7.5B parameters, 64 GPUs, K = 12), GB = 10**9 bytes:

    >>> [model_states_bytes(7_500_000_000, stage, 64).total / 1e9 for stage in range(4)]
    [120.0, 31.40625, 16.640625, 1.875]
    >>> model_states_bytes(7_500_000_000, zero_stage=4)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: zero_stage must be an integer between 0 and 3, got 4
    """
    n = _params(params)
    zero_stage = check_int("zero_stage", zero_stage, minimum=0, maximum=3)
    num_gpus = check_int("num_gpus", num_gpus, minimum=1, maximum=10**6)
    wd = _float_dtype("weight_dtype", weight_dtype)
    gd = _float_dtype("grad_dtype", grad_dtype if grad_dtype is not None else wd.name)
    sd = _float_dtype("state_dtype", state_dtype)
    optimizer = _choice("optimizer", optimizer, OPTIMIZERS)
    if not isinstance(master_weights, bool):
        raise VramlabError(f"master_weights must be True or False, got {master_weights!r}", field="master_weights")
    n_states, per_state = OPTIMIZERS[optimizer]
    per_state = sd.bytes_per_value if per_state is None else per_state
    master = _FP32 if master_weights and wd.bits < 32 else Fraction(0)
    k_bytes = master + n_states * per_state

    shard = -(-n // num_gpus) if zero_stage else n

    def part(bpv: Fraction, stage: int) -> int:
        return _ceil((shard if zero_stage >= stage else n) * bpv)

    return ModelStates(
        params=n, zero_stage=zero_stage, num_gpus=num_gpus, weight_dtype=wd.name, grad_dtype=gd.name,
        optimizer=optimizer, state_dtype=sd.name,
        weights=part(wd.bytes_per_value, 3), gradients=part(gd.bytes_per_value, 2),
        master_weights=part(master, 1), optimizer_states=part(n_states * per_state, 1), k_bytes=k_bytes,
    )


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


def _qk_norm(m: ModelSpec) -> bool:
    return m.model_type in ("qwen3", "qwen3_moe", "gemma3_text")


def _norms_per_layer(m: ModelSpec) -> int:
    if m.model_type in ("gemma2", "gemma3_text"):
        return 4
    if m.model_type == "falcon" and not m.config.get("new_decoder_architecture") and m.config.get("parallel_attn", True):
        return 1
    return 2


def _mlp_values(m: ModelSpec) -> int:
    """Values per token that the MLP keeps (gated: gate, up, act(gate), product = 4 I)."""
    if m.model_type == "falcon":  # h -> 4h GeLU -> h: GeLU input and output
        return 2 * m.intermediate_size
    if not m.is_moe:
        return 4 * m.intermediate_size
    from .params import moe_layer_indices

    width = int(m.config.get("moe_intermediate_size") or m.intermediate_size)
    shared = int(m.config.get("n_shared_experts") or 0)
    n_moe = len(moe_layer_indices(m))
    dense = (m.num_layers - n_moe) * 4 * m.intermediate_size
    # each routed token: a gathered copy of its input (h) and the expert's 4 * width values
    moe = n_moe * (m.num_experts_per_tok * (m.hidden_size + 4 * width) + shared * 4 * width)
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

    Compared with Korthikanti's 34·sbh: no dropout (modern LLMs train without it: the paper's
    2·sbh of masks and its 3·as²b of attention-dropout buffers are gone), RMSNorm instead of
    LayerNorm, SwiGLU's 4·I values instead of GeLU's 2·4h, GQA's smaller K and V.

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
    if m.attention_kind == "MLA":
        raise VramlabError(
            f"activations of MLA attention ({m.name}) are not modelled; valid attention kinds: MHA, GQA, MQA",
            field="model",
        )
    if m.num_q_heads % t:
        raise VramlabError(
            f"tensor_parallel must divide num_attention_heads ({m.num_q_heads}), got {t}", field="tensor_parallel"
        )
    ba = _float_dtype("dtype", dtype).bytes_per_value
    L, h, d, V = m.num_layers, m.hidden_size, m.head_dim, m.vocab_size
    a = Fraction(m.num_q_heads, t)
    a_kv = Fraction(-(-m.num_kv_heads // t))
    rep = Fraction(t if sequence_parallel else 1)  # divisor of replicated (non-TP) terms
    tok = s * b

    def norm(width: Fraction | int, rows: Fraction | int) -> Fraction:
        if kernels == "eager":
            return (_FP32 + ba) * width + _FP32 * rows
        return ba * width + _FP32 * rows

    per_layer: dict[str, Fraction] = {
        "norms": _norms_per_layer(m) * norm(h, 1) / rep,
        "linear_inputs": 2 * ba * h / rep,
        "qk_norms": (norm(a * d, a) + norm(a_kv * d, a_kv)) if _qk_norm(m) else Fraction(0),
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
    layer_total = sum(per_layer.values())
    out: dict[str, int] = {}
    if recompute == "full":
        out["layer_inputs"] = _ceil(L * tok * ba * h / rep)
        out["recompute_working"] = _ceil(tok * layer_total)
    else:
        for k, v in per_layer.items():
            out[k] = _ceil(L * tok * v)
    out["head"] = _ceil(tok * (norm(h, 1) / rep + ba * h / rep + _FP32 * Fraction(V, t)))
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


# ---------------------------------------------------------------------------
# LoRA / QLoRA
# ---------------------------------------------------------------------------
def lora_shapes(model: Any) -> dict[str, tuple[int, int]]:
    """(in_features, out_features) of each linear layer LoRA can adapt, from the config.

    GQA's K and V project to a_kv·d, and an explicit ``head_dim`` (Qwen3: a·d ≠ h) is used.

    >>> import vramlab as vl
    >>> lora_shapes(vl.load_model("Qwen/Qwen3-8B"))["k_proj"]
    (4096, 1024)
    >>> lora_shapes("Qwen/Qwen3-0.6B")["o_proj"]       # 16 heads x 128 = 2048 -> hidden 1024
    (2048, 1024)
    """
    m = load_model(model)
    if m.attention_kind == "MLA" or m.model_type == "falcon":
        raise VramlabError(
            f"LoRA shapes of {m.name} ({m.model_type}, {m.attention_kind}) are not modelled; valid: "
            "models with separate q/k/v/o projections (Llama, Qwen, Mistral, Gemma, Phi-3 ...)",
            field="model",
        )
    h, d = m.hidden_size, m.head_dim
    out = {
        "q_proj": (h, m.num_q_heads * d),
        "k_proj": (h, m.num_kv_heads * d),
        "v_proj": (h, m.num_kv_heads * d),
        "o_proj": (m.num_q_heads * d, h),
    }
    if not m.is_moe:
        i = m.intermediate_size
        out.update({"gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)})
    return out


def _targets(m: ModelSpec, targets: Any) -> tuple[str, ...]:
    if isinstance(targets, str):
        if targets in _TARGET_SETS:
            targets = _TARGET_SETS[targets]
        else:
            targets = (targets,)
    targets = tuple(targets)
    shapes = lora_shapes(m)
    if m.is_moe and targets == LORA_TARGETS:  # "all-linear" on an MoE model: the attention
        targets = LORA_TARGETS[:4]
    valid = ", ".join(list(_TARGET_SETS) + list(shapes))
    if not targets:
        raise VramlabError(f"lora_targets must name at least one module; valid: {valid}", field="lora_targets")
    for name in targets:
        if name not in shapes:
            if m.is_moe and name in LORA_TARGETS:
                raise VramlabError(f"lora_targets {name!r}: MoE expert projections are not modelled; valid: "
                                   f"q_proj, k_proj, v_proj, o_proj", field="lora_targets")
            raise VramlabError(f"lora_targets must be among {valid}, got {name!r}", field="lora_targets")
    return targets


def lora_params(model: Any, rank: int = 16, targets: Any = "all-linear") -> int:
    """Trainable LoRA parameters: r·(in + out) per adapted linear layer, in every layer.

    Each adapted W (out × in) gets A (r × in) and B (out × r), no bias (PEFT's default).

    Parameters
    ----------
    model : ModelSpec or preset id
    rank : int
        LoRA rank r.
    targets : str or iterable of str
        ``"all-linear"`` (q, k, v, o, gate, up, down; attention only for MoE models),
        ``"attention"``, ``"mlp"`` or module names from :data:`LORA_TARGETS`.

    Examples
    --------
    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> lora_params(m, 16, ["q_proj", "v_proj"]) == 36 * 16 * ((4096 + 4096) + (4096 + 1024))
    True
    >>> f"{lora_params(m, 16):,}"
    '43,646,976'
    """
    m = load_model(model)
    rank = check_int("rank", rank, minimum=1, maximum=10**6)
    shapes = lora_shapes(m)
    return m.num_layers * rank * sum(sum(shapes[t]) for t in _targets(m, targets))


# ---------------------------------------------------------------------------
# Estimate
# ---------------------------------------------------------------------------
_METHODS = ("full", "lora", "qlora")


@dataclass(frozen=True)
class TrainingEstimate:
    """Per-GPU memory of a training step, in integer bytes.

    ``margin`` is ``margin_fraction`` of the other parts; ``total`` sums all parts.

    >>> e = estimate("Qwen/Qwen3-8B", method="lora", seq_len=2048)
    >>> e.total == sum(e.parts().values())
    True
    """

    model: str
    method: str
    seq_len: int
    micro_batch: int
    optimizer: str
    zero_stage: int
    num_gpus: int
    recompute: str
    weight_dtype: str
    trainable_params: int
    frozen_params: int
    margin_fraction: float
    weights: int
    gradients: int
    master_weights: int
    optimizer_states: int
    activations: int
    framework: int
    margin: int

    @property
    def model_states(self) -> int:
        """Weights + gradients + master weights + optimizer states."""
        return self.weights + self.gradients + self.master_weights + self.optimizer_states

    @property
    def total(self) -> int:
        """Everything, margin included."""
        return self.model_states + self.activations + self.framework + self.margin

    def parts(self) -> dict[str, int]:
        """The parts that sum to ``total``, by name."""
        return {"weights": self.weights, "gradients": self.gradients, "master_weights": self.master_weights,
                "optimizer_states": self.optimizer_states, "activations": self.activations,
                "framework": self.framework, "margin": self.margin}

    def to_dict(self) -> dict[str, Any]:
        """Inputs, parts and total as plain JSON-ready values (bytes)."""
        d = asdict(self)
        d["model_states"] = self.model_states
        d["total"] = self.total
        return d

    def table(self):
        """A pandas DataFrame: one row per part and the total, in bytes, GB and GiB.

        >>> estimate("Qwen/Qwen3-8B", method="qlora").table().columns.tolist()
        ['part', 'bytes', 'GB', 'GiB']
        """
        import pandas as pd

        rows = list(self.parts().items()) + [("total", self.total)]
        return pd.DataFrame(
            [{"part": k, "bytes": v, "GB": round(to_unit(v, "GB"), 3), "GiB": round(to_unit(v, "GiB"), 3)}
             for k, v in rows]
        )

    def __str__(self) -> str:
        zero = f"ZeRO-{self.zero_stage} over {self.num_gpus} GPUs" if self.zero_stage else "no ZeRO"
        lines = [f"{self.model}: {self.method} ({self.trainable_params:,} trainable), {self.optimizer}, {zero}, "
                 f"{self.micro_batch} x {self.seq_len:,} tokens, recompute {self.recompute}, "
                 f"margin {self.margin_fraction:.0%} (per GPU)"]
        for k, v in list(self.parts().items()) + [("total", self.total)]:
            lines.append(f"  {k:<17}{format_bytes(v, 'GB'):>14}{format_bytes(v, 'GiB'):>15}")
        return "\n".join(lines)


def estimate(
    model: Any,
    method: str = "full",
    seq_len: int = 4096,
    micro_batch: int = 1,
    *,
    optimizer: str = "adamw",
    weight_dtype: str = "bf16",
    master_weights: bool = True,
    zero_stage: int = 0,
    num_gpus: int = 1,
    recompute: str = "none",
    flash_attention: bool = True,
    kernels: str = "fused",
    lora_rank: int = 16,
    lora_targets: Any = "all-linear",
    adapter_dtype: str = "fp32",
    base_dtype: str | None = None,
    framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
    margin: float = 0.0,
) -> TrainingEstimate:
    """Per-GPU memory of one training step: full fine-tuning, LoRA or QLoRA.

    * ``"full"``: every parameter trains (:func:`model_states_bytes`).
    * ``"lora"``: the base stays frozen in ``base_dtype`` (default bf16, no gradients, no
      optimizer states); the adapters (:func:`lora_params`) train in ``adapter_dtype``
      (PEFT keeps them in fp32) with their gradients and optimizer states.
    * ``"qlora"``: as LoRA with the base in NF4 (:func:`vramlab.weights_bytes` with
      ``"nf4"``: linear layers 4-bit, embeddings/lm_head/norms bf16).

    ZeRO shards the trained states as in :func:`model_states_bytes`; stage 3 also shards the
    frozen base (ceil(bytes / num_gpus)). Activations: :func:`activation_bytes`
    (activations of the frozen base are kept too: the gradient flows through it to the
    adapters). ``framework_bytes`` is the CUDA context and workspaces (1 GiB by default, as
    for inference); ``margin`` a fraction of the sum for fragmentation.

    Examples
    --------
    >>> import vramlab as vl
    >>> e = estimate("Qwen/Qwen3-8B", "full", 4096, framework_bytes=0)
    >>> e.model_states == 16 * 8_190_735_360          # 16 bytes per parameter
    True
    >>> print(estimate("Qwen/Qwen3-8B", "qlora", 2048, recompute="full"))   # doctest: +NORMALIZE_WHITESPACE
    Qwen/Qwen3-8B: qlora (43,646,976 trainable), adamw, no ZeRO, 1 x 2,048 tokens, recompute full, margin 0% (per GPU)
      weights                 6.25 GB       5.82 GiB
      gradients               0.17 GB       0.16 GiB
      master_weights          0.00 GB       0.00 GiB
      optimizer_states        0.35 GB       0.33 GiB
      activations             2.22 GB       2.06 GiB
      framework               1.07 GB       1.00 GiB
      margin                  0.00 GB       0.00 GiB
      total                  10.06 GB       9.37 GiB
    """
    m = load_model(model)
    method = _choice("method", method, _METHODS)
    margin = check_number("margin", margin, minimum=0.0, maximum=10.0)
    framework_bytes = check_int("framework_bytes", framework_bytes, minimum=0, maximum=10**15)
    zero_stage = check_int("zero_stage", zero_stage, minimum=0, maximum=3)
    num_gpus = check_int("num_gpus", num_gpus, minimum=1, maximum=10**6)
    total_params = m.param_count()
    if method == "full":
        st = model_states_bytes(total_params, zero_stage, num_gpus, weight_dtype, optimizer, master_weights)
        trainable, frozen = total_params, 0
        weights = st.weights
        wname = st.weight_dtype
    else:
        trainable = lora_params(m, lora_rank, lora_targets)
        frozen = total_params
        st = model_states_bytes(trainable, zero_stage, num_gpus, adapter_dtype, optimizer, master_weights)
        bd = base_dtype or ("bf16" if method == "lora" else "nf4")
        base = weights_bytes(m, bd)
        if zero_stage == 3:
            base = -(-base // num_gpus)
        weights = base + st.weights
        wname = get_dtype(bd).name
    act = activation_bytes(m, seq_len, micro_batch, recompute, flash_attention, kernels=kernels,
                           dtype="fp32" if weight_dtype == "fp32" and method == "full" else "bf16")
    sub = weights + st.gradients + st.master_weights + st.optimizer_states + act + framework_bytes
    return TrainingEstimate(
        model=m.name, method=method, seq_len=seq_len, micro_batch=micro_batch, optimizer=st.optimizer,
        zero_stage=zero_stage, num_gpus=num_gpus, recompute=recompute, weight_dtype=wname,
        trainable_params=trainable, frozen_params=frozen, margin_fraction=margin,
        weights=weights, gradients=st.gradients, master_weights=st.master_weights,
        optimizer_states=st.optimizer_states, activations=act, framework=framework_bytes,
        margin=round(sub * Fraction(margin)),
    )


def show_estimate(model: Any, method: str = "full", seq_len: int = 4096, micro_batch: int = 1,
                  zero_stage: int = 0, num_gpus: int = 1, recompute: str = "full") -> None:
    """Print :func:`estimate` (or the input error): the callback of the notebook's calculator widget.

    >>> show_estimate("Qwen/Qwen3-8B", "lora", 1024, zero_stage=5)
    zero_stage must be an integer between 0 and 3, got 5
    """
    try:
        print(estimate(model, method, seq_len, micro_batch, zero_stage=zero_stage, num_gpus=num_gpus,
                       recompute=recompute))
    except VramlabError as exc:
        print(exc)


# ---------------------------------------------------------------------------
# Symbolic forms (sympy, imported lazily)
# ---------------------------------------------------------------------------
def formulas() -> dict[str, Any]:
    """The training formulas as sympy equations, for the notebooks.

    Symbols follow :mod:`vramlab.formulas` where they exist (P, h, L, H_q, H_kv, d_head, d_ff, V,
    nu_qk) plus K (optimizer bytes per parameter), N_d (data-parallel GPUs), s (tokens per
    sequence), b (sequences per micro-batch), b_a (bytes per activation value) and r (LoRA rank).
    Values for a model: :func:`formula_values`; exact evaluation:
    :func:`vramlab.formulas.evaluate_named` (via :func:`vramlab.overheads.evaluate_formula`).

    Keys
    ----
    ``model_states``: {stage: Eq} per-GPU bytes with 16-bit weights and gradients (ZeRO paper);
    ``korthikanti``: one GPT layer's activations; ``layer``: one layer of
    :func:`activation_breakdown` (fused kernels, FlashAttention, no recomputation);
    ``layer_full``: one layer under full recomputation; ``head``: output layer and loss;
    ``lora``: all-linear LoRA parameters of a dense model.

    >>> f = formulas()
    >>> f["model_states"][0].rhs
    P*(K + 4)
    """
    import sympy as sp

    P, K, Nd = sp.symbols("P K N_d", positive=True)
    s, b, h, L, Hq, Hkv, d, dff, V, ba, r = sp.symbols("s b h L H_q H_kv d_head d_ff V b_a r", positive=True)
    nu = sp.Symbol("nu_qk", nonnegative=True)
    M = sp.Symbol("M_states")
    A = sp.Symbol("A_layer")
    norm = ba * h + 4
    layer = s * b * (2 * norm + 2 * ba * h
                     + nu * ((ba * Hq * d + 4 * Hq) + (ba * Hkv * d + 4 * Hkv))
                     + ba * d * (Hq + 2 * Hkv) + 4 * Hq + ba * Hq * d + 4 * ba * dff)
    return {
        "model_states": {
            0: sp.Eq(M, (2 + 2 + K) * P),
            1: sp.Eq(M, 2 * P + 2 * P + K * P / Nd),
            2: sp.Eq(M, 2 * P + (2 + K) * P / Nd),
            3: sp.Eq(M, (2 + 2 + K) * P / Nd),
        },
        "korthikanti": sp.Eq(A, s * b * h * (34 + 5 * Hq * s / h)),
        "layer": sp.Eq(A, layer),
        "layer_full": sp.Eq(A, s * b * ba * h),
        "head": sp.Eq(sp.Symbol("A_head"), s * b * (norm + ba * h + 4 * V)),
        "lora": sp.Eq(sp.Symbol("P_LoRA"), L * r * ((h + Hq * d) + 2 * (h + Hkv * d) + (Hq * d + h) + 3 * (h + dff))),
    }


def formula_values(model: Any, seq_len: int = 4096, micro_batch: int = 1, *, dtype: str = "bf16",
                   rank: int = 16) -> dict[str, int]:
    """Values of the symbols of :func:`formulas` for a model, by symbol name.

    >>> v = formula_values("Qwen/Qwen3-8B", 4096)
    >>> v["h"], v["H_kv"], v["d_head"], v["nu_qk"], v["b_a"]
    (4096, 8, 128, 1, 2)
    """
    m = load_model(model)
    return {
        "P": m.param_count(), "K": 12, "h": m.hidden_size, "L": m.num_layers, "H_q": m.num_q_heads,
        "H_kv": m.num_kv_heads, "d_head": m.head_dim, "d_ff": m.intermediate_size, "V": m.vocab_size,
        "nu_qk": int(_qk_norm(m)), "s": check_int("seq_len", seq_len, minimum=1, maximum=10**8),
        "b": check_int("micro_batch", micro_batch, minimum=1, maximum=10**6),
        "b_a": int(_float_dtype("dtype", dtype).bytes_per_value), "r": check_int("rank", rank, minimum=1),
    }
