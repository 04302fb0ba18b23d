"""Every rule that depends on a config's ``model_type``, as data: one table of families.

A :class:`Family` says how transformers builds one ``model_type``: norms per layer, q/k
norms, which biases exist, the width of one expert and of the shared experts, which layers
are MoE, how layers alternate between full and sliding-window attention, which components a
weight-only format quantizes, and the defaults of its transformers config class. Nothing
else in vramlab looks at ``model_type``: the parameter counts (:mod:`vramlab.params`), the
memory formulas, training and serving ask this module through the trait functions below.

The config fields vramlab reads are in :mod:`vramlab.fields` (``FIELDS``, re-exported here).

The defaults were read from the config classes of transformers 5.24 (``LlamaConfig``, ...);
vramlab does not import transformers at run time. Sizes that differ between members of one
family (hidden size, layers, heads, vocabulary, MLP width) are not defaulted (``LlamaConfig()``
is Llama-7B), so a config without them is refused. Family constants that real configs omit
(Gemma-3's 262,208-token vocabulary, gpt-oss's 2,880-wide experts) are defaulted.

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

from dataclasses import dataclass, field
from typing import Any, Mapping

from .fields import FIELDS, FieldRule, check_field  # noqa: F401  (re-exported: spec reads them here)
from .quantization import QUANT_METHODS, weight_format  # noqa: F401  (re-exported: spec reads them here)

__all__ = [
    "Family", "FAMILIES", "GENERIC", "FieldRule", "FIELDS", "QUANTIZED_COMPONENTS", "get_family", "family_of",
    "norms_per_layer", "has_qk_norm", "has_qkv_bias", "flag", "expert_width", "shared_expert_width",
    "quantized_components", "llama_like_family", "NOT_DECODERS", "UNMODELLED", "refusal",
]

#: Components a weight-only format quantizes by default: the linear layers of the blocks.
#: Embeddings, lm_head, norms, biases and routers stay 16-bit (GPTQ, AWQ, bitsandbytes,
#: fp8 and compressed-tensors checkpoints keep them so by default).
QUANTIZED_COMPONENTS = ("attention", "mlp", "experts", "shared_experts")

#: MoE checkpoints in MXFP4 quantize only the routed experts (the gpt-oss checkpoints:
#: ``quantization_config.modules_to_not_convert`` lists attention, router, embeddings, lm_head).
MOE_QUANTIZES = {"mxfp4": ("experts",)}


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
    attention_sinks, moe : bool
        One learned logit per head and layer (gpt-oss); a mixture-of-experts family.
    experts_keys : tuple of str
        Config keys holding the number of routed experts (transformers' attribute_map aliases).
    expert_width_key : str
        Config key of one routed expert's width.
    expert_biases : bool
        Expert and router biases (gpt-oss).
    shared_expert : str
        ``"none"``, ``"deepseek"`` (``n_shared_experts`` experts of the routed width),
        ``"gated"`` (Qwen2-MoE: one ``shared_expert_intermediate_size`` MLP and an h->1 gate), ``"single"``
        (Llama-4: one MLP of the routed width, no gate) or ``"sized"`` (one MLP of ``shared_width_key``, no gate).
    moe_layers : str
        ``"all"``, ``"sparse_step"`` (``decoder_sparse_step``, ``mlp_only_layers``), ``"first_k_dense"``
        (``first_k_dense_replace``, ``moe_layer_freq``), ``"period"`` (Jamba: ``expert_layer_period``, offset),
        ``"interleave"`` (Llama-4: ``moe_layers``, else every ``interleave_moe_layer_step``-th) or ``"range"``
        (ERNIE-4.5: every ``moe_layer_interval``-th from ``moe_layer_start_index`` to ``moe_layer_end_index``).
    layer_pattern : str
        Layers without ``layer_types``: ``"full"``, ``"all_sliding"`` (every layer when a
        window is set), ``"alternate"`` (sliding, full, ...), ``"every_nth_full"``
        (``sliding_window_pattern``), ``"max_window_layers"`` (Qwen2/3: sliding from layer
        ``max_window_layers`` on), ``"qwen2_moe"`` (odd layers below ``max_window_layers``), ``"linear_interval"``
        (Qwen3-Next: full attention every ``full_attention_interval``-th layer, linear elsewhere), ``"attn_period"``
        (Jamba: attention where i % ``attn_layer_period`` is ``attn_layer_offset``, Mamba elsewhere) or ``"llama4"``.
    symbolic : bool
        :func:`vramlab.formulas.layer_params` describes it (Llama-like blocks).
    defaults : mapping
        Values of transformers' config class for fields a config may omit.
    o_bias, mlp_bias, norm_affine, final_norm, qk_norm_rule : str
        Switch rules read by :func:`flag`: ``"always"``, ``"never"`` or the name of a boolean config field
        (``qkv_bias`` is such a rule too): the output projection's bias (GPT-NeoX ``attention_bias``,
        Starcoder2 ``use_bias``), the MLP biases, whether norms carry weights (OPT
        ``layer_norm_elementwise_affine``), the final norm (OPT ``do_layer_norm_before``), the q/k norms.
    mlp : str
        ``"gated"`` (gate, up, down: 3·h·I) or ``"plain"`` (up, down: 2·h·I; GPT-2, GPT-NeoX).
    norm_size : int
        Values per hidden unit of one norm: 1 (RMSNorm, weight-only LayerNorm), 2 (LayerNorm
        with bias), 0 (OLMo's parameter-free LayerNorm).
    embed_norm : bool
        A norm right after the token embeddings (BLOOM).
    qk_norm_kind : str
        ``"head"`` (one d_head weight each for q and k, shared by heads) or ``"full"`` (over all
        heads: H_q·d_head and H_kv·d_head; OLMo-2, Cohere).
    positions : str or None
        Config field of the number of learned position embeddings (GPT-2 ``n_positions``),
        plus ``position_offset`` rows (OPT: 2).
    lm_head_bias : str
        Switch rule: the output head has a bias of V values, kept even when its weight is tied
        (GPT-J, Phi: ``"always"``; ERNIE-4.5: ``use_bias``).
    mlp_width_default : int
        The MLP width as a multiple of hidden_size when the config gives none (GPT-2: 4).
    embed_proj : str or None
        Config field of a token-embedding width other than hidden_size, with projections in
        and out (OPT ``word_embed_proj_dim``).
    layer_kinds : mapping
        ``layer_types`` names of the family beyond full/sliding attention, with the vramlab
        kind (``{"linear_attention": "linear"}``: Gated DeltaNet layers, Qwen3-Next).
    attn_gate : bool
        The query projection also yields an output gate: H_q·d_head more outputs (Qwen3-Next).
    mlp_width_key : str
        Config key of the dense MLP's width (Llama-4: ``intermediate_size_mlp``; its
        ``intermediate_size`` is the expert width).
    parallel_ssm : bool
        Every layer runs a Mamba-2 mixer beside its attention (Falcon-H1): K/V and a fixed state per layer.
    shared_count_key, shared_width_key : str
        Config keys of the number of ``"deepseek"`` shared experts (ERNIE-4.5: ``moe_num_shared_experts``)
        and of the ``"sized"`` shared MLP's width.
    blocks : bool
        Each layer is one block of ``layers_block_type`` (Nemotron-H): Mamba-2, attention, MLP or MoE.
    shared_bias : bool
        The shared-expert MLP carries biases when the MLP bias rule is on (ERNIE-4.5).
    router_bias_param : bool
        The router's score-correction bias is a parameter, E values per MoE layer (ERNIE-4.5;
        DeepSeek-V3 and GLM-4-MoE register it as a buffer).
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
    o_bias: str = "attention_bias"
    mlp: str = "gated"
    mlp_bias: str = "mlp_bias"
    norm_size: int = 1
    norm_affine: str = "always"
    final_norm: str = "always"
    embed_norm: bool = False
    qk_norm_kind: str = "head"
    qk_norm_rule: str = "always"
    positions: str | None = None
    position_offset: int = 0
    lm_head_bias: str = "never"
    mlp_width_default: int = 0
    embed_proj: str | None = None
    layer_kinds: Mapping[str, str] = field(default_factory=dict)
    attn_gate: bool = False
    mlp_width_key: str = "intermediate_size"
    parallel_ssm: bool = False
    shared_count_key: str = "n_shared_experts"
    shared_width_key: str = "shared_intermediate_size"
    blocks: bool = False
    shared_bias: bool = False
    router_bias_param: bool = False


_fam = Family  # the table below reads as _fam("llama", ...)


# Defaults: transformers 5.24 configuration_<family>.py signatures (see the module docstring).
_V3 = {"tie_word_embeddings": False, "attention_bias": False, "moe_layer_freq": 1, "first_k_dense_replace": 3,
       "n_shared_experts": 1, "n_routed_experts": 256, "num_experts_per_tok": 8, "moe_intermediate_size": 2048,
       "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128}
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
    _fam("qwen2", qkv_bias="always", o_bias="never", layer_pattern="max_window_layers", symbolic=True, defaults={
        **_QWEN, "max_position_embeddings": 32768}),
    _fam("qwen2_moe", qkv_bias="qkv_bias", o_bias="never", moe=True, experts_keys=("num_experts",), shared_expert="gated",
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
         shared_expert="deepseek", defaults={**_V3, "max_position_embeddings": 4096}),
    _fam("deepseek_v32", layout="mla", moe=True, experts_keys=("n_routed_experts",), moe_layers="first_k_dense",
         shared_expert="deepseek", layer_kinds={"indexed_attention": "indexed"}, defaults={  # + the DSA indexer
             **_V3, "max_position_embeddings": 163840, "index_n_heads": 64, "index_head_dim": 128, "index_topk": 2048}),
    _fam("gpt_oss", attention_sinks=True, moe=True, experts_keys=("num_local_experts", "num_experts"),
         expert_width_key="intermediate_size", expert_biases=True, layer_pattern="alternate", defaults={
             "tie_word_embeddings": False, "attention_bias": True, "sliding_window": 128, "head_dim": 64,
             "num_local_experts": 128, "num_experts_per_tok": 4, "intermediate_size": 2880,
             "max_position_embeddings": 131072}),
]}

# -- classic GPT-style decoders: LayerNorms with biases, plain MLPs (transformers 5.24 modeling files)
_BIASED = dict(qkv_bias="always", o_bias="always", mlp="plain", mlp_bias="always", norm_size=2)
FAMILIES.update({f.model_type: f for f in [
    _fam("gpt2", **_BIASED, positions="n_positions", mlp_width_default=4, defaults={
        "tie_word_embeddings": True, "n_positions": 1024}),
    _fam("gpt_neox", **{**_BIASED, "qkv_bias": "attention_bias", "o_bias": "attention_bias"}, defaults={
        "tie_word_embeddings": False, "attention_bias": True, "max_position_embeddings": 2048}),
    _fam("gptj", **{**_BIASED, "qkv_bias": "never", "o_bias": "never"}, norms_per_layer=1, lm_head_bias="always",
         mlp_width_default=4, defaults={"tie_word_embeddings": False, "n_positions": 2048}),
    _fam("opt", **{**_BIASED, "qkv_bias": "enable_bias", "o_bias": "enable_bias", "mlp_bias": "enable_bias"},
         norm_affine="layer_norm_elementwise_affine", final_norm="do_layer_norm_before",
         positions="max_position_embeddings", position_offset=2, embed_proj="word_embed_proj_dim", defaults={
             "tie_word_embeddings": True, "enable_bias": True, "layer_norm_elementwise_affine": True,
             "do_layer_norm_before": True, "max_position_embeddings": 2048}),
    _fam("bloom", **_BIASED, embed_norm=True, mlp_width_default=4, defaults={  # one vocabulary for all sizes
        "tie_word_embeddings": True, "vocab_size": 250880}),
    _fam("phi", **_BIASED, norms_per_layer=1, lm_head_bias="always", qk_norm=True, qk_norm_rule="qk_layernorm",
         defaults={"tie_word_embeddings": False, "qk_layernorm": False, "max_position_embeddings": 2048}),
    _fam("starcoder2", **{**_BIASED, "qkv_bias": "use_bias", "o_bias": "use_bias", "mlp_bias": "use_bias"},
         layer_pattern="all_sliding", defaults={"tie_word_embeddings": True, "use_bias": True,
                                                "max_position_embeddings": 4096}),
]})

# -- Llama-like decoders with other norms or biases (transformers 5.24 modeling files)
_OLMO = {"tie_word_embeddings": False, "attention_bias": False}
FAMILIES.update({f.model_type: f for f in [
    _fam("gemma", defaults={"tie_word_embeddings": True, "attention_bias": False, "head_dim": 256,
                            "max_position_embeddings": 8192}),
    _fam("cohere", norms_per_layer=1, qk_norm=True, qk_norm_kind="full", qk_norm_rule="use_qk_norm", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "use_qk_norm": False, "max_position_embeddings": 8192}),
    _fam("cohere2", norms_per_layer=1, layer_pattern="every_nth_full", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096, "sliding_window_pattern": 4,
        "max_position_embeddings": 8192}),
    _fam("olmo", norm_size=0, defaults={**_OLMO, "max_position_embeddings": 2048}),
    _fam("olmo2", qk_norm=True, qk_norm_kind="full", defaults={**_OLMO, "max_position_embeddings": 2048}),
    _fam("olmo3", qk_norm=True, qk_norm_kind="full", layer_pattern="every_nth_full", defaults={
        **_OLMO, "max_position_embeddings": 2048, "sliding_window": 4096, "sliding_window_pattern": 4}),
    _fam("olmoe", qk_norm=True, qk_norm_kind="full", moe=True, experts_keys=("num_experts",),
         expert_width_key="intermediate_size", defaults={
             **_OLMO, "max_position_embeddings": 4096, "num_experts": 64, "num_experts_per_tok": 8}),
    _fam("glm", o_bias="never", defaults={"tie_word_embeddings": False, "attention_bias": True, "head_dim": 128,
                                          "max_position_embeddings": 131072}),
    _fam("glm4", o_bias="never", norms_per_layer=4, defaults={
        "tie_word_embeddings": False, "attention_bias": True, "head_dim": 128, "max_position_embeddings": 131072}),
    _fam("glm4_moe", o_bias="never", qk_norm=True, qk_norm_rule="use_qk_norm", moe=True,
         experts_keys=("n_routed_experts", "num_local_experts"), moe_layers="first_k_dense", shared_expert="deepseek",
         defaults={"tie_word_embeddings": False, "attention_bias": False, "use_qk_norm": False,
                   "max_position_embeddings": 131072, "moe_intermediate_size": 1408, "num_experts_per_tok": 8,
                   "n_shared_experts": 1, "n_routed_experts": 128, "first_k_dense_replace": 1}),
    _fam("seed_oss", o_bias="attention_out_bias", defaults={
        "tie_word_embeddings": False, "attention_bias": True, "attention_out_bias": False, "mlp_bias": False,
        "max_position_embeddings": 524288}),
    _fam("smollm3", layer_pattern="max_window_layers", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "mlp_bias": False, "use_sliding_window": False,
        "max_position_embeddings": 32768}),
    _fam("exaone4", qk_norm=True, layer_pattern="every_nth_full", defaults={
        "tie_word_embeddings": False, "sliding_window": 4096, "sliding_window_pattern": 4,
        "max_position_embeddings": 2048}),
]})

# -- hybrid stacks: linear-attention layers between full-attention layers (MiniMax: Lightning attention)
_GDN = {"full_attention_interval": 4, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
        "linear_num_key_heads": 16, "linear_num_value_heads": 32}
FAMILIES.update({f.model_type: f for f in [
    _fam("minimax", layer_kinds={"linear_attention": "lightning"}, moe=True, experts_keys=("num_local_experts",),
         expert_width_key="intermediate_size", defaults={"tie_word_embeddings": False, "num_local_experts": 8,
                                                          "num_experts_per_tok": 2, "max_position_embeddings": 131072}),
    _fam("qwen3_next", qk_norm=True, attn_gate=True, layer_kinds={"linear_attention": "linear"}, moe=True,
         layer_pattern="linear_interval",
         experts_keys=("num_experts",), shared_expert="gated", moe_layers="sparse_step", defaults={
             **_GDN, "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
             "max_position_embeddings": 32768, "decoder_sparse_step": 1, "mlp_only_layers": [],
             "num_experts": 512, "num_experts_per_tok": 10, "moe_intermediate_size": 512,
             "shared_expert_intermediate_size": 512}),
    _fam("qwen3_5_text", qk_norm=True, attn_gate=True, layer_kinds={"linear_attention": "linear"},
         layer_pattern="linear_interval", defaults={
        **_GDN, "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
        "max_position_embeddings": 32768}),
    _fam("qwen3_5_moe_text", qk_norm=True, attn_gate=True, layer_kinds={"linear_attention": "linear"}, moe=True,
         layer_pattern="linear_interval",
         experts_keys=("num_experts",), shared_expert="gated", defaults={
             **_GDN, "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
             "max_position_embeddings": 32768, "num_experts": 256, "num_experts_per_tok": 8,
             "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512}),
]})

# -- Llama-4: chunked attention on the RoPE layers, full attention on the NoPE ones, MoE + shared expert
FAMILIES.update({f.model_type: f for f in [
    _fam("llama4_text", layer_pattern="llama4", layer_kinds={"chunked_attention": "chunked"}, moe=True,
         experts_keys=("num_local_experts",), expert_width_key="intermediate_size", shared_expert="single",
         moe_layers="interleave", mlp_width_key="intermediate_size_mlp", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "head_dim": 128, "max_position_embeddings": 131072,
             "num_local_experts": 16, "num_experts_per_tok": 1, "interleave_moe_layer_step": 1,
             "intermediate_size": 8192, "intermediate_size_mlp": 16384, "attention_chunk_size": 8192,
             "no_rope_layer_interval": 4, "vocab_size": 202048}),
]})

# -- hybrid stacks with Mamba (selective state-space) layers
FAMILIES.update({f.model_type: f for f in [
    _fam("jamba", layer_pattern="attn_period", moe=True, experts_keys=("num_experts",),
         expert_width_key="intermediate_size", moe_layers="period", defaults={
             "tie_word_embeddings": False, "max_position_embeddings": 262144, "num_experts": 16,
             "num_experts_per_tok": 2, "expert_layer_period": 2, "expert_layer_offset": 1, "attn_layer_period": 8,
             "attn_layer_offset": 4, "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_expand": 2,
             "mamba_conv_bias": True, "mamba_proj_bias": False}),
]})

FAMILIES.update({f.model_type: f for f in [
    _fam("nemotron_h", blocks=True, layer_kinds={"linear_attention": "mamba2", "moe": "none", "mlp": "none"},
         moe=True, moe_layers="blocks", experts_keys=("n_routed_experts", "num_local_experts"), shared_expert="sized", mlp="plain",
         shared_width_key="moe_shared_expert_intermediate_size", defaults={
             "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "use_bias": False,
             "use_conv_bias": True, "max_position_embeddings": 4096, "n_routed_experts": 8, "num_experts_per_tok": 2,
             "ssm_state_size": 128, "n_groups": 8, "conv_kernel": 4}),
    _fam("falcon_h1", parallel_ssm=True, defaults={
        "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False, "max_position_embeddings": 8192,
        "mamba_d_state": 256, "mamba_d_conv": 4, "mamba_expand": 2, "mamba_n_groups": 1, "mamba_conv_bias": True,
        "mamba_proj_bias": False, "mamba_rms_norm": False, "projectors_bias": False}),
]})

FAMILIES.update({f.model_type: f for f in [
    _fam("ernie4_5", qkv_bias="use_bias", o_bias="use_bias", mlp_bias="use_bias", defaults={
        "tie_word_embeddings": True, "use_bias": False, "head_dim": 128, "max_position_embeddings": 131072}),
    _fam("ernie4_5_moe", qkv_bias="use_bias", o_bias="use_bias", mlp_bias="use_bias", lm_head_bias="use_bias",
         moe=True, experts_keys=("moe_num_experts", "num_experts"), moe_layers="range", shared_expert="deepseek",
         shared_count_key="moe_num_shared_experts", shared_bias=True, router_bias_param=True, defaults={
             "tie_word_embeddings": True, "use_bias": False, "max_position_embeddings": 131072,
             "moe_num_experts": 64, "moe_k": 6, "moe_num_shared_experts": 2, "moe_intermediate_size": 1536,
             "moe_layer_start_index": 1, "moe_layer_end_index": -1, "moe_layer_interval": 1}),
    _fam("granite", defaults={"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
                              "max_position_embeddings": 2048}),
    _fam("granitemoe", moe=True, experts_keys=("num_local_experts",), expert_width_key="intermediate_size",
         defaults={"tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 2048,
                   "num_local_experts": 8, "num_experts_per_tok": 2}),
    _fam("granitemoeshared", moe=True, experts_keys=("num_local_experts",), expert_width_key="intermediate_size",
         shared_expert="sized", defaults={"tie_word_embeddings": False, "attention_bias": False,
                                          "max_position_embeddings": 2048, "num_local_experts": 8,
                                          "num_experts_per_tok": 2, "shared_intermediate_size": 0}),
    _fam("ministral3", layer_pattern="all_sliding", defaults={
        "tie_word_embeddings": False, "head_dim": 128, "max_position_embeddings": 262144}),
    _fam("vaultgemma", layer_pattern="alternate", defaults={
        "tie_word_embeddings": True, "attention_bias": False, "head_dim": 256, "max_position_embeddings": 8192}),
]})

#: The generic path: any other decoder with the standard fields, counted with the Llama layout.
GENERIC = Family("generic", exact=False, experts_keys=("num_local_experts", "num_experts", "n_routed_experts"),
                 layer_pattern="all_sliding")

#: model_type spellings that name a family of the table.
ALIASES = {"gemma3": "gemma3_text", "gpt-sw3": "gpt2", "llama4": "llama4_text"}

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
    **dict.fromkeys(("bamba", "falcon_mamba", "granitemoehybrid", "mamba", "mamba2", "zamba", "zamba2"),
                    "Mamba (state-space) layers"),
    **dict.fromkeys(("lfm2", "lfm2_moe", "lfm3"), "short-convolution layers"),
    **dict.fromkeys(("rwkv", "xlstm", "recurrent_gemma", "hrm_text"), "recurrent (non-attention) layers"),
    **dict.fromkeys(("gemma3n", "gemma3n_text", "gemma4", "gemma4_text", "gemma4_unified", "gemma4_unified_text",
                     "gemma4_unified_assistant", "gemma4_assistant"),
                    "per-layer input embeddings, shared KV layers and altered MLP widths"),
    **dict.fromkeys(("apertus", "apertus1p5_text"), "xIELU MLP blocks with learned activation parameters"),
    "arcee": "ReLU² MLP blocks without a gate", "aria_text": "grouped MoE experts with shared experts",
    "doge": "dynamic-mask attention and cross-domain mixture-of-experts blocks",
    "jetmoe": "mixture-of-attention-heads blocks", "biogpt": "learned positions, LayerNorm biases and plain MLPs",
    "gpt_bigcode": "GPT-BigCode blocks (multi-query c_attn, learned positions)",
    "gpt_neo": "GPT-Neo blocks (learned positions, local attention layers)",
    "gpt_neox_japanese": "GPT-NeoX-Japanese blocks", "codegen": "CodeGen blocks (fused QKV, plain MLP)",
    "openai-gpt": "GPT-1 blocks (learned positions, plain MLP)", "ctrl": "CTRL blocks",
    "cpmant": "CPM-Ant blocks (segment embeddings, position bias)", "xglm": "XGLM blocks (sinusoidal positions)",
    "mpt": "MPT blocks (ALiBi, fused QKV)", "jais2": "Jais-2 blocks (plain MLP, LayerNorm biases)",
    "persimmon": "Persimmon blocks (q/k LayerNorms, ReLU² MLP)", "fuyu": "a vision patch projection over Persimmon blocks",
    "nanochat": "nanochat blocks (ReLU² MLP without a gate, unparametrised norms)",
    "git": "a vision encoder inside the causal LM", "phi4_multimodal": "vision and audio encoders inside the causal LM",
    "moshi": "audio depth-decoder blocks", "musicgen": "audio codebook decoders", "musicgen_melody": "audio codebook decoders",
    "blt": "byte-patch encoder and decoder", "reformer": "LSH and chunked attention layers",
    **dict.fromkeys(("kolibri1", "flint"), "its block layout"), **dict.fromkeys(("solar_open", "beam"), "its MoE block layout"),
    "longcat_flash": "zero-computation experts and dual-attention blocks",
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
    if model_type in UNMODELLED and ALIASES.get(model_type, model_type) not in FAMILIES:
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
    """True when queries and keys are normed per head (Qwen3, Qwen3-MoE, Gemma-3, OLMo-2)."""
    f = family_of(m)
    return f.qk_norm and flag(m, f.qk_norm_rule)


def flag(m: Any, rule: str) -> bool:
    """A switch rule of the family table: ``"always"``, ``"never"`` or a boolean config field.

    >>> import vramlab as vl
    >>> flag(vl.load_model("Qwen/Qwen3-8B"), "attention_bias"), flag(vl.load_model("Qwen/Qwen3-8B"), "always")
    (False, True)
    """
    if rule in ("always", "never"):
        return rule == "always"
    return bool(_c(m, rule, False))


def has_qkv_bias(m: Any) -> bool:
    """True when the q/k/v projections carry biases.

    >>> import vramlab as vl
    >>> has_qkv_bias(vl.load_model("Qwen/QwQ-32B")), has_qkv_bias(vl.load_model("Qwen/Qwen3-8B"))
    (True, False)
    """
    return flag(m, family_of(m).qkv_bias)


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
        return int(_c(m, family_of(m).shared_count_key, 0)) * expert_width(m)
    if kind == "gated":
        return int(_c(m, "shared_expert_intermediate_size", 0))
    if kind == "single":
        return expert_width(m)
    if kind == "sized":  # Granite-MoE-shared, Nemotron-H: one MLP of a width of its own, no gate
        return int(_c(m, family_of(m).shared_width_key, 0))
    return 0


def quantized_components(m: Any, dtype_name: str) -> tuple[str, ...]:
    """Components a weight-only format ``dtype_name`` stores quantized for this model.

    >>> import vramlab as vl
    >>> quantized_components(vl.load_model("openai/gpt-oss-20b"), "mxfp4")
    ('experts',)
    >>> quantized_components(vl.load_model("Qwen/Qwen3-8B"), "int4")
    ('attention', 'mlp', 'experts', 'shared_experts')
    """
    if m.is_moe and dtype_name in MOE_QUANTIZES:
        return MOE_QUANTIZES[dtype_name]
    return QUANTIZED_COMPONENTS


def llama_like_family(m: Any) -> bool:
    """True when the family's blocks are the Llama layout of :mod:`vramlab.formulas`."""
    return family_of(m).symbolic and m.exact


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
