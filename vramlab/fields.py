"""The config.json fields vramlab reads: each one's JSON kind, valid range and what ``null`` means.

:data:`FIELDS` is the one table of them; :func:`check_field` validates a value against it.
:mod:`vramlab.families` re-exports both (spec validates every config through them, once).

>>> check_field("num_hidden_layers", 32.0)
32
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import VramlabError, show

__all__ = ["FieldRule", "FIELDS", "ALIASES", "check_field", "get_field", "need_int"]


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
    # Gated DeltaNet layers (Qwen3-Next)
    **{k: _I("int", 1, 100_000) for k in ("linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim",
                                          "linear_value_head_dim", "linear_conv_kernel_dim")},
    "full_attention_interval": _I("int", 1, 10_000),
    # Mamba layers and the Jamba layer periods
    **{k: _I("int", 1, 100_000) for k in ("mamba_d_state", "mamba_d_conv", "mamba_expand", "attn_layer_period",
                                          "expert_layer_period")},
    "attn_layer_offset": _I("int", 0, 100_000), "expert_layer_offset": _I("int", 0, 100_000),
    "mamba_conv_bias": _I("bool"), "mamba_proj_bias": _I("bool"), "mamba_rms_norm": _I("bool"),
    "projectors_bias": _I("bool"), "mamba_n_groups": _I("int", 1, 100_000), "mamba_n_heads": _I("int", 1, 100_000),
    "mamba_d_head": _I("int", 1, 100_000), "mamba_d_ssm": _I("int", 1, 10**8, null="mamba_expand x hidden_size"),
    # Llama-4: chunked attention, interleaved MoE
    "index_n_heads": _I("int", 1, 100_000), "index_head_dim": _I("int", 1, 100_000), "index_topk": _I("int", 1, 10**9),
    "shared_intermediate_size": _I("int", 0, 10**8), "moe_shared_expert_intermediate_size": _I("int", 0, 10**8),
    "moe_latent_size": _I("int", 1, 10**8, null="experts read the hidden state itself"),
    "layers_block_type": _I("str_list"), "hybrid_override_pattern": _I("str"), "ssm_state_size": _I("int", 1, 100_000),
    "mamba_num_heads": _I("int", 1, 100_000), "mamba_head_dim": _I("int", 1, 100_000), "n_groups": _I("int", 1, 100_000),
    "conv_kernel": _I("int", 1, 100_000), "use_conv_bias": _I("bool"), "moe_num_experts": _I("int", 0, 100_000), "moe_k": _I("int", 0, 100_000),
    "moe_num_shared_experts": _I("int", 0, 100_000), "moe_layer_start_index": _I("int", 0, 10_000),
    "moe_layer_end_index": _I("int", -1, 10_000), "moe_layer_interval": _I("int", 1, 10_000),
    "attention_chunk_size": _I("int", 1, 10**9, null="no chunked attention"), "intermediate_size_mlp": _I("int", 1, 10**8),
    "interleave_moe_layer_step": _I("int", 1, 10_000), "moe_layers": _I("int_list", 0, 10_000),
    "no_rope_layers": _I("int_list", 0, 1), "no_rope_layer_interval": _I("int", 1, 10_000),
    # GPT-2 / OPT spellings
    "n_inner": _I("int", 1, 10**8, null="4 x hidden_size"), "ffn_dim": _I("int", 1, 10**8),
    "n_positions": _I("int", 1, 10**9), "word_embed_proj_dim": _I("int", 1, 10**8, null="hidden_size"),
    # switches (JSON true/false)
    **{k: _I("bool") for k in ("tie_word_embeddings", "attention_bias", "mlp_bias", "bias", "multi_query",
                               "new_decoder_architecture", "parallel_attn", "use_sliding_window", "alibi",
                               "qkv_bias", "use_bias", "enable_bias", "do_layer_norm_before",
                               "layer_norm_elementwise_affine", "_remove_final_layer_norm", "qk_layernorm",
                               "use_qk_norm", "attention_out_bias")},
    # Llama-like families' own switches and sizes (vramlab.families.llama_like)
    **{k: _I("bool") for k in ("use_post_norm", "use_qkv_bias", "use_parallel_residual", "norm_bias", "decoder_bias",
                               "classifier_bias")},
    "local_attention": _I("int", 2, 10**9, null="no window (sliding_window -1)"), "global_attn_every_n_layers": _I("int", 1, 10_000),
    "cross_attention_layers": _I("int_list", 0, 10_000, null="layers 3, 8, 13, ..., 38 (transformers' default)"),
    # MoE families' own switches and sizes (vramlab.families.moe)
    "num_dense_layers": _I("int", 0, 10_000), "num_shared_experts": _I("int", 0, 100_000),
    "prefix_dense_sliding_window_pattern": _I("int", 1, 10_000), "dense_intermediate_size": _I("int", 1, 10**8),
    "prefix_dense_intermediate_size": _I("int", 1, 10**8, null="intermediate_size"), "lm_head_bias": _I("bool"),
    "mlp_layer_types": _I("str_list", hint=" (dense or sparse per layer)"),
    "num_attention_heads_per_layer": _I("int_list", 1, 100_000, null="num_attention_heads on every layer"),
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


#: Other spellings of a field (GPT-2's n_layer, OPT's ffn_dim, ...), read when the field is absent.
ALIASES = {
    "num_hidden_layers": ("n_layer", "num_layers", "n_layers"),
    "num_attention_heads": ("n_head", "num_heads", "n_heads"),
    "hidden_size": ("n_embd", "n_embed", "d_model", "dim"),
    "vocab_size": ("n_vocab",),
    "intermediate_size": ("n_inner", "ffn_dim"),
    "max_position_embeddings": ("n_positions",),
    "num_experts_per_tok": ("moe_k",),
}


def get_field(cfg: Mapping[str, Any], key: str, default: Any = None) -> Any:
    if key in cfg and cfg[key] is not None:
        return cfg[key]
    for alt in ALIASES.get(key, ()):
        if alt in cfg and cfg[alt] is not None:
            return cfg[alt]
    return default


def need_int(cfg: Mapping[str, Any], key: str, name: str) -> int:
    v = get_field(cfg, key)
    if v is None:
        raise VramlabError(f"config of {name!r} is missing {key!r} (an integer >= 1)", field=key)
    return check_field(key, v)
