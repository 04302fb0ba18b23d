"""ModelSpec: the architecture facts vramlab needs, read from a Hugging Face config.json.

Families read exactly: llama, mistral, qwen2, qwen3, qwen3_moe, mixtral, gemma2, gemma3 /
gemma3_text, phi3, falcon, deepseek_v2, deepseek_v3, gpt_oss. Any other decoder that
carries the standard fields (hidden_size, num_hidden_layers, num_attention_heads,
intermediate_size, vocab_size) loads through a generic Llama-like path and says so in
``ModelSpec.exact`` and ``ModelSpec.warnings``.

Config files are parsed as JSON, never executed (no ``trust_remote_code``).

>>> from vramlab.spec import from_config
>>> m = from_config({"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008,
...                  "num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 32000})
>>> m.attention_kind, m.head_dim, m.num_kv_heads
('MHA', 128, 32)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import VramlabError

__all__ = ["ModelSpec", "LayerAttention", "from_config", "EXACT_FAMILIES"]

#: model_type values whose parameter count and KV layout are exact.
EXACT_FAMILIES = (
    "llama", "mistral", "qwen2", "qwen3", "qwen3_moe", "mixtral", "gemma2", "gemma3",
    "gemma3_text", "phi3", "falcon", "deepseek_v2", "deepseek_v3", "gpt_oss",
)

# Defaults of the transformers config classes for fields that real files often omit.
_FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "llama": {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
              "max_position_embeddings": 2048, "torch_dtype": "float32"},
    "mistral": {"tie_word_embeddings": False, "max_position_embeddings": 131072, "sliding_window": 4096},
    "mixtral": {"tie_word_embeddings": False, "num_local_experts": 8, "num_experts_per_tok": 2},
    "qwen2": {"tie_word_embeddings": False, "use_sliding_window": False, "max_window_layers": 28},
    "qwen3": {"tie_word_embeddings": False, "use_sliding_window": False, "max_window_layers": 28,
              "attention_bias": False},
    "qwen3_moe": {"tie_word_embeddings": False, "use_sliding_window": False, "max_window_layers": 28,
                  "attention_bias": False, "decoder_sparse_step": 1, "mlp_only_layers": [],
                  "num_experts": 128, "num_experts_per_tok": 8},
    "gemma2": {"tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096, "head_dim": 256},
    "gemma3_text": {"tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096,
                    "vocab_size": 262208, "max_position_embeddings": 131072, "sliding_window_pattern": 6,
                    "head_dim": 256, "hidden_size": 2304, "intermediate_size": 9216,
                    "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4},
    "phi3": {"tie_word_embeddings": False},
    "falcon": {"tie_word_embeddings": True, "vocab_size": 65024, "hidden_size": 4544,
               "num_hidden_layers": 32, "num_attention_heads": 71, "multi_query": True,
               "new_decoder_architecture": False, "parallel_attn": True, "bias": False,
               "alibi": False, "max_position_embeddings": 2048},
    "deepseek_v2": {"tie_word_embeddings": False, "attention_bias": False, "moe_layer_freq": 1,
                    "first_k_dense_replace": 0, "n_shared_experts": None},
    "deepseek_v3": {"tie_word_embeddings": False, "attention_bias": False, "moe_layer_freq": 1,
                    "first_k_dense_replace": 3, "n_shared_experts": 1},
    "gpt_oss": {"tie_word_embeddings": False, "attention_bias": True, "sliding_window": 128},
}

_ALIASES = {
    "num_hidden_layers": ("n_layer", "num_layers", "n_layers"),
    "num_attention_heads": ("n_head", "num_heads", "n_heads"),
    "hidden_size": ("n_embd", "d_model", "dim"),
    "vocab_size": ("n_vocab",),
}


@dataclass(frozen=True)
class LayerAttention:
    """How one decoder layer attends: ``kind`` is ``"full"`` or ``"sliding"``.

    >>> LayerAttention("sliding", 4096).tokens_cached(10_000)
    4096
    >>> LayerAttention("full").tokens_cached(10_000)
    10000
    """

    kind: str
    window: int | None = None

    def tokens_cached(self, context: int) -> int:
        """Positions this layer keeps for a sequence of ``context`` tokens."""
        return context if self.window is None else min(context, self.window)


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of a decoder-only language model.

    Build one with :func:`vramlab.load_model` rather than by hand.

    Attributes
    ----------
    name : str
        Preset id or a name for the config.
    model_type : str
        ``model_type`` of the (text) config.
    num_layers, num_q_heads, num_kv_heads, head_dim, hidden_size, vocab_size : int
        Geometry. ``num_kv_heads`` is the config value (for MLA it is nominal: the cache
        holds a shared latent, see ``kv_lora_rank``). ``head_dim`` is the config's field, else
        hidden_size / num_attention_heads; for MLA it is the query/key head width
        ``qk_nope_head_dim + qk_rope_head_dim`` (192 for DeepSeek-V2/V3), since hidden/heads
        (40 for DeepSeek-V2) is no dimension of that architecture.
    attention_kind : str
        ``"MHA"``, ``"GQA"``, ``"MQA"`` or ``"MLA"``.
    layers : tuple of LayerAttention
        Per-layer attention pattern (full or sliding window).
    exact : bool
        False for the generic path, whose parameter count is approximate.
    config : dict
        The effective text config (defaults of the transformers config class filled in).
    hf_config : dict
        The raw config dict as given.
    """

    name: str
    model_type: str
    num_layers: int
    num_q_heads: int
    num_kv_heads: int
    head_dim: int
    hidden_size: int
    vocab_size: int
    intermediate_size: int
    attention_kind: str
    layers: tuple[LayerAttention, ...]
    tie_word_embeddings: bool
    max_position_embeddings: int | None
    torch_dtype: str | None
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    num_experts: int = 0
    num_experts_per_tok: int = 0
    exact: bool = True
    warnings: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    hf_config: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    # -- convenience -------------------------------------------------------
    @property
    def is_moe(self) -> bool:
        """True for mixture-of-experts models."""
        return self.num_experts > 0

    @property
    def sliding_window(self) -> int | None:
        """The sliding window of the sliding layers, or None when every layer is full."""
        wins = {la.window for la in self.layers if la.kind == "sliding"}
        return max(wins) if wins else None

    @property
    def num_full_layers(self) -> int:
        """Number of full-attention layers."""
        return sum(la.kind == "full" for la in self.layers)

    @property
    def num_sliding_layers(self) -> int:
        """Number of sliding-window layers."""
        return sum(la.kind == "sliding" for la in self.layers)

    @property
    def kv_group_size(self) -> int:
        """Query heads per KV head (1 for MHA, num_q_heads for MQA)."""
        return self.num_q_heads // max(1, self.num_kv_heads)

    @property
    def kv_elements_per_token_per_layer(self) -> int:
        """Values cached per token and layer: 2·H_kv·d_head, or d_c + d_rope for MLA.

        >>> from vramlab import load_model
        >>> load_model("Qwen/Qwen3-8B").kv_elements_per_token_per_layer
        2048
        >>> load_model("deepseek-ai/DeepSeek-V3").kv_elements_per_token_per_layer
        576
        """
        if self.attention_kind == "MLA":
            return int(self.kv_lora_rank) + int(self.qk_rope_head_dim)
        return 2 * self.num_kv_heads * self.head_dim

    def param_count(self) -> int:
        """Exact number of parameters (as transformers counts them). See :mod:`vramlab.params`."""
        from .params import param_count

        return param_count(self)

    def param_breakdown(self) -> dict[str, int]:
        """Parameters by component; the values sum to :meth:`param_count`."""
        from .params import param_breakdown

        return param_breakdown(self)

    def active_param_count(self) -> int:
        """Parameters used per token (MoE: only the routed experts chosen)."""
        from .params import active_param_count

        return active_param_count(self)


