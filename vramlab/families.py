"""Every rule that depends on a config's ``model_type``, as data: one table of families.

A :class:`Family` says how transformers builds one ``model_type``: norms per layer, q/k
norms, which biases exist, the width of one expert and of the shared experts, which layers
are MoE, how layers alternate between full and sliding-window attention, which components a
weight-only format quantizes, and the defaults of its transformers config class. Nothing
else in vramlab looks at ``model_type``: the parameter counts (:mod:`vramlab.params`), the
memory formulas, training and serving ask this module through the trait functions below.

Beside the family table, :data:`FIELDS` lists every config field vramlab reads, with its
type, valid range and what a JSON ``null`` means (what transformers means by it).

The defaults were read from the config classes of transformers 5.24 (``LlamaConfig``,
``MistralConfig``, ... ``GptOssConfig``); vramlab does not import transformers at run time.
Sizes that differ between members of one family (hidden size, layers, heads, vocabulary,
MLP width) are not defaulted: transformers' values describe one arbitrary member
(``LlamaConfig()`` is Llama-7B), so a config without them is refused. Family constants
that real configs omit (Gemma-3's 262,208-token vocabulary, gpt-oss's 2,880-wide experts,
Falcon-7B's original field set) are defaulted.

>>> from vramlab.families import get_family
>>> f = get_family("gemma2")
>>> f.norms_per_layer, f.qk_norm, f.layer_pattern
(4, False, 'alternate')
>>> get_family("qwen2_moe").shared_expert
'gated'
>>> get_family("my_new_decoder").exact
False
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import VramlabError, show

__all__ = [
    "Family", "FAMILIES", "GENERIC", "FieldRule", "FIELDS", "QUANTIZED_COMPONENTS", "get_family", "family_of",
    "norms_per_layer", "has_qk_norm", "has_qkv_bias", "expert_width", "shared_expert_width",
    "quantized_components", "llama_like_family", "NOT_DECODERS", "UNMODELLED", "refusal",
]

#: Components a weight-only format quantizes by default: the linear layers of the blocks.
#: Embeddings, lm_head, norms, biases and routers stay 16-bit (GPTQ, AWQ, bitsandbytes,
#: fp8 and compressed-tensors checkpoints keep them so by default).
QUANTIZED_COMPONENTS = ("attention", "mlp", "experts", "shared_experts")

#: MoE checkpoints in MXFP4 quantize only the routed experts (the gpt-oss checkpoints:
#: ``quantization_config.modules_to_not_convert`` lists attention, router, embeddings, lm_head).
_MOE_QUANTIZES = {"mxfp4": ("experts",)}


@dataclass(frozen=True)
class Family:
    """How transformers builds one ``model_type``.

    Attributes
    ----------
    model_type : str
    exact : bool
        False for the generic Llama-like path (parameter count approximate).
    layout : str
        ``"llama"`` (separate q/k/v/o, gated MLP), ``"falcon"`` (fused QKV, h->4h->h MLP,
        LayerNorm with bias) or ``"mla"`` (DeepSeek multi-head latent attention).
    norms_per_layer : int
        RMSNorm weights of hidden size per layer (Gemma-2/3: 4; Falcon: see :func:`norms_per_layer`).
    qk_norm : bool
        Per-head RMSNorm on queries and keys (Qwen3, Gemma-3).
    qkv_bias : str
        ``"always"`` (Qwen2: q/k/v bias built in), ``"qkv_bias"`` (Qwen2-MoE: q/k/v bias
        when the ``qkv_bias`` field is true), ``"attention_bias"`` (q/k/v/o bias when
        ``attention_bias`` is true).
    attention_sinks : bool
        One learned logit per head and layer (gpt-oss).
    moe : bool
        A mixture-of-experts family.
    experts_keys : tuple of str
        Config keys holding the number of routed experts (transformers' attribute_map aliases).
    expert_width_key : str
        Config key of one routed expert's width.
    expert_biases : bool
        Expert and router biases (gpt-oss).
    shared_expert : str
        ``"none"``, ``"deepseek"`` (``n_shared_experts`` experts of the routed width) or
        ``"gated"`` (Qwen2-MoE: one ``shared_expert_intermediate_size`` MLP and an h->1 gate).
    moe_layers : str
        ``"all"``, ``"sparse_step"`` (``decoder_sparse_step``, ``mlp_only_layers``) or
        ``"first_k_dense"`` (``first_k_dense_replace``, ``moe_layer_freq``).
    layer_pattern : str
        Layers without ``layer_types``: ``"full"``, ``"all_sliding"`` (every layer when a
        window is set), ``"alternate"`` (sliding, full, ...), ``"every_nth_full"``
        (``sliding_window_pattern``), ``"max_window_layers"`` (Qwen2/3: sliding from layer
        ``max_window_layers`` on) or ``"qwen2_moe"`` (odd layers below ``max_window_layers``).
    symbolic : bool
        :func:`vramlab.formulas.layer_params` describes it (Llama-like blocks).
    defaults : mapping
        Values of transformers' config class for fields a config may omit.
    """

    model_type: str
    exact: bool = True
    layout: str = "llama"
    norms_per_layer: int = 2
    qk_norm: bool = False
    qkv_bias: str = "attention_bias"
    attention_sinks: bool = False
    moe: bool = False
    experts_keys: tuple[str, ...] = ()
    expert_width_key: str = "moe_intermediate_size"
    expert_biases: bool = False
    shared_expert: str = "none"
    moe_layers: str = "all"
    layer_pattern: str = "full"
    symbolic: bool = False
    defaults: Mapping[str, Any] = field(default_factory=dict)


def _fam(model_type: str, **kw: Any) -> Family:
    return Family(model_type, **kw)


# Defaults: transformers 5.24 configuration_<family>.py signatures (see the module docstring).
_QWEN = {"tie_word_embeddings": False, "use_sliding_window": False, "max_window_layers": 28}
FAMILIES: dict[str, Family] = {f.model_type: f for f in [
    _fam("llama", symbolic=True, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
        "max_position_embeddings": 2048, "torch_dtype": "float32"}),
    _fam("mistral", layer_pattern="all_sliding", symbolic=True, defaults={
        "tie_word_embeddings": False, "max_position_embeddings": 131072, "sliding_window": 4096}),
    _fam("mixtral", moe=True, experts_keys=("num_local_experts", "num_experts"), expert_width_key="intermediate_size",
         layer_pattern="all_sliding", symbolic=True, defaults={
             "tie_word_embeddings": False, "max_position_embeddings": 131072, "num_local_experts": 8,
             "num_experts_per_tok": 2}),
    _fam("qwen2", qkv_bias="always", layer_pattern="max_window_layers", symbolic=True, defaults={
        **_QWEN, "max_position_embeddings": 32768}),
    _fam("qwen2_moe", qkv_bias="qkv_bias", moe=True, experts_keys=("num_experts",), shared_expert="gated",
         moe_layers="sparse_step", layer_pattern="qwen2_moe", defaults={
             **_QWEN, "max_position_embeddings": 32768, "qkv_bias": True, "num_experts": 60,
             "num_experts_per_tok": 4, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
             "decoder_sparse_step": 1, "mlp_only_layers": []}),
    _fam("qwen3", qk_norm=True, layer_pattern="max_window_layers", symbolic=True, defaults={
        **_QWEN, "attention_bias": False, "max_position_embeddings": 32768, "head_dim": 128}),
    _fam("qwen3_moe", qk_norm=True, moe=True, experts_keys=("num_experts", "num_local_experts"),
         moe_layers="sparse_step", layer_pattern="max_window_layers", symbolic=True, defaults={
             **_QWEN, "attention_bias": False, "max_position_embeddings": 32768, "decoder_sparse_step": 1,
             "mlp_only_layers": [], "num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768}),
    _fam("gemma2", norms_per_layer=4, layer_pattern="alternate", symbolic=True, defaults={
        "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096, "head_dim": 256,
        "max_position_embeddings": 8192}),
    _fam("gemma3_text", norms_per_layer=4, qk_norm=True, layer_pattern="every_nth_full", symbolic=True, defaults={
        "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096, "vocab_size": 262208,
        "max_position_embeddings": 131072, "sliding_window_pattern": 6, "head_dim": 256, "hidden_size": 2304,
        "intermediate_size": 9216, "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4}),
    _fam("phi3", layer_pattern="all_sliding", symbolic=True, defaults={
        "tie_word_embeddings": False, "max_position_embeddings": 4096}),
    _fam("falcon", layout="falcon", defaults={
        "tie_word_embeddings": True, "vocab_size": 65024, "hidden_size": 4544, "num_hidden_layers": 32,
        "num_attention_heads": 71, "multi_query": True, "new_decoder_architecture": False, "parallel_attn": True,
        "bias": False, "alibi": False, "max_position_embeddings": 2048}),
    _fam("deepseek_v2", layout="mla", moe=True, experts_keys=("n_routed_experts",), moe_layers="first_k_dense",
         shared_expert="deepseek", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "moe_layer_freq": 1,
             "first_k_dense_replace": 0, "n_shared_experts": 2, "n_routed_experts": 64,
             "moe_intermediate_size": 1407, "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64,
             "qk_nope_head_dim": 128, "v_head_dim": 128, "max_position_embeddings": 2048}),
    _fam("deepseek_v3", layout="mla", moe=True, experts_keys=("n_routed_experts",), moe_layers="first_k_dense",
         shared_expert="deepseek", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "moe_layer_freq": 1, "first_k_dense_replace": 3,
             "n_shared_experts": 1, "n_routed_experts": 256, "num_experts_per_tok": 8,
             "moe_intermediate_size": 2048, "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64,
             "qk_nope_head_dim": 128, "v_head_dim": 128, "max_position_embeddings": 4096}),
    _fam("gpt_oss", attention_sinks=True, moe=True, experts_keys=("num_local_experts", "num_experts"),
         expert_width_key="intermediate_size", expert_biases=True, layer_pattern="alternate", defaults={
             "tie_word_embeddings": False, "attention_bias": True, "sliding_window": 128, "head_dim": 64,
             "num_local_experts": 128, "num_experts_per_tok": 4, "intermediate_size": 2880,
             "max_position_embeddings": 131072}),
]}

#: The generic path: any other decoder with the standard fields, counted with the Llama layout.
GENERIC = Family("generic", exact=False, experts_keys=("num_local_experts", "num_experts", "n_routed_experts"),
                 layer_pattern="all_sliding")

#: model_type spellings that name a family of the table.
ALIASES = {"gemma3": "gemma3_text"}

#: Encoder-only and encoder-decoder model_types of transformers 5.24 (masked LMs, seq2seq
#: models and their decoders): vramlab sizes decoder-only LLMs and refuses them.
NOT_DECODERS = frozenset(
    "bart bert bert-generation big_bird bigbird_pegasus blenderbot blenderbot-small camembert data2vec-text "
    "electra ernie marian mbart megatron-bert mvp pegasus plbart prophetnet rembert roberta "
    "roberta-prelayernorm roc_bert roformer trocr whisper xlm xlm-roberta xlm-roberta-xl xlnet xmod".split())

#: Decoder model_types of transformers 5.24 whose blocks the family table does not describe,
#: with what is unknown to vramlab. The generic Llama-like path would miscount them (by more
#: than 2 % on transformers' default configs), so they are refused rather than guessed.
UNMODELLED: dict[str, str] = {
    **dict.fromkeys(("bamba", "falcon_h1", "falcon_mamba", "granitemoehybrid", "jamba", "mamba", "mamba2",
                     "nemotron_h", "zamba", "zamba2"), "Mamba (state-space) layers"),
    **dict.fromkeys(("lfm2", "lfm2_moe", "lfm3"), "short-convolution layers"),
    **dict.fromkeys(("rwkv", "xlstm", "recurrent_gemma", "hrm_text"), "recurrent (non-attention) layers"),
    **dict.fromkeys(("gemma3n", "gemma3n_text", "gemma4", "gemma4_text", "gemma4_unified", "gemma4_unified_text",
                     "gemma4_unified_assistant", "gemma4_assistant"),
                    "per-layer input embeddings, shared KV layers and altered MLP widths"),
    **dict.fromkeys(("apertus", "apertus1p5_text"), "xIELU MLP blocks with learned activation parameters"),
    "arcee": "ReLU² MLP blocks without a gate", "aria_text": "grouped MoE experts with shared experts",
    "doge": "dynamic-mask attention and cross-domain mixture-of-experts blocks",
    "ernie4_5_moe": "MoE layer range (moe_layer_start_index, interval) and shared experts",
    "jetmoe": "mixture-of-attention-heads blocks", "biogpt": "learned positions, LayerNorm biases and plain MLPs",
    "gpt2": "GPT-2 blocks (fused c_attn, learned positions, LayerNorm biases)", "gpt-sw3": "GPT-2 blocks",
    "gpt_bigcode": "GPT-BigCode blocks (multi-query c_attn, learned positions)",
    "gpt_neo": "GPT-Neo blocks (learned positions, local attention layers)",
    "gpt_neox": "GPT-NeoX blocks (fused QKV, LayerNorm biases, plain MLP)", "gpt_neox_japanese": "GPT-NeoX-Japanese blocks",
    "gptj": "GPT-J blocks (plain MLP with biases, lm_head bias)", "codegen": "CodeGen blocks (fused QKV, plain MLP)",
    "opt": "OPT blocks (learned positions with offset, projections)", "bloom": "BLOOM blocks (ALiBi, LayerNorm biases)",
    "openai-gpt": "GPT-1 blocks (learned positions, plain MLP)", "ctrl": "CTRL blocks",
    "cpmant": "CPM-Ant blocks (segment embeddings, position bias)", "xglm": "XGLM blocks (sinusoidal positions)",
    "mpt": "MPT blocks (ALiBi, fused QKV)", "phi": "Phi blocks (plain MLP, biases, lm_head bias)",
    "persimmon": "Persimmon blocks (q/k LayerNorms, ReLU² MLP)", "fuyu": "a vision patch projection over Persimmon blocks",
    "starcoder2": "Starcoder2 blocks (plain MLP, LayerNorm biases)", "jais2": "Jais-2 blocks (plain MLP, LayerNorm biases)",
    "nanochat": "nanochat blocks (ReLU² MLP without a gate, unparametrised norms)",
    "git": "a vision encoder inside the causal LM", "phi4_multimodal": "vision and audio encoders inside the causal LM",
    "moshi": "audio depth-decoder blocks", "musicgen": "audio codebook decoders", "musicgen_melody": "audio codebook decoders",
    "blt": "byte-patch encoder and decoder", "reformer": "LSH and chunked attention layers",
    "kolibri1": "its block layout", "longcat_flash": "zero-computation experts and dual-attention blocks",
    "solar_open": "its MoE block layout", "beam": "its MoE block layout", "flint": "its block layout",
    "mimo_v2_flash": "hybrid sliding-window attention with different head widths per layer kind",
    "sarvam_mla": "its MLA and MoE block layout", "sarvam_moe": "its MoE block layout (shared experts, dense layers)",
}


def refusal(model_type: str) -> str | None:
    """Why vramlab refuses a ``model_type`` (None when it sizes it, exactly or approximately).

    >>> refusal("llama") is None
    True
    >>> refusal("bert")
    "model_type 'bert' is an encoder or encoder-decoder model; vramlab sizes decoder-only LLMs (llama, qwen3, gemma3, ...)"
    """
    if model_type in NOT_DECODERS:
        return (f"model_type {model_type!r} is an encoder or encoder-decoder model; vramlab sizes decoder-only "
                "LLMs (llama, qwen3, gemma3, ...)")
    if model_type in UNMODELLED and model_type not in FAMILIES:
        return (f"model_type {model_type!r} is not sized by vramlab: its family table does not describe "
                f"{UNMODELLED[model_type]} (README, 'Model coverage', lists the families sized)")
    return None


def get_family(model_type: str) -> Family:
    """The :class:`Family` of a ``model_type`` (:data:`GENERIC` when it is not in the table).

    >>> get_family("gemma3").model_type
    'gemma3_text'
    """
    return FAMILIES.get(ALIASES.get(model_type, model_type), GENERIC)


def family_of(m: Any) -> Family:
    """The family of a :class:`~vramlab.ModelSpec`."""
    return get_family(m.model_type)


# -- traits read by the formulas -----------------------------------------------------------
def _c(m: Any, key: str, default: Any = None) -> Any:
    v = m.config.get(key)
    return default if v is None else v


def norms_per_layer(m: Any) -> int:
    """Norm weight vectors of hidden size per layer (Falcon: LayerNorms, each weight + bias).

    >>> import vramlab as vl
    >>> norms_per_layer(vl.load_model("google/gemma-2-9b")), norms_per_layer(vl.load_model("tiiuae/falcon-7b"))
    (4, 1)
    """
    f = family_of(m)
    if f.layout == "falcon":
        if _c(m, "new_decoder_architecture", False):
            return int(_c(m, "num_ln_in_parallel_attn", 2))
        return 1 if _c(m, "parallel_attn", True) else 2
    return f.norms_per_layer


def has_qk_norm(m: Any) -> bool:
    """True when queries and keys are RMS-normed per head (Qwen3, Qwen3-MoE, Gemma-3)."""
    return family_of(m).qk_norm


def has_qkv_bias(m: Any) -> bool:
    """True when the q/k/v projections carry biases.

    >>> import vramlab as vl
    >>> has_qkv_bias(vl.load_model("Qwen/QwQ-32B")), has_qkv_bias(vl.load_model("Qwen/Qwen3-8B"))
    (True, False)
    """
    rule = family_of(m).qkv_bias
    if rule == "always":
        return True
    return bool(_c(m, rule, False))


def expert_width(m: Any) -> int:
    """Width of one routed expert's MLP (0 for a dense model).

    >>> import vramlab as vl
    >>> expert_width(vl.load_model("Qwen/Qwen3-30B-A3B")), expert_width(vl.load_model("openai/gpt-oss-20b"))
    (768, 2880)
    """
    if not m.is_moe:
        return 0
    return int(_c(m, family_of(m).expert_width_key, m.intermediate_size))


def shared_expert_width(m: Any) -> int:
    """Summed width of the always-on experts of one MoE layer (0 without shared experts).

    DeepSeek: ``n_shared_experts`` experts of the routed width; Qwen2-MoE: one MLP of
    ``shared_expert_intermediate_size``.

    >>> import vramlab as vl
    >>> shared_expert_width(vl.load_model("deepseek-ai/DeepSeek-V3"))
    2048
    """
    kind = family_of(m).shared_expert if m.is_moe else "none"
    if kind == "deepseek":
        return int(_c(m, "n_shared_experts", 0)) * expert_width(m)
    if kind == "gated":
        return int(_c(m, "shared_expert_intermediate_size", 0))
    return 0


def quantized_components(m: Any, dtype_name: str) -> tuple[str, ...]:
    """Components a weight-only format ``dtype_name`` stores quantized for this model.

    >>> import vramlab as vl
    >>> quantized_components(vl.load_model("openai/gpt-oss-20b"), "mxfp4")
    ('experts',)
    >>> quantized_components(vl.load_model("Qwen/Qwen3-8B"), "int4")
    ('attention', 'mlp', 'experts', 'shared_experts')
    """
    if m.is_moe and dtype_name in _MOE_QUANTIZES:
        return _MOE_QUANTIZES[dtype_name]
    return QUANTIZED_COMPONENTS


def llama_like_family(m: Any) -> bool:
    """True when the family's blocks are the Llama layout of :mod:`vramlab.formulas`."""
    return family_of(m).symbolic and m.exact


# -- the config fields vramlab reads ----------------------------------------------------------
@dataclass(frozen=True)
class FieldRule:
    """One config field: its JSON kind, valid range and what ``null`` means.

    ``kind`` is ``"int"``, ``"float"``, ``"bool"``, ``"str"``, ``"int_list"`` or
    ``"str_list"``. ``null`` is None when a JSON null counts as absent (the family default
    applies), else the meaning transformers gives it (the null is kept).
    """

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    null: str | None = None
    open_minimum: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""


_I = FieldRule
FIELDS: dict[str, FieldRule] = {
    # geometry (num_hidden_layers, hidden_size, num_attention_heads, vocab_size: required, 1..)
    "num_hidden_layers": _I("int", 1, 10_000), "hidden_size": _I("int", 1, 10**8),
    "num_attention_heads": _I("int", 1, 100_000), "vocab_size": _I("int", 1, 10**8),
    "intermediate_size": _I("int", 1, 10**8),
    "num_key_value_heads": _I("int", 1, 100_000, null="as many KV heads as query heads"),
    "num_kv_heads": _I("int", 1, 100_000, null="as many KV heads as query heads"),
    "head_dim": _I("int", 1, 100_000, null="hidden_size / num_attention_heads"),
    "max_position_embeddings": _I("int", 1, 10**9, null="no limit stated"),
    "ffn_hidden_size": _I("int", 1, 10**8, null="4 x hidden_size"),
    "partial_rotary_factor": _I("float", 0, 1, open_minimum=True),
    # sliding windows
    "sliding_window": _I("int", 1, 10**9, null="no sliding window"),
    "sliding_window_pattern": _I("int", 1, 10_000), "max_window_layers": _I("int", 0, 10_000),
    # the kinds a family knows are checked in spec, naming the model_type
    "layer_types": _I("str_list", hint=" (layer kinds such as full_attention, sliding_attention)"),
    # MoE
    "moe_intermediate_size": _I("int", 1, 10**8), "shared_expert_intermediate_size": _I("int", 0, 10**8),
    "num_local_experts": _I("int", 0, 100_000), "num_experts": _I("int", 0, 100_000),
    "n_routed_experts": _I("int", 0, 100_000), "num_experts_per_tok": _I("int", 0, 100_000),
    "experts_per_token": _I("int", 0, 100_000), "n_shared_experts": _I("int", 0, 100_000, null="no shared experts"),
    "decoder_sparse_step": _I("int", 1, 10_000), "first_k_dense_replace": _I("int", 0, 10_000),
    "moe_layer_freq": _I("int", 1, 10_000), "mlp_only_layers": _I("int_list", 0, 10_000, null="no dense-only layers"),
    # MLA
    "q_lora_rank": _I("int", 1, 10**8, null="queries are not compressed (full h x H_q x d projection)"),
    "kv_lora_rank": _I("int", 1, 10**8), "qk_nope_head_dim": _I("int", 1, 100_000),
    "qk_rope_head_dim": _I("int", 1, 100_000), "v_head_dim": _I("int", 1, 100_000),
    "num_ln_in_parallel_attn": _I("int", 1, 2, null="2 LayerNorms (new decoder architecture)"),
    # switches (JSON true/false)
    **{k: _I("bool") for k in ("tie_word_embeddings", "attention_bias", "mlp_bias", "bias", "multi_query",
                               "new_decoder_architecture", "parallel_attn", "use_sliding_window", "alibi",
                               "qkv_bias")},
    # names
    "model_type": _I("str"), "torch_dtype": _I("str"), "dtype": _I("str"), "architectures": _I("str_list"),
}


def _range_text(r: FieldRule) -> str:
    lo = "" if r.minimum is None else (f"> {r.minimum:g}" if r.open_minimum else f">= {r.minimum:g}")
    hi = "" if r.maximum is None else f"<= {r.maximum:,}"
    return " and ".join(p for p in (lo, hi) if p)


def check_field(key: str, value: Any) -> Any:
    """Validate one config value against :data:`FIELDS` and return it normalised.

    Integers written as ``4096.0`` become ``4096``; booleans must be JSON true/false.

    >>> check_field("hidden_size", 4096.0)
    4096
    >>> check_field("partial_rotary_factor", 0)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config field 'partial_rotary_factor' must be a number > 0 and <= 1, got 0
    """
    r = FIELDS[key]
    if r.kind == "int":
        return _as_int(key, value, int(r.minimum), int(r.maximum))
    if r.kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok and r.minimum is not None:
            ok = value > r.minimum if r.open_minimum else value >= r.minimum
        if ok and r.maximum is not None:
            ok = value <= r.maximum
        if not ok:
            raise VramlabError(f"config field {key!r} must be a number {_range_text(r)}, got {show(value)}", field=key)
        return value
    if r.kind == "bool":
        if not isinstance(value, bool):
            raise VramlabError(f"config field {key!r} must be true or false, got {show(value)}", field=key)
        return value
    if r.kind == "str":
        if not isinstance(value, str):
            raise VramlabError(f"config field {key!r} must be a string, got {show(value)}", field=key)
        return value
    if r.kind == "str_list":
        among = f" among {', '.join(r.choices)}" if r.choices else ""
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, str) and (not r.choices or v in r.choices) for v in value):
            raise VramlabError(f"config field {key!r} must be a list of strings{among}{r.hint}, got {show(value)}",
                               field=key)
        return list(value)
    if not isinstance(value, (list, tuple)):
        raise VramlabError(f"config field {key!r} must be a list, got {show(value)}", field=key)
    return [_as_int(key, v, int(r.minimum), int(r.maximum)) for v in value]


