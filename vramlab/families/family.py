"""The :class:`Family` record: how transformers builds one ``model_type`` (the fields of the table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..errors import VramlabError, show

__all__ = ["Family", "QUANTIZED_COMPONENTS", "MOE_QUANTIZES", "config_int", "config_bool"]

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
    prepare : callable or None
        ``prepare(cfg)`` normalises the merged config in place into the fields vramlab reads
        (``n_embd`` -> ``hidden_size``, ...) before they are validated. It may only rename or
        derive what transformers itself derives; it never invents a size.
    param_rule : callable or None
        ``param_rule(m, c, std)`` fills the Counter ``c`` of parameters by component for a family
        whose blocks the fields above do not describe, instead of the standard steps; ``std``
        holds those steps (``std.embeddings``, ``std.attention``, ``std.mlp``, ``std.norms``, and
        ``std.standard`` for all four) to call for the parts that are standard.
    layer_rule : callable or None
        ``layer_rule(cfg, n_layers, model_type)`` gives one mapping of
        :class:`vramlab.layers.LayerAttention` fields per layer (kind, window, conv_state,
        recurrent_state, ...), for layer layouts the patterns above do not describe.
    cache_refusal : str
        Non-empty when vramlab counts the family's parameters but does not model its cache:
        what is unknown (KV-cache and state figures are refused with this reason).
    active_refusal : str
        Non-empty when the parameters one token uses are not the total minus the idle routed experts
        (mixtures of attention heads, zero-computation experts): active-parameter figures are refused.
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
    prepare: Callable[[dict], None] | None = field(default=None, compare=False)
    param_rule: Callable[..., None] | None = field(default=None, compare=False)
    layer_rule: Callable[..., Any] | None = field(default=None, compare=False)
    cache_refusal: str = ""
    active_refusal: str = ""


def config_int(cfg: Mapping[str, Any], key: str, default: Any = None, minimum: int = 0, maximum: int = 10**9,
               model_type: str | None = None) -> int:
    """A family's own integer config field (one :data:`vramlab.fields.FIELDS` does not list).

    ``default`` when the field is absent or null; an integral float (``4096.0``) reads as an int;
    anything else is a VramlabError naming the field and the valid range.

    >>> config_int({"conv_L_cache": 3.0}, "conv_L_cache", minimum=1)
    3
    >>> config_int({}, "conv_L_cache", model_type="lfm2")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config of model_type 'lfm2' is missing 'conv_L_cache' (an integer between 0 and 1,000,000,000)
    """
    v = cfg.get(key)
    v = default if v is None else v
    if v is None:
        where = f" of model_type {model_type!r}" if model_type else ""
        raise VramlabError(f"config{where} is missing {key!r} (an integer between {minimum:,} and {maximum:,})",
                           field=key)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int) or not minimum <= v <= maximum:
        raise VramlabError(f"config field {key!r} must be an integer between {minimum:,} and {maximum:,}, "
                           f"got {show(v)}", field=key)
    return v


def config_bool(cfg: Mapping[str, Any], key: str, default: bool) -> bool:
    """A family's own switch: ``default`` when absent or null, else it must be true or false.

    >>> config_bool({"use_bias": None}, "use_bias", True)
    True
    """
    v = cfg.get(key)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise VramlabError(f"config field {key!r} must be true or false, got {show(v)}", field=key)
    return v
