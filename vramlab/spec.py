"""ModelSpec: the architecture facts vramlab needs, read from a Hugging Face config.json.

Families read exactly are those of :mod:`vramlab.families` (``EXACT_FAMILIES``: Llama, Qwen,
Gemma, GPT-2/NeoX/J, OPT, BLOOM, Phi, OLMo, GLM, DeepSeek, gpt-oss, Llama-4, hybrids with
linear attention or Mamba layers, ...; README "Model coverage" lists them all). Encoders and
decoders whose blocks the table does not describe are refused by name. Any other decoder
that carries the standard fields (hidden_size, num_hidden_layers, num_attention_heads,
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
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .dtypes import TORCH_DTYPE_NAMES
from .errors import VramlabError, show
from .families import (ALIASES, FAMILIES, FIELDS, Family, check_field, get_family, merge_defaults, refusal,
                       validate_fields, weight_format)
from .families.towers import tower_params
from .fields import get_field, need_int
from .layers import ATTENTION_KINDS, STATE_KINDS, LayerAttention, block_types, layer_pattern, mamba_dims  # noqa: F401

__all__ = ["ModelSpec", "LayerAttention", "ATTENTION_KINDS", "STATE_KINDS", "from_config", "EXACT_FAMILIES", "read_config_file", "parse_config_json",
           "MAX_CONFIG_BYTES"]

#: model_type values whose parameter count and KV layout are exact (the family table).
EXACT_FAMILIES = tuple(k for k, f in FAMILIES.items() if f.exact) + tuple(ALIASES)

#: Largest config.json read (real ones are a few KiB; multimodal ones under 100 KiB).
MAX_CONFIG_BYTES = 64 * 2**20

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
    torch_dtype : str or None
        The checkpoint's dtype (``float32``, ``float16``, ``bfloat16``) from ``dtype`` or
        ``torch_dtype``; None when the config names none.
    weight_format : str or None
        The vramlab weight format its ``quantization_config`` names (``"fp8"``, ``"int4"``,
        ``"nf4"``, ...), None for an unquantized checkpoint.
    exact : bool
        False for the generic path, whose parameter count is approximate, and for a multimodal
        checkpoint whose vision tower vramlab does not count: the flag covers the whole checkpoint.
    tower_params : int
        Parameters of the vision encoder and projector of a multimodal checkpoint
        (:mod:`vramlab.families.towers`; 0 for a text model).
    language_model_exact : bool
        The language model's count is exact (``exact`` without the vision tower's part: what
        transformers' causal-LM class of a multimodal family builds).
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
    weight_format: str | None = None
    exact: bool = True
    warnings: tuple[str, ...] = ()
    tower_params: int = 0
    language_model_exact: bool = True
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
    def num_attention_layers(self) -> int:
        """Layers that cache K/V per token (full, sliding, chunked); the others keep a state."""
        return sum(la.is_attention for la in self.layers)

    @property
    def state_elements_per_sequence(self) -> dict[str, int]:
        """Fixed cache values per sequence of the linear-attention layers: conv and recurrent.

        >>> from vramlab import load_model
        >>> load_model("Qwen/Qwen3-8B").state_elements_per_sequence
        {'conv': 0, 'recurrent': 0}
        """
        self.require_cache()
        return {"conv": sum(la.conv_state for la in self.layers),
                "recurrent": sum(la.recurrent_state for la in self.layers)}

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
        self.require_cache()
        if self.attention_kind == "MLA":
            return int(self.kv_lora_rank) + int(self.qk_rope_head_dim)
        return 2 * self.num_kv_heads * self.head_dim

    def require_cache(self) -> None:
        """Refuse, with the reason, a family whose cache vramlab does not model (parameters only).

        >>> from vramlab import load_model
        >>> load_model("Qwen/Qwen3-8B").require_cache() is None
        True
        """
        why = get_family(self.model_type).cache_refusal
        if why:
            raise VramlabError(f"{self.name} ({self.model_type}): vramlab counts its parameters but does not model "
                               f"its cache: {why}", field="model")

    def param_count(self, towers: bool = True) -> int:
        """Exact number of parameters (as transformers counts them). See :mod:`vramlab.params`.

        ``towers=False``: the language model alone, without a multimodal checkpoint's vision tower.
        """
        return _counter("param_count")(self, towers=towers)

    def param_breakdown(self) -> dict[str, int]:
        """Parameters by component; the values sum to :meth:`param_count`."""
        return _counter("param_breakdown")(self)

    def active_param_count(self) -> int:
        """Parameters used per token (MoE: only the routed experts chosen)."""
        return _counter("active_param_count")(self)

    def __repr__(self) -> str:
        """One line: id, family, layers, heads, parameters (:func:`vramlab.report.model_line`)."""
        from .report import model_line
        return model_line(self)

    def describe(self) -> str:
        """Every field, the layer pattern and the warnings (:func:`vramlab.report.model_text`)."""
        from .report import model_text
        return model_text(self)


#: The functions behind ModelSpec.param_count / param_breakdown / active_param_count. They
#: live in :mod:`vramlab.params`, one floor above this module, which installs them here when
#: it is imported (``import vramlab`` does): spec never imports params, so there is no cycle.
PARAM_COUNTERS: dict[str, Any] = {}


def _counter(name: str) -> Any:
    return PARAM_COUNTERS[name]  # vramlab/__init__.py imports params, so they are installed


# ---------------------------------------------------------------------------
def _text_config(raw: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The language-model part of a config and its model_type."""
    mt = raw.get("model_type")
    if raw.get("text_config") is not None and not isinstance(raw["text_config"], Mapping):
        raise VramlabError(
            f"config field 'text_config' must be a JSON object, got {type(raw['text_config']).__name__}",
            field="text_config",
        )
    if mt is not None and not isinstance(mt, str):
        raise VramlabError(f"config field 'model_type' must be a string such as 'llama', got {show(mt)}",
                           field="model_type")
    if isinstance(raw.get("text_config"), Mapping) and "num_hidden_layers" not in raw:
        text = dict(raw["text_config"])
        tmt = text.get("model_type") or (f"{mt}_text" if mt else None)
        if not isinstance(tmt, str):
            raise VramlabError(f"config field 'text_config.model_type' must be a string, got {show(tmt)}",
                               field="model_type")
        return text, tmt
    if mt is None:
        arch = check_field("architectures", raw["architectures"]) if raw.get("architectures") is not None else []
        guess = str(arch[0]).lower() if arch else ""
        for fam in sorted(EXACT_FAMILIES, key=len, reverse=True):
            if fam.replace("_", "") in guess:
                mt = fam
                break
    return dict(raw), str(mt or "unknown")


