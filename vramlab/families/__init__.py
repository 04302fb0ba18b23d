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

from typing import Any, Mapping

from ..fields import FIELDS, FieldRule, check_field  # noqa: F401  (re-exported: spec reads them here)
from ..quantization import QUANT_METHODS, weight_format  # noqa: F401  (re-exported: spec reads them here)
from . import classic, core, encoders, hybrid, llama_like, moe, recurrent, special
from .family import MOE_QUANTIZES, QUANTIZED_COMPONENTS, Family

#: The table modules, one per group of families: each holds ``FAMILIES`` and ``ALIASES``.
GROUPS = (core, classic, llama_like, moe, hybrid, recurrent, special, encoders)

#: Every family vramlab sizes, by ``model_type``.
FAMILIES: dict[str, Family] = {mt: f for g in GROUPS for mt, f in g.FAMILIES.items()}
#: model_type spellings that name a family of the table.
ALIASES: dict[str, str] = {a: t for g in GROUPS for a, t in g.ALIASES.items()}
GENERIC, NOT_DECODERS = core.GENERIC, core.NOT_DECODERS
#: Decoder model_types vramlab refuses, with what it does not know (a group's reason wins over the core table's).
UNMODELLED: dict[str, str] = {mt: why for g in GROUPS for mt, why in getattr(g, "UNMODELLED", {}).items()}

__all__ = [
    "Family", "FAMILIES", "GENERIC", "FieldRule", "FIELDS", "QUANTIZED_COMPONENTS", "get_family", "family_of",
    "norms_per_layer", "has_qk_norm", "has_qkv_bias", "flag", "expert_width", "shared_expert_width",
    "quantized_components", "llama_like_family", "NOT_DECODERS", "UNMODELLED", "refusal",
]

def refusal(model_type: str) -> str | None:
    """Why vramlab refuses a ``model_type`` (None when it sizes it, exactly or approximately).

    >>> refusal("llama") is None
    True
    >>> refusal("bert") is None   # counted exactly; its cache is refused (vramlab.families.encoders)
    True
    """
    if model_type in NOT_DECODERS and ALIASES.get(model_type, model_type) not in FAMILIES:
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
