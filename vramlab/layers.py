"""Layer kinds and the per-layer pattern of a config: what each decoder layer mixes and caches.

Attention layers cache K/V per token (full, sliding window, chunked); linear-attention
(Gated DeltaNet) and Mamba layers keep a fixed state per sequence. :func:`layer_pattern`
reads a config's ``layer_types`` (the kinds its family knows) or the family's rule.
:mod:`vramlab.spec` builds every ModelSpec's ``layers`` with it.

>>> LayerAttention("chunked", 8192).tokens_cached(10_000)
8192
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import VramlabError, show
from .families import Family
from .fields import check_field, get_field, need_int

__all__ = ["ATTENTION_KINDS", "STATE_KINDS", "LayerAttention", "layer_pattern", "mamba_dims", "mamba2_dims",
           "block_types", "nemotron_mamba2_dims"]

#: Layer kinds: attention caches K/V per token (``"full"``, ``"sliding"``: a window of recent
#: tokens, ``"chunked"``: the tokens of the current chunk, at most ``window``); ``"linear"``
#: (linear attention, Gated DeltaNet), ``"kda"`` (Kimi Delta Attention), ``"mamba"`` and ``"mamba2"``
#: (selective state space) and ``"conv"`` (LFM2's short convolutions) keep a fixed state per sequence
#: instead; ``"none"`` layers (Nemotron-H's MLP and MoE blocks, Gemma-3n's KV-sharing layers) cache nothing.
ATTENTION_KINDS = ("full", "sliding", "chunked")
STATE_KINDS = ("linear", "kda", "mamba", "mamba2", "conv", "none")


@dataclass(frozen=True)
class LayerAttention:
    """How one decoder layer mixes tokens, and what it caches.

    ``kind`` is one of :data:`ATTENTION_KINDS` (a K/V cache per token, capped at ``window``
    for sliding and chunked layers) or :data:`STATE_KINDS` (no per-token cache: a fixed
    state per sequence of ``conv_state`` + ``recurrent_state`` values). ``index_keys``: values
    per token an attention layer caches beside its K/V for a sparse-attention indexer
    (DeepSeek-V3.2's DSA: one ``index_head_dim`` key per token). ``state_in_compute_dtype``: the
    recurrent state is kept in the compute dtype (MiniMax's Lightning attention) rather than fp32.

    >>> LayerAttention("sliding", 4096).tokens_cached(10_000)
    4096
    >>> LayerAttention("full").tokens_cached(10_000)
    10000
    >>> LayerAttention("linear", conv_state=40960, recurrent_state=524288).tokens_cached(10_000)
    0
    """

    kind: str
    window: int | None = None
    conv_state: int = 0
    recurrent_state: int = 0
    index_keys: int = 0
    state_in_compute_dtype: bool = False

    @property
    def is_attention(self) -> bool:
        """True when the layer caches K/V per token."""
        return self.kind in ATTENTION_KINDS

    def tokens_cached(self, context: int) -> int:
        """Positions of K/V this layer keeps for a sequence of ``context`` tokens."""
        if not self.is_attention:
            return 0
        return context if self.window is None else min(context, self.window)


#: layer_types values read as full attention and as sliding-window attention.
_FULL_TYPES = ("full_attention", "full", "global", "global_attention")
_SLIDING_TYPES = ("sliding_attention", "sliding", "local")


def _linear_layer(cfg: Mapping[str, Any], family: Family) -> LayerAttention:
    """A Gated DeltaNet layer and its state: a depthwise conv over q, k, v and one d_k x d_v matrix per head.

    transformers keeps ``linear_conv_kernel_dim`` positions of the conv input per channel and
    the recurrent state (value heads x key dim x value dim).
    """
    need = {k: check_field(k, cfg.get(k)) if cfg.get(k) is not None else None for k in _LINEAR_FIELDS}
    missing = [k for k, v in need.items() if v is None]
    if missing:
        raise VramlabError(f"config of model_type {family.model_type!r} has linear_attention layers but no "
                           f"{missing[0]!r} (an integer >= 1)", field=missing[0])
    nk, nv = need["linear_num_key_heads"], need["linear_num_value_heads"]
    dk, dv, kernel = need["linear_key_head_dim"], need["linear_value_head_dim"], need["linear_conv_kernel_dim"]
    return LayerAttention("linear", conv_state=(2 * nk * dk + nv * dv) * kernel, recurrent_state=nv * dk * dv)


def mamba_dims(cfg: Mapping[str, Any], hidden: int) -> dict[str, int]:
    """Mamba-1 mixer sizes: inner width I = expand x hidden, state N, conv kernel, dt rank R.

    ``mamba_dt_rank`` ``"auto"`` (or absent) is ceil(hidden / 16), as transformers' JambaConfig sets it.
    """
    rank = cfg.get("mamba_dt_rank")
    if rank in (None, "auto"):
        rank = -(-hidden // 16)
    elif isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise VramlabError(f"config field 'mamba_dt_rank' must be \"auto\" or an integer >= 1, got {show(rank)}",
                           field="mamba_dt_rank")
    return {"inner": cfg["mamba_expand"] * hidden, "state": cfg["mamba_d_state"], "kernel": cfg["mamba_d_conv"],
            "rank": rank}


def mamba2_dims(cfg: Mapping[str, Any], hidden: int) -> dict[str, int]:
    """Mamba-2 mixer sizes (Falcon-H1): inner width I (``mamba_d_ssm``, else expand x hidden), heads,
    head width, groups G, state N, conv kernel; the conv runs over I + 2 G N channels."""
    inner = cfg.get("mamba_d_ssm") or int(cfg["mamba_expand"] * hidden)
    for key in ("mamba_n_heads", "mamba_d_head"):
        if cfg.get(key) is None:
            raise VramlabError(f"config has Mamba-2 layers but no {key!r} (an integer >= 1)", field=key)
    d = {"inner": inner, "heads": cfg["mamba_n_heads"], "head_dim": cfg["mamba_d_head"],
         "groups": cfg["mamba_n_groups"], "state": cfg["mamba_d_state"], "kernel": cfg["mamba_d_conv"]}
    d["conv"] = inner + 2 * d["groups"] * d["state"]
    return d


#: Nemotron-H's hybrid_override_pattern letters and the block types they stand for (transformers 5.24).
_BLOCK_LETTERS = {"M": "linear_attention", "E": "moe", "*": "full_attention", "-": "mlp"}


def block_types(cfg: Mapping[str, Any], mt: str) -> list[str]:
    """Nemotron-H's blocks: ``layers_block_type``, else ``hybrid_override_pattern`` read letter by letter."""
    types = cfg.get("layers_block_type")
    if types is None and isinstance(cfg.get("hybrid_override_pattern"), str):
        letters = cfg["hybrid_override_pattern"]
        bad = sorted(set(letters) - set(_BLOCK_LETTERS))
        if bad:
            raise VramlabError(f"config field 'hybrid_override_pattern' holds {bad[0]!r}; valid letters: M (Mamba-2), "
                               "* (attention), - (MLP), E (MoE)", field="hybrid_override_pattern")
        types = [_BLOCK_LETTERS[c] for c in letters]
    if not types:
        raise VramlabError(f"config of model_type {mt!r} has no 'layers_block_type' or 'hybrid_override_pattern' "
                           "(the block of each layer)", field="layers_block_type")
    bad = sorted(set(types) - set(_BLOCK_LETTERS.values()))
    if bad:
        raise VramlabError(f"config field 'layers_block_type' holds {bad[0]!r}, a block vramlab does not model for "
                           f"model_type {mt!r}; valid: {', '.join(_BLOCK_LETTERS.values())}", field="layers_block_type")
    return list(types)


def nemotron_mamba2_dims(cfg: Mapping[str, Any]) -> dict[str, int]:
    """Nemotron-H's Mamba-2 mixer: I = heads x head_dim, a conv over I + 2 G N channels."""
    d = {"heads": cfg["mamba_num_heads"], "head_dim": cfg["mamba_head_dim"], "groups": cfg["n_groups"],
         "state": cfg["ssm_state_size"], "kernel": cfg["conv_kernel"]}
    d["inner"] = d["heads"] * d["head_dim"]
    d["conv"] = d["inner"] + 2 * d["groups"] * d["state"]
    return d


def _mamba_layer(cfg: Mapping[str, Any], hidden: int) -> LayerAttention:
    """A Mamba layer's state: the conv input (I x kernel) and the SSM state (I x N), per sequence."""
    d = mamba_dims(cfg, hidden)
    return LayerAttention("mamba", conv_state=d["inner"] * d["kernel"], recurrent_state=d["inner"] * d["state"])


_LINEAR_FIELDS = ("linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim", "linear_value_head_dim",
                  "linear_conv_kernel_dim")


def _listed_layers(types: Any, window: int | None, n_layers: int, mt: str, cfg: Mapping[str, Any],
                   family: Family) -> tuple[LayerAttention, ...]:
    if not isinstance(types, (list, tuple)):
        raise VramlabError(
            f"config field 'layer_types' must be a list of {n_layers} strings "
            f"('full_attention' or 'sliding_attention'), got {show(types)}",
            field="layer_types",
        )
    if len(types) != n_layers:
        raise VramlabError(
            f"config field 'layer_types' must list {n_layers} layers (num_hidden_layers), got {len(types)}",
            field="layer_types",
        )
    out = []
    for i, t in enumerate(types):
        if t in _SLIDING_TYPES:
            if window is None:
                raise VramlabError("config has sliding layers in 'layer_types' but no 'sliding_window'",
                                   field="sliding_window")
            out.append(LayerAttention("sliding", window))
        elif t in _FULL_TYPES:
            out.append(LayerAttention("full"))
        elif family.layer_kinds.get(t) == "linear":
            out.append(_linear_layer(cfg, family))
        elif family.layer_kinds.get(t) == "lightning":  # MiniMax: one d_head x d_head state per head
            hd = cfg.get("head_dim") or need_int(cfg, "hidden_size", mt) // need_int(cfg, "num_attention_heads", mt)
            out.append(LayerAttention("linear", recurrent_state=need_int(cfg, "num_attention_heads", mt) * hd * hd,
                                      state_in_compute_dtype=True))
        elif family.layer_kinds.get(t) == "indexed":  # MLA plus the DSA indexer's key per token
            out.append(LayerAttention("full", index_keys=need_int(cfg, "index_head_dim", mt)))
        elif family.layer_kinds.get(t) == "chunked":
            out.append(LayerAttention("chunked", need_int(cfg, "attention_chunk_size", mt)))
        else:
            raise VramlabError(
                f"config field 'layer_types' entry {i} is {show(t)}, a layer kind vramlab does not model for "
                f"model_type {mt!r}; valid: {', '.join(_FULL_TYPES + _SLIDING_TYPES + tuple(family.layer_kinds))}",
                field="layer_types",
            )
    return tuple(out)


def layer_pattern(family: Family, cfg: Mapping[str, Any], n_layers: int, mt: str) -> tuple[LayerAttention, ...]:
    """Full and sliding layers: ``layer_types`` when given, else the family's pattern."""
    window = cfg.get("sliding_window")
    if family.layer_rule is not None:  # a layout of the family's own (vramlab.families.<group>)
        rows = list(family.layer_rule(cfg, n_layers, mt))
        if len(rows) != n_layers:
            raise VramlabError(f"model_type {mt!r}: its layer rule gives {len(rows)} layers for num_hidden_layers "
                               f"{n_layers}", field="num_hidden_layers")
        return tuple(LayerAttention(**row) for row in rows)
    if cfg.get("layer_types") is not None:
        return _listed_layers(cfg["layer_types"], window, n_layers, mt, cfg, family)
    full = LayerAttention("full")
    pattern = family.layer_pattern
    if pattern == "linear_interval":  # transformers' Qwen3NextConfig without layer_types
        every = get_field(cfg, "full_attention_interval", 4)
        linear = _linear_layer(cfg, family)
        return tuple(full if (i + 1) % every == 0 else linear for i in range(n_layers))
    if pattern == "llama4":  # transformers' Llama4TextConfig: chunked on the RoPE layers, full on NoPE ones
        every, chunk = get_field(cfg, "no_rope_layer_interval", 4), cfg.get("attention_chunk_size")
        rope = cfg.get("no_rope_layers") or [int((i + 1) % every != 0) for i in range(n_layers)]
        if len(rope) != n_layers:
            raise VramlabError(f"config field 'no_rope_layers' must list {n_layers} layers, got {len(rope)}",
                               field="no_rope_layers")
        return tuple(LayerAttention("chunked", chunk) if r and chunk else full for r in rope)
    if family.blocks:  # Nemotron-H: one block per layer
        for key in ("mamba_num_heads", "mamba_head_dim"):
            need_int(cfg, key, mt)
        d = nemotron_mamba2_dims(cfg)
        mamba2 = LayerAttention("mamba2", conv_state=d["conv"] * d["kernel"],
                                recurrent_state=d["heads"] * d["head_dim"] * d["state"])
        kinds = {"full_attention": full, "linear_attention": mamba2}
        return tuple(kinds.get(t, LayerAttention("none")) for t in block_types(cfg, mt))
    if family.parallel_ssm:  # Falcon-H1: attention and a Mamba-2 mixer side by side in every layer
        d = mamba2_dims(cfg, need_int(cfg, "hidden_size", mt))
        both = LayerAttention("full", conv_state=d["conv"] * d["kernel"],
                              recurrent_state=d["heads"] * d["head_dim"] * d["state"])
        return (both,) * n_layers
    if pattern == "attn_period":  # Jamba: attention at offset, Mamba elsewhere
        per, off = get_field(cfg, "attn_layer_period", 8), get_field(cfg, "attn_layer_offset", 4)
        mamba = _mamba_layer(cfg, need_int(cfg, "hidden_size", mt))
        return tuple(full if i % per == off else mamba for i in range(n_layers))
    if window is None or pattern == "full":
        return (full,) * n_layers
    slide = LayerAttention("sliding", window)
    if pattern == "alternate":
        return tuple(slide if (i + 1) % 2 else full for i in range(n_layers))
    if pattern == "every_nth_full":
        p = get_field(cfg, "sliding_window_pattern", 6)
        return tuple(full if (i + 1) % p == 0 else slide for i in range(n_layers))
    if pattern in ("max_window_layers", "qwen2_moe"):
        if not cfg.get("use_sliding_window", False):
            return (full,) * n_layers
        mwl = get_field(cfg, "max_window_layers", n_layers)
        if pattern == "qwen2_moe":  # transformers' Qwen2MoeConfig: odd layers below max_window_layers
            return tuple(slide if (i + 1) % 2 and i < mwl else full for i in range(n_layers))
        return tuple(slide if i >= mwl else full for i in range(n_layers))
    # "all_sliding": transformers builds a sliding-window cache for every layer when the
    # config names a window and no layer_types (Mistral v0.1, Phi-3-mini's 2047).
    return (slide,) * n_layers