def _torch_dtype(text: Mapping[str, Any], raw: Mapping[str, Any], family: Family) -> str | None:
    """The checkpoint dtype: ``dtype`` (transformers >= 4.56 writes it), else ``torch_dtype``.

    The text config is read before the outer (multimodal) one; the family's default applies
    only when neither key is given.
    """
    for where in (text, raw):
        for key in ("dtype", "torch_dtype"):
            v = where.get(key)
            if v is None:
                continue
            if not isinstance(v, str) or v.replace("torch.", "") not in TORCH_DTYPE_NAMES:
                raise VramlabError(
                    f"config field {key!r} must be one of {', '.join(TORCH_DTYPE_NAMES)}, got {show(v)}", field=key)
            return v.replace("torch.", "")
    return family.defaults.get("torch_dtype")


def _has_dense_layers(family: Family, cfg: Mapping[str, Any]) -> bool:
    if family.moe_layers == "first_k_dense":
        return get_field(cfg, "first_k_dense_replace", 0) > 0 or get_field(cfg, "moe_layer_freq", 1) > 1
    if family.moe_layers == "sparse_step":
        return bool(cfg.get("mlp_only_layers")) or get_field(cfg, "decoder_sparse_step", 1) > 1
    if family.moe_layers == "range":
        return True  # ERNIE-4.5: layers outside the range are dense
    if family.moe_layers == "interleave":
        return cfg.get("moe_layers") is not None or get_field(cfg, "interleave_moe_layer_step", 1) > 1
    return family.moe_layers == "period"


