"""The optional oracle: real transformers models built on the CPU, to check vramlab's formulas.

Nothing is downloaded: a model is built from a preset's config dict with random weights,
either on the meta device (parameter counts, no memory) or tiny on the CPU (a forward pass
whose KV-cache tensors are measured). torch and transformers are optional
(``pip install 'vramlab[oracle]'``) and are imported inside the functions only, so that
``import vramlab.oracle`` stays light; :func:`oracle_available` says whether they are there.

The test suite's oracle helpers (``tests/oracle.py``) are these functions.

>>> isinstance(oracle_available(), bool)
True
"""

from __future__ import annotations

import copy
import importlib.util
from typing import Any

from .errors import VramlabError, check_int

__all__ = [
    "oracle_available", "ORACLE_GEOMETRY", "TORCH_KV_DTYPES", "hf_config", "meta_param_count",
    "reduced_config", "build_model", "forward_cache", "cache_layers", "tensor_bytes", "cache_bytes", "state_tensors",
    "indexer_bytes",
    "transformers_kv_oracle", "causal_lm_model_types", "default_config", "default_meta_param_count",
]

#: Shrunk geometry for :func:`transformers_kv_oracle`: small enough to run on a CPU in well
#: under a second.
ORACLE_GEOMETRY = {"num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128,
                   "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 256}

#: torch dtype names and the vramlab KV-cache formats of the same width.
TORCH_KV_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def oracle_available() -> bool:
    """True when torch and transformers can be imported (nothing is imported to find out).

    >>> isinstance(oracle_available(), bool)
    True
    """
    return all(importlib.util.find_spec(x) is not None for x in ("torch", "transformers"))


def _require() -> tuple[Any, Any]:
    if not oracle_available():
        raise VramlabError("oracle needs torch and transformers; valid: install them (pip install 'vramlab[oracle]')",
                           field="oracle")
    import torch
    import transformers

    return torch, transformers


def hf_config(config: dict):
    """A transformers config object from a config dict (the text config for multimodal).

    Raises :class:`VramlabError` when torch or transformers is missing.
    """
    _, transformers = _require()
    cfg = copy.deepcopy(dict(config))
    if cfg.get("model_type") == "gemma3" and "text_config" in cfg:
        text = cfg["text_config"]
        text.setdefault("model_type", "gemma3_text")
        cfg = text
    cfg.pop("quantization_config", None)  # build plain modules; parameter counts are unchanged
    cls = transformers.AutoConfig.for_model(cfg["model_type"]).__class__
    return cls(**{k: v for k, v in cfg.items() if k != "model_type"})


def meta_param_count(config: dict) -> int:
    """Parameters of the transformers causal-LM model built on the meta device (no memory used)."""
    torch, transformers = _require()
    c = hf_config(config)
    if type(c) not in transformers.MODEL_FOR_CAUSAL_LM_MAPPING and isinstance(config.get("text_config"), dict):
        c = hf_config(config["text_config"])  # a multimodal config without a causal-LM class: its language model
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(c)
    return sum(p.numel() for p in model.parameters())


def reduced_config(model_id: str, **overrides: Any) -> dict:
    """A preset's config.json with ``overrides`` applied to its (text) config.

    Token ids are reset to 0 so that they fit a small vocabulary. Needs neither torch nor
    transformers.

    >>> reduced_config("Qwen/Qwen3-8B", num_hidden_layers=2)["num_hidden_layers"]
    2
    """
    from .presets import preset_record

    cfg = copy.deepcopy(preset_record(model_id)["config"])
    text = cfg["text_config"] if isinstance(cfg.get("text_config"), dict) else cfg
    text.update(overrides)
    for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
        if key in text:
            text[key] = 0
    return cfg


def build_model(config: dict, dtype: str = "float32", seed: int = 0):
    """A randomly initialised causal LM on the CPU, in eval mode."""
    torch, transformers = _require()
    if dtype not in TORCH_KV_DTYPES:
        raise VramlabError(f"dtype {dtype!r} is unknown; valid: {', '.join(TORCH_KV_DTYPES)}", field="dtype")
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(hf_config(config), dtype=getattr(torch, dtype))
    return model.eval()


def forward_cache(model, tokens: int, batch: int = 1, seed: int = 0):
    """One forward pass with ``use_cache=True`` over ``batch`` x ``tokens`` random ids; the cache."""
    torch, _ = _require()
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, tokens), generator=g)
    with torch.no_grad():
        out = model(input_ids=ids, use_cache=True)
    return out.past_key_values