# ---------------------------------------------------------------------------
def _get(cfg: Mapping[str, Any], key: str, default: Any = None) -> Any:
    if key in cfg and cfg[key] is not None:
        return cfg[key]
    for alt in _ALIASES.get(key, ()):
        if alt in cfg and cfg[alt] is not None:
            return cfg[alt]
    return default


def _need_int(cfg: Mapping[str, Any], key: str, name: str, *, minimum: int = 1, maximum: int = 10**8) -> int:
    v = _get(cfg, key)
    if v is None:
        raise VramlabError(f"config of {name!r} is missing {key!r} (an integer >= {minimum})", field=key)
    return _as_int(v, key, minimum=minimum, maximum=maximum)


def _as_int(v: Any, key: str, *, minimum: int = 1, maximum: int = 10**8) -> int:
    ok = isinstance(v, int) and not isinstance(v, bool)
    if not ok and isinstance(v, float) and math.isfinite(v) and v.is_integer():
        v, ok = int(v), True
    if not ok or not (minimum <= v <= maximum):
        raise VramlabError(
            f"config field {key!r} must be an integer between {minimum} and {maximum:,}, got {v!r}",
            field=key,
        )
    return v


#: Optional integer fields read by the parameter and memory formulas, with their valid range.
_OPTIONAL_INTS: dict[str, tuple[int, int]] = {
    "max_position_embeddings": (1, 10**9),
    "intermediate_size": (1, 10**8),
    "moe_intermediate_size": (1, 10**8),
    "ffn_hidden_size": (1, 10**8),
    "num_local_experts": (0, 100_000),
    "num_experts": (0, 100_000),
    "n_routed_experts": (0, 100_000),
    "num_experts_per_tok": (0, 100_000),
    "experts_per_token": (0, 100_000),
    "n_shared_experts": (0, 100_000),
    "decoder_sparse_step": (1, 10_000),
    "first_k_dense_replace": (0, 10_000),
    "moe_layer_freq": (1, 10_000),
    "q_lora_rank": (1, 10**8),
    "qk_nope_head_dim": (1, 100_000),
    "qk_rope_head_dim": (1, 100_000),
    "v_head_dim": (1, 100_000),
    "num_ln_in_parallel_attn": (1, 2),
    "sliding_window_pattern": (1, 10_000),
    "max_window_layers": (0, 10_000),
}