def _as_int(key: str, v: Any, minimum: int, maximum: int) -> int:
    ok = isinstance(v, int) and not isinstance(v, bool)
    if not ok and isinstance(v, float) and math.isfinite(v) and v.is_integer():
        v, ok = int(v), True
    if not ok or not (minimum <= v <= maximum):
        raise VramlabError(
            f"config field {key!r} must be an integer between {minimum} and {maximum:,}, got {show(v)}", field=key)
    return v


def merge_defaults(family: Family, text: Mapping[str, Any]) -> dict[str, Any]:
    """The effective config: the family's transformers defaults, then the file's fields.

    A JSON null counts as absent unless :data:`FIELDS` gives it a meaning (``"sliding_window":
    null`` is no window, ``"head_dim": null`` is hidden/heads, ``"q_lora_rank": null`` is no
    query compression); then the null is kept and overrides the default.

    >>> merge_defaults(get_family("mistral"), {"sliding_window": None})["sliding_window"] is None
    True
    >>> merge_defaults(get_family("llama"), {"tie_word_embeddings": None})["tie_word_embeddings"]
    False
    """
    cfg = dict(family.defaults)
    for k, v in text.items():
        if v is None and k in cfg and (k not in FIELDS or FIELDS[k].null is None):
            continue
        cfg[k] = v
    return cfg