def cache_layers(cache) -> list:
    """(keys, values) tensors per layer, whatever the cache API of the transformers version.

    transformers 5.x: ``cache.layers[i].keys`` / ``.values``; 4.4x: ``cache.key_cache`` /
    ``cache.value_cache`` lists; older: a tuple of ``(key, value)`` tuples.
    """
    if hasattr(cache, "layers"):  # linear-attention layers hold no keys: see state_tensors
        return [(layer.keys, layer.values) for layer in cache.layers if getattr(layer, "keys", None) is not None]
    if hasattr(cache, "key_cache"):
        return list(zip(cache.key_cache, cache.value_cache))
    return [(k, v) for k, v, *_ in cache]


def tensor_bytes(t) -> int:
    """Bytes held by a tensor's elements."""
    return t.numel() * t.element_size()


def state_tensors(cache) -> dict[str, list]:
    """The fixed per-sequence states of linear-attention layers: ``{"conv": [...], "recurrent": [...]}``.

    transformers 5.x ``LinearAttentionLayer``: ``conv_states`` and ``recurrent_states`` dicts;
    MiniMax: ``MiniMaxCache.linear_cache``.
    """
    out: dict[str, list] = {"conv": [], "recurrent": []}
    for layer in getattr(cache, "layers", []):
        for kind in out:
            out[kind] += [t for t in (getattr(layer, f"{kind}_states", None) or {}).values() if t is not None]
    # MiniMax's MiniMaxCache keeps the Lightning-attention state in a list of its own
    out["recurrent"] += [t for t in getattr(cache, "linear_cache", []) if hasattr(t, "numel")]
    return out


def indexer_bytes(cache) -> int:
    """Bytes of the sparse-attention indexer keys (DeepSeek-V3.2's ``DynamicIndexedLayer.indexer_keys``)."""
    keys = (getattr(layer, "indexer_keys", None) for layer in getattr(cache, "layers", []))
    return sum(tensor_bytes(t) for t in keys if t is not None)


def cache_bytes(cache) -> int:
    """Bytes of every key and value tensor the cache holds, plus linear-attention states and indexer keys."""
    states = sum(tensor_bytes(t) for ts in state_tensors(cache).values() for t in ts)
    return states + indexer_bytes(cache) + sum(tensor_bytes(k) + tensor_bytes(v) for k, v in cache_layers(cache))


def transformers_kv_oracle(model: str = "Qwen/Qwen3-8B", tokens: int = 64, batch: int = 1, seed: int = 0,
                           **overrides: Any) -> dict[str, Any]:
    """Real KV-cache tensors of a tiny random model built from a preset's config, vs the formula.

    The preset's config is shrunk (:data:`ORACLE_GEOMETRY`, then ``overrides``), built with
    transformers on the CPU in float32, run once over ``batch × tokens`` random ids with
    ``use_cache=True``; the bytes of every key and value tensor are summed and set beside
    :func:`vramlab.kv_cache_bytes` of the same shrunk config. Nothing is downloaded.

    Returns
    -------
    dict
        ``model``, ``tokens``, ``batch``, ``layers``, ``key_shape``, ``measured_bytes``,
        ``formula_bytes``.

    Raises
    ------
    VramlabError
        torch or transformers is missing; ``tokens`` or ``batch`` out of range; an unknown preset.
    """
    from .memory import kv_cache_bytes
    from .presets import load_model

    tokens = check_int("tokens", tokens, minimum=1, maximum=4096)
    batch = check_int("batch", batch, minimum=1, maximum=64)
    _require()
    cfg = reduced_config(model, **{**ORACLE_GEOMETRY, **overrides})
    cache = forward_cache(build_model(cfg, "float32", seed), tokens, batch, seed)
    pairs = cache_layers(cache)
    spec = load_model(cfg, name=f"{model} (shrunk)")
    return {"model": model, "tokens": tokens, "batch": batch, "layers": len(pairs),
            "key_shape": tuple(pairs[0][0].shape), "measured_bytes": cache_bytes(cache),
            "formula_bytes": kv_cache_bytes(spec, tokens, batch, "fp32")}


# -- the coverage sweep: transformers' own default configs ------------------------------------
def causal_lm_model_types() -> list[str]:
    """Every ``model_type`` of the installed transformers' causal-LM mapping, sorted."""
    _require()
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    return sorted(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES)


def default_config(model_type: str) -> dict:
    """The default config of a model_type's transformers config class, as a config.json dict.

    Raises whatever the config class raises when its own defaults do not validate.
    """
    _, transformers = _require()
    d = transformers.AutoConfig.for_model(model_type).to_dict()
    d["model_type"] = model_type
    return d


def default_meta_param_count(model_type: str) -> int:
    """Parameters of transformers' causal LM built on the meta device from the default config.

    For a multimodal config (one whose text config is another object) the language model is
    built from its text config, as vramlab counts the language model only. Raises whatever
    transformers raises when its own default config does not build.
    """
    torch, transformers = _require()
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    cfg = transformers.AutoConfig.for_model(model_type)
    text = cfg.get_text_config()
    if text is not cfg and MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(text.model_type):
        cfg = text
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg)
    return sum(p.numel() for p in model.parameters())