#: Boolean switches read by the formulas; they must be JSON true/false.
_BOOLS = (
    "tie_word_embeddings", "attention_bias", "mlp_bias", "bias", "multi_query",
    "new_decoder_architecture", "parallel_attn", "use_sliding_window", "alibi",
)


def _check_fields(cfg: dict[str, Any]) -> None:
    """Validate (and normalise in place) the optional fields the formulas read."""
    for key, (lo, hi) in _OPTIONAL_INTS.items():
        if cfg.get(key) is not None:
            cfg[key] = _as_int(cfg[key], key, minimum=lo, maximum=hi)
    for key in _BOOLS:
        v = cfg.get(key)
        if v is not None and not isinstance(v, bool):
            raise VramlabError(f"config field {key!r} must be true or false, got {v!r}", field=key)
    td = cfg.get("torch_dtype")
    if td is not None and not isinstance(td, str):
        raise VramlabError(f"config field 'torch_dtype' must be a string such as 'bfloat16', got {td!r}",
                           field="torch_dtype")
    only = cfg.get("mlp_only_layers")
    if only is not None:
        if not isinstance(only, (list, tuple)):
            raise VramlabError(f"config field 'mlp_only_layers' must be a list of layer indices, got {only!r}",
                               field="mlp_only_layers")
        cfg["mlp_only_layers"] = [_as_int(i, "mlp_only_layers", minimum=0, maximum=10_000) for i in only]