def validate_fields(cfg: dict[str, Any]) -> None:
    """Check (and normalise in place) every field of :data:`FIELDS` present and not null."""
    for key in FIELDS:
        if cfg.get(key) is not None:
            cfg[key] = check_field(key, cfg[key])


# -- quantization_config: the checkpoint's weight format ---------------------------------------
#: quant_method values read, with the vramlab format each one gives.
QUANT_METHODS = ("fp8", "mxfp4", "gptq", "awq", "bitsandbytes", "compressed-tensors")
_GROUPS = (32, 64, 128)


def _q_refuse(what: str, value: Any, valid: str) -> VramlabError:
    return VramlabError(f"config field 'quantization_config' {what} must be {valid}, got {show(value)}",
                        field="quantization_config")


def _group_format(bits: Any, group: Any, what: str) -> str:
    if isinstance(bits, bool) or bits not in (4, 8):
        raise _q_refuse(f"{what} bits", bits, "4 or 8")
    if isinstance(group, bool) or group not in _GROUPS:
        raise _q_refuse(f"{what} group_size", group, "32, 64 or 128 (per-channel -1 is not modelled)")
    return "int4" if (bits, group) == (4, 128) else f"int{bits}-g{group}"


def _bitsandbytes(q: Mapping[str, Any]) -> str | None:
    for key in ("load_in_4bit", "load_in_8bit", "bnb_4bit_use_double_quant"):
        if key in q and not isinstance(q[key], bool):
            raise _q_refuse(repr(key), q[key], "true or false")
    if q.get("load_in_4bit") and q.get("load_in_8bit"):
        raise _q_refuse("'load_in_4bit' and 'load_in_8bit'", True, "not both true")
    if q.get("load_in_4bit"):
        kind = q.get("bnb_4bit_quant_type", "nf4")
        if kind not in ("nf4", "fp4"):
            raise _q_refuse("'bnb_4bit_quant_type'", kind, "'nf4' or 'fp4'")
        # fp4 and nf4 share the storage: 4-bit codes, one absmax per block of 64
        return "nf4-nodq" if q.get("bnb_4bit_use_double_quant") is False else "nf4"
    return "int8" if q.get("load_in_8bit") else None