def _geometry(cfg: Mapping[str, Any], family: Family, label: str) -> dict[str, int]:
    """Layers, hidden size, query/KV heads, vocabulary and dense MLP width."""
    g = {"num_layers": need_int(cfg, "num_hidden_layers", label), "hidden_size": need_int(cfg, "hidden_size", label),
         "num_q_heads": need_int(cfg, "num_attention_heads", label), "vocab_size": need_int(cfg, "vocab_size", label)}
    n_q, hidden = g["num_q_heads"], g["hidden_size"]
    if family.layout == "falcon":
        if cfg.get("new_decoder_architecture"):
            n_kv = get_field(cfg, "num_kv_heads", n_q)
        else:
            n_kv = 1 if cfg.get("multi_query", True) else n_q
        inter = get_field(cfg, "ffn_hidden_size", 4 * hidden)
    else:
        n_kv = get_field(cfg, "num_key_value_heads", n_q)
        inter = get_field(cfg, family.mlp_width_key)
        if inter is None and family.mlp_width_default:  # GPT-2, GPT-J: n_inner null is 4 x hidden
            inter = family.mlp_width_default * hidden
        if inter is None:
            width_elsewhere = family.moe and family.expert_width_key != "intermediate_size"
            if not width_elsewhere or _has_dense_layers(family, cfg):
                inter = need_int(cfg, family.mlp_width_key, label)
            inter = inter or 0  # every MLP is an expert of moe_intermediate_size
    if n_kv > n_q or n_q % n_kv:
        raise VramlabError(
            f"num_attention_heads ({n_q}) must be a multiple of num_key_value_heads ({n_kv}); "
            f"valid num_key_value_heads are the divisors of {n_q}",
            field="num_key_value_heads",
        )
    return {**g, "num_kv_heads": n_kv, "intermediate_size": inter}


def _attention(cfg: Mapping[str, Any], family: Family, g: Mapping[str, int], label: str,
               warnings: list[str]) -> dict[str, Any]:
    """head_dim, attention kind and the MLA latent sizes."""
    hidden, n_q, n_kv = g["hidden_size"], g["num_q_heads"], g["num_kv_heads"]
    hd = cfg.get("head_dim")  # null: hidden / heads, as transformers derives it
    is_mla = family.layout == "mla" or cfg.get("kv_lora_rank") is not None
    if is_mla and family.layout == "mla":
        # MLA heads have no hidden/heads width: queries and keys are qk_nope + qk_rope wide (configs saved by
        # transformers 5 write head_dim = qk_rope_head_dim, the RoPE slice, which is not the head's width)
        hd = get_field(cfg, "qk_nope_head_dim", 128) + get_field(cfg, "qk_rope_head_dim", 64)
    elif hd is None and is_mla:
        hd = get_field(cfg, "qk_nope_head_dim", 128) + get_field(cfg, "qk_rope_head_dim", 64)
    if hd is None:
        if hidden % n_q:
            raise VramlabError(
                f"config has no 'head_dim' and hidden_size ({hidden}) is not divisible by "
                f"num_attention_heads ({n_q})",
                field="head_dim",
            )
        hd = hidden // n_q
    out: dict[str, Any] = {"head_dim": check_field("head_dim", hd), "kv_lora_rank": None, "qk_rope_head_dim": None}
    if is_mla:
        out.update(kv_lora_rank=need_int(cfg, "kv_lora_rank", label),
                   qk_rope_head_dim=need_int(cfg, "qk_rope_head_dim", label), attention_kind="MLA")
        if family.layout != "mla":
            warnings.append("MLA fields found outside the DeepSeek families: KV size follows MLA, count is approximate")
    elif n_kv == 1 and n_q > 1:
        out["attention_kind"] = "MQA"
    elif n_kv == n_q:
        out["attention_kind"] = "MHA"
    else:
        out["attention_kind"] = "GQA"
    return out


def _experts(cfg: Mapping[str, Any], given: Mapping[str, Any], family: Family, label: str) -> tuple[int, int]:
    """(routed experts, experts per token); (0, 0) for a dense model.

    A MoE family is never silently dense: zero experts are refused. Experts without a count
    per token (DeepseekV2Config's default is None; transformers builds that model) give 0
    per token, meaning unknown: the parameter count needs none, and what does (active
    parameters, activations) refuses, naming ``num_experts_per_tok``. The file's own
    spelling of the expert count wins over the family default of another spelling
    (``num_experts`` vs ``num_local_experts``).
    """
    keys = family.experts_keys
    n = next((given[k] for k in keys if given.get(k) is not None), None)
    if n is None:
        n = next((cfg[k] for k in keys if cfg.get(k) is not None), None)
    k = get_field(cfg, "num_experts_per_tok", cfg.get("experts_per_token"))
    if n is None and family.moe:
        raise VramlabError(f"config of {label!r} is missing {keys[0]!r}, the number of routed experts of a "
                           f"{family.model_type} model (an integer >= 1)", field=keys[0])
    if not n:
        if family.moe:
            raise VramlabError(f"config field {keys[0]!r} must be at least 1 for {family.model_type} (a mixture of "
                               f"experts), got {show(n)}; a dense model has another model_type", field=keys[0])
        if k and any(given.get(key) is not None for key in keys):
            raise VramlabError(f"num_experts_per_tok is {k} but the number of experts is 0; valid: both 0 "
                               "(dense) or 1 <= num_experts_per_tok <= experts", field="num_experts_per_tok")
        return 0, 0
    if k is None:
        return n, 0  # unknown: vramlab.params.experts_per_token refuses for what needs it
    if not (1 <= k <= n):
        raise VramlabError(
            f"num_experts_per_tok must be between 1 and the number of experts ({n}), got {k}",
            field="num_experts_per_tok",
        )
    return n, k