def _text_config(raw: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The language-model part of a config and its model_type."""
    mt = raw.get("model_type")
    if raw.get("text_config") is not None and not isinstance(raw["text_config"], Mapping):
        raise VramlabError(
            f"config field 'text_config' must be a JSON object, got {type(raw['text_config']).__name__}",
            field="text_config",
        )
    if mt is not None and not isinstance(mt, str):
        raise VramlabError(f"config field 'model_type' must be a string such as 'llama', got {mt!r}",
                           field="model_type")
    if isinstance(raw.get("text_config"), Mapping) and "num_hidden_layers" not in raw:
        text = dict(raw["text_config"])
        tmt = text.get("model_type") or (f"{mt}_text" if mt else None)
        return text, str(tmt or "unknown")
    if mt is None:
        arch = raw.get("architectures") or [""]
        guess = str(arch[0]).lower()
        for fam in sorted(EXACT_FAMILIES, key=len, reverse=True):
            if fam.replace("_", "") in guess:
                mt = fam
                break
    return dict(raw), str(mt or "unknown")


#: layer_types values read as full attention and as sliding-window attention.
_FULL_TYPES = ("full_attention", "full", "global", "global_attention")
_SLIDING_TYPES = ("sliding_attention", "sliding", "local")


def _layer_pattern(mt: str, cfg: Mapping[str, Any], n_layers: int) -> tuple[LayerAttention, ...]:
    window = _get(cfg, "sliding_window")
    if window is not None:
        window = _as_int(window, "sliding_window", maximum=10**9)
    types = cfg.get("layer_types")
    if types is not None:
        if not isinstance(types, (list, tuple)):
            raise VramlabError(
                f"config field 'layer_types' must be a list of {n_layers} strings "
                f"('full_attention' or 'sliding_attention'), got {types!r}",
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
                    raise VramlabError("config has sliding layers in 'layer_types' but no 'sliding_window'", field="sliding_window")
                out.append(LayerAttention("sliding", window))
            elif t in _FULL_TYPES:
                out.append(LayerAttention("full"))
            else:
                raise VramlabError(
                    f"config field 'layer_types' entry {i} must be one of "
                    f"{', '.join(_FULL_TYPES + _SLIDING_TYPES)}, got {t!r}",
                    field="layer_types",
                )
        return tuple(out)
    full = LayerAttention("full")
    if window is None:
        return (full,) * n_layers
    slide = LayerAttention("sliding", window)
    if mt == "gemma2":
        return tuple(slide if (i + 1) % 2 else full for i in range(n_layers))
    if mt == "gemma3_text":
        p = _get(cfg, "sliding_window_pattern", 6)
        return tuple(full if (i + 1) % p == 0 else slide for i in range(n_layers))
    if mt == "gpt_oss":
        return tuple(slide if (i + 1) % 2 else full for i in range(n_layers))
    if mt in ("qwen2", "qwen3", "qwen3_moe"):
        if not cfg.get("use_sliding_window", False):
            return (full,) * n_layers
        mwl = _get(cfg, "max_window_layers", n_layers)
        return tuple(slide if i >= mwl else full for i in range(n_layers))
    if mt in ("mistral", "mixtral", "phi3") or mt not in EXACT_FAMILIES:
        # transformers builds a sliding-window cache for every layer when the
        # config names a window and no layer_types (Mistral v0.1, Phi-3-mini's 2047).
        return (slide,) * n_layers
    return (full,) * n_layers


def from_config(config: Mapping[str, Any], name: str | None = None, meta: Mapping[str, Any] | None = None) -> ModelSpec:
    """Build a :class:`ModelSpec` from a config.json dict.

    Parameters
    ----------
    config : mapping
        The parsed config.json.
    name : str, optional
        Name shown in tables; defaults to ``_name_or_path`` or the model_type.
    meta : mapping, optional
        Preset metadata (source URL, model-card figures).

    Raises
    ------
    VramlabError
        When a needed field is missing or out of range, or heads do not divide.

    Examples
    --------
    >>> m = from_config({"model_type": "falcon", "multi_query": True, "num_kv_heads": 71})
    >>> m.num_kv_heads, m.attention_kind
    (1, 'MQA')
    """
    if not isinstance(config, Mapping):
        raise VramlabError(f"config must be a JSON object (dict), got {type(config).__name__}", field="config")
    raw = dict(config)
    text, mt = _text_config(raw)
    warnings: list[str] = []
    family = mt
    exact = mt in EXACT_FAMILIES
    if mt == "gemma3":  # a gemma3 config without text_config nesting
        family = mt = "gemma3_text"
    if raw.get("model_type") == "gemma3" and "text_config" in raw:
        warnings.append("multimodal model: counts are for the language model; the vision tower is excluded")
    cfg = dict(_FAMILY_DEFAULTS.get(mt, {}))
    cfg.update({k: v for k, v in text.items() if v is not None or k not in cfg})
    if mt == "gemma3_text" and "torch_dtype" not in cfg and raw.get("torch_dtype"):
        cfg["torch_dtype"] = raw["torch_dtype"]
    if not exact:
        warnings.append(
            f"model_type {mt!r} is not one of the exact families ({', '.join(EXACT_FAMILIES)}): "
            "parameter count is approximate (Llama-like layout assumed)"
        )
    label = name or raw.get("_name_or_path") or mt
    _check_fields(cfg)

    n_layers = _need_int(cfg, "num_hidden_layers", label, maximum=10_000)
    hidden = _need_int(cfg, "hidden_size", label)
    n_q = _need_int(cfg, "num_attention_heads", label, maximum=100_000)
    vocab = _need_int(cfg, "vocab_size", label, maximum=10**8)

    if mt == "falcon":
        if cfg.get("new_decoder_architecture"):
            n_kv = _as_int(_get(cfg, "num_kv_heads", n_q), "num_kv_heads")
        elif cfg.get("multi_query", True):
            n_kv = 1
        else:
            n_kv = n_q
        inter = _as_int(_get(cfg, "ffn_hidden_size", 4 * hidden), "ffn_hidden_size")
    else:
        n_kv = _as_int(_get(cfg, "num_key_value_heads", n_q), "num_key_value_heads")
        if mt in ("qwen3_moe", "deepseek_v2", "deepseek_v3", "mixtral", "gpt_oss") and _get(cfg, "intermediate_size") is None:
            inter = 0
        else:
            inter = _need_int(cfg, "intermediate_size", label, maximum=10**8)
    if n_kv > n_q or n_q % n_kv:
        raise VramlabError(
            f"num_attention_heads ({n_q}) must be a multiple of num_key_value_heads ({n_kv}); "
            f"valid num_key_value_heads are the divisors of {n_q}",
            field="num_key_value_heads",
        )
    hd = _get(cfg, "head_dim")
    is_mla = mt in ("deepseek_v2", "deepseek_v3") or _get(cfg, "kv_lora_rank") is not None
    if hd is None and is_mla:
        # MLA heads have no hidden/heads width: queries and keys are qk_nope + qk_rope wide
        hd = _get(cfg, "qk_nope_head_dim", 128) + _get(cfg, "qk_rope_head_dim", 64)
    if hd is None:
        if hidden % n_q:
            raise VramlabError(
                f"config has no 'head_dim' and hidden_size ({hidden}) is not divisible by "
                f"num_attention_heads ({n_q})",
                field="head_dim",
            )
        hd = hidden // n_q
    hd = _as_int(hd, "head_dim", maximum=100_000)

    kv_lora = qk_rope = None
    if is_mla:
        kv_lora = _need_int(cfg, "kv_lora_rank", label)
        qk_rope = _need_int(cfg, "qk_rope_head_dim", label)
        kind = "MLA"
        if mt not in ("deepseek_v2", "deepseek_v3"):
            warnings.append("MLA fields found outside the DeepSeek families: KV size follows MLA, count is approximate")
    elif n_kv == 1 and n_q > 1:
        kind = "MQA"
    elif n_kv == n_q:
        kind = "MHA"
    else:
        kind = "GQA"

    n_exp = _get(cfg, "num_local_experts", 0) or _get(cfg, "num_experts", 0) or _get(cfg, "n_routed_experts", 0) or 0
    k_exp = (_get(cfg, "num_experts_per_tok", 0) or _get(cfg, "experts_per_token", 0) or 0) if n_exp else 0
    if n_exp:
        if not (1 <= k_exp <= n_exp):
            raise VramlabError(
                f"num_experts_per_tok must be between 1 and the number of experts ({n_exp}), got {k_exp}",
                field="num_experts_per_tok",
            )
    layers = _layer_pattern(mt, cfg, n_layers)
    mpe = _get(cfg, "max_position_embeddings")
    return ModelSpec(
        name=str(label),
        model_type=family,
        num_layers=n_layers,
        num_q_heads=n_q,
        num_kv_heads=n_kv,
        head_dim=hd,
        hidden_size=hidden,
        vocab_size=vocab,
        intermediate_size=inter,
        attention_kind=kind,
        layers=layers,
        tie_word_embeddings=bool(cfg.get("tie_word_embeddings", True)),
        max_position_embeddings=mpe,
        torch_dtype=cfg.get("torch_dtype") or cfg.get("dtype") or raw.get("torch_dtype"),
        kv_lora_rank=kv_lora,
        qk_rope_head_dim=qk_rope,
        num_experts=n_exp,
        num_experts_per_tok=k_exp,
        exact=exact and not any("MLA fields" in w for w in warnings),
        warnings=tuple(warnings),
        config=cfg,
        hf_config=raw,
        meta=dict(meta or {}),
    )


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a config.json (parsed as JSON, never executed).

    >>> read_config_file("/nonexistent/config.json")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config file '/nonexistent/config.json' does not exist
    """
    p = Path(path)
    if not p.is_file():
        raise VramlabError(f"config file '{p}' does not exist", field="path")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise VramlabError(f"config file '{p}' is not valid JSON: {exc}", field="config") from None
    except RecursionError:
        raise VramlabError(f"config file '{p}' is not a config.json: JSON nested too deeply", field="config") from None
    except OSError as exc:
        raise VramlabError(f"config file '{p}' cannot be read: {exc.strerror or exc}", field="path") from None
    if not isinstance(data, dict):
        raise VramlabError(f"config file '{p}' must hold a JSON object, got {type(data).__name__}", field="config")
    return data