def _compressed_tensors(q: Mapping[str, Any]) -> str:
    groups = q.get("config_groups")
    if not isinstance(groups, Mapping) or not groups:
        raise _q_refuse("'config_groups'", groups, "a JSON object of quantization groups")
    formats = set()
    for name, g in groups.items():
        w = g.get("weights") if isinstance(g, Mapping) else None
        if not isinstance(w, Mapping):
            raise _q_refuse(f"config_groups[{name!r}]['weights']", w, "a JSON object with num_bits and type")
        bits, kind, group = w.get("num_bits"), w.get("type", "int"), w.get("group_size")
        if kind == "float" and bits == 8 and not isinstance(bits, bool):
            formats.add("fp8")
        elif kind == "int" and bits == 8 and group is None and not isinstance(bits, bool):
            formats.add("int8")
        elif kind == "int" and w.get("symmetric", True) is True and bits == 4 and group in _GROUPS:
            formats.add(f"int4-sym-g{group}")  # one scale per group, no zero point
        elif kind == "int" and w.get("symmetric", True) is False:
            formats.add(_group_format(bits, group, f"config_groups[{name!r}] weights"))
        elif kind == "int":
            raise _q_refuse(f"config_groups[{name!r}] weights", {"num_bits": bits, "group_size": group},
                            "4-bit with group_size 32, 64 or 128 when symmetric")
        else:
            raise _q_refuse(f"config_groups[{name!r}] weights", {"num_bits": bits, "type": kind},
                            "8-bit float, 8-bit int or 4/8-bit int with a group size")
    if len(formats) > 1:
        raise _q_refuse("config_groups", sorted(formats), "one weight format for every group")
    return formats.pop()