def _read_family(config: Any) -> tuple[dict[str, Any], dict[str, Any], str, Family, list[str]]:
    """The raw config, its language-model part, model_type, family and first warnings."""
    if not isinstance(config, Mapping):
        raise VramlabError(f"config must be a JSON object (dict), got {type(config).__name__}", field="config")
    raw = dict(config)
    if raw.get("architectures") is not None:
        check_field("architectures", raw["architectures"])
    text, mt = _text_config(raw)
    why = refusal(mt)
    if why:
        raise VramlabError(why, field="model_type")
    family = get_family(mt)
    warnings: list[str] = []
    if (isinstance(raw.get("text_config"), Mapping) and "num_hidden_layers" not in raw
            and raw.get("vision_config") is None):
        warnings.append("multimodal model without a vision_config: counts are for the language model")
    if not family.exact:
        warnings.append(
            f"model_type {mt!r} is not one of the exact families ({', '.join(EXACT_FAMILIES)}): "
            "parameter count is approximate (Llama-like layout assumed)"
        )
    return raw, text, (family.model_type if family.exact else mt), family, warnings


#: Spellings of the layer count across the families' config classes.
_LAYER_COUNT_KEYS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers", "decoder_layers", "num_decoder_layers")


def _check_layer_counts(cfg: Mapping[str, Any]) -> None:
    """Refuse a layer count out of range under any of its spellings (1 to 10,000, as :data:`FIELDS` says)."""
    top = FIELDS["num_hidden_layers"].maximum
    for key in _LAYER_COUNT_KEYS:
        v = cfg.get(key)
        if v is None:
            continue
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= top:
            raise VramlabError(f"config field {key!r} (the number of layers) must be an integer between 1 and "
                               f"{top:,}, got {show(v)}", field=key)


def from_config(config: Mapping[str, Any], name: str | None = None, meta: Mapping[str, Any] | None = None) -> ModelSpec:
    """Build a :class:`ModelSpec` from a config.json dict.

    Every field vramlab reads is validated here, once (:data:`vramlab.families.FIELDS`).
    Missing fields take the transformers default of the family where the family table has
    one (sizes that differ between its members are required); nulls mean what transformers
    means by them; ``dtype`` is read before ``torch_dtype``; the ``quantization_config`` is
    read into ``weight_format``.

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
    >>> m = from_config({"model_type": "mistral", "hidden_size": 5120, "intermediate_size": 14336,
    ...                  "num_hidden_layers": 40, "num_attention_heads": 32, "num_key_value_heads": 8,
    ...                  "head_dim": 128, "vocab_size": 131072, "sliding_window": None})
    >>> m.sliding_window is None          # null: no window (Mistral-Nemo)
    True
    """
    raw, text, mt, family, warnings = _read_family(config)
    label = str(name or raw.get("_name_or_path") or mt)
    cfg = merge_defaults(family, text)
    _check_layer_counts(cfg)  # under every spelling, before a prepare hook builds per-layer lists from them
    if family.prepare is not None:  # the family's own field names, read into the standard ones
        family.prepare(cfg)
    if family.layer_pattern in ("max_window_layers", "qwen2_moe") and cfg.get("use_sliding_window") is False:
        # transformers: sliding_window if use_sliding_window else None (Qwen2-MoE writes 0 then)
        cfg["sliding_window"] = None
    validate_fields(cfg)
    if family.blocks:  # Nemotron-H: the layers are its list of blocks
        cfg["num_hidden_layers"] = len(block_types(cfg, mt))
    given = {k: v for k, v in cfg.items() if text.get(k) is not None}
    torch_dtype = _torch_dtype(text, raw, family)
    fmt = weight_format(raw.get("quantization_config", text.get("quantization_config")))
    g = _geometry(cfg, family, label)
    att = _attention(cfg, family, g, label, warnings)
    n_exp, k_exp = _experts(cfg, given, family, label)
    tower, what = (0, "") if text is raw else tower_params(raw, g["hidden_size"])
    if tower is None:
        warnings.append(f"multimodal model: {what}; counts are for the language model only (approximate)")
    elif tower:
        warnings.append(f"multimodal model: the {what} ({tower:,} parameters) are counted with the language "
                        "model, as vLLM loads them; param_count(towers=False) gives the language model alone")
    return ModelSpec(
        name=label,
        model_type=mt,
        **g,
        **att,
        layers=layer_pattern(family, cfg, g["num_layers"], mt),
        tie_word_embeddings=bool(cfg.get("tie_word_embeddings", True)),
        max_position_embeddings=get_field(cfg, "max_position_embeddings"),
        torch_dtype=torch_dtype,
        weight_format=fmt,
        num_experts=n_exp,
        num_experts_per_tok=k_exp,
        exact=family.exact and tower is not None and not any("MLA fields" in w for w in warnings),
        warnings=tuple(warnings),
        tower_params=tower or 0,
        language_model_exact=family.exact and not any("MLA fields" in w for w in warnings),
        config=cfg,
        hf_config=raw,
        meta=dict(meta or {}),
    )