def weight_format(q: Any) -> str | None:
    """The vramlab weight format a ``quantization_config`` names (None: not quantized).

    GPTQ/AWQ: ``bits`` 4 or 8 with ``group_size`` 32, 64 or 128 (fp16 scale and packed zero
    per group); bitsandbytes: ``load_in_4bit`` (nf4, fp4) or ``load_in_8bit``, real JSON
    booleans; fp8; mxfp4; compressed-tensors: the ``weights`` of its ``config_groups``.
    Anything else is refused by name.

    >>> weight_format({"quant_method": "gptq", "bits": 8, "group_size": 128})
    'int8-g128'
    >>> weight_format({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
    ...     "targets": ["Linear"], "weights": {"num_bits": 8, "type": "float", "strategy": "channel"}}}})
    'fp8'
    >>> weight_format({"quant_method": "bitsandbytes", "load_in_4bit": "false"})
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config field 'quantization_config' 'load_in_4bit' must be true or false, got 'false'
    """
    if q is None:
        return None
    if not isinstance(q, Mapping):
        raise VramlabError(
            f"config field 'quantization_config' must be a JSON object with 'quant_method', got {show(q)}",
            field="quantization_config")
    method = q.get("quant_method")
    method = method.lower() if isinstance(method, str) else method
    if method in ("fp8", "mxfp4"):
        return method
    if method in ("gptq", "awq"):
        bits = q.get("bits", q.get("w_bit", 4))
        group = q.get("group_size", q.get("q_group_size", 128))
        return _group_format(bits, group, method)
    if method == "bitsandbytes":
        return _bitsandbytes(q)
    if method == "compressed-tensors":
        return _compressed_tensors(q)
    raise _q_refuse("quant_method", method, "one of " + ", ".join(QUANT_METHODS))