class _Constant:
    """NaN, Infinity or -Infinity as read by json (JSON itself has no such numbers)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _has_constant(v: Any) -> bool:
    return isinstance(v, _Constant) or (isinstance(v, list) and any(_has_constant(x) for x in v))


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for k, v in pairs:
        if _has_constant(v):
            raise ValueError(f"config field {k!r} holds NaN or Infinity, which is not a JSON number")
    return dict(pairs)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a config.json: a regular file of at most 64 MiB, parsed as strict JSON, never executed.

    Every decoding failure is a VramlabError: invalid UTF-8 or JSON, NaN/Infinity, integers
    over Python's 4,300-digit limit, nesting too deep for the parser.

    >>> read_config_file("/nonexistent/config.json")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config file '/nonexistent/config.json' does not exist
    """
    p = Path(path)
    try:
        st = p.stat()
    except (OSError, ValueError):
        raise VramlabError(f"config file '{p}' does not exist", field="path") from None
    if not stat.S_ISREG(st.st_mode):
        raise VramlabError(f"config file '{p}' is not a regular file", field="path")
    if st.st_size > MAX_CONFIG_BYTES:
        raise VramlabError(f"config file '{p}' is {st.st_size:,} bytes; a config.json is at most "
                           f"{MAX_CONFIG_BYTES:,} bytes (64 MiB)", field="path")
    try:
        with p.open("rb") as fh:
            data_bytes = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise VramlabError(f"config file '{p}' cannot be read: {exc.strerror or exc}", field="path") from None
    if len(data_bytes) > MAX_CONFIG_BYTES:
        raise VramlabError(f"config file '{p}' is larger than {MAX_CONFIG_BYTES:,} bytes (64 MiB)", field="path")
    return parse_config_json(data_bytes, f"config file '{p}'")


def parse_config_json(text: str | bytes, where: str = "config.json") -> dict[str, Any]:
    """Parse the text of a config.json strictly; every decoding failure is a VramlabError.

    Invalid UTF-8 or JSON, NaN/Infinity (no JSON numbers), integers over Python's 4,300-digit
    limit and nesting too deep for the parser are refused; the result must be an object.

    >>> parse_config_json('{"hidden_size": 4096}')
    {'hidden_size': 4096}
    >>> parse_config_json('{"rope_theta": NaN}')
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config.json is not valid JSON: config field 'rope_theta' holds NaN or Infinity, which is not a JSON number
    """
    if len(text) > MAX_CONFIG_BYTES:
        raise VramlabError(f"{where} is larger than {MAX_CONFIG_BYTES:,} bytes (64 MiB)", field="config")
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        data = json.loads(text, parse_constant=_Constant, object_pairs_hook=_strict_object)
    except RecursionError:
        raise VramlabError(f"{where} is not a config.json: JSON nested too deeply", field="config") from None
    except (ValueError, TypeError) as exc:  # JSONDecodeError, UnicodeDecodeError, the int-digits limit, NaN
        raise VramlabError(f"{where} is not valid JSON: {exc}", field="config") from None
    if not isinstance(data, dict):
        raise VramlabError(f"{where} must hold a JSON object, got {type(data).__name__}", field="config")
    return data
