"""Helpers for the transformers oracle tests: build real models from preset configs.

Nothing is downloaded: models are built from config dicts, on the meta device for
parameter counts and tiny on the CPU for forward passes.
"""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def hf_config(config: dict):
    """A transformers config object from a config dict (the text config for multimodal)."""
    cfg = copy.deepcopy(config)
    if cfg.get("model_type") == "gemma3" and "text_config" in cfg:
        text = cfg["text_config"]
        text.setdefault("model_type", "gemma3_text")
        cfg = text
    cfg.pop("quantization_config", None)  # build plain bf16 modules; counts are unchanged
    cls = transformers.AutoConfig.for_model(cfg["model_type"]).__class__
    return cls(**{k: v for k, v in cfg.items() if k != "model_type"})


def meta_param_count(config: dict) -> int:
    """Parameters of the transformers causal-LM model built on the meta device."""
    c = hf_config(config)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(c)
    return sum(p.numel() for p in model.parameters())


# -- reduced models for the KV-cache oracle --------------------------------------------------
TORCH_KV_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def reduced_config(model_id: str, **overrides) -> dict:
    """A preset's config.json with ``overrides`` applied to its (text) config.

    Token ids are reset to 0 so that they fit a small vocabulary.
    """
    from vramlab.presets import preset_record

    cfg = copy.deepcopy(preset_record(model_id)["config"])
    text = cfg["text_config"] if isinstance(cfg.get("text_config"), dict) else cfg
    text.update(overrides)
    for key in ("pad_token_id", "bos_token_id", "eos_token_id"):
        if key in text:
            text[key] = 0
    return cfg


def build_model(config: dict, dtype: str = "float32", seed: int = 0):
    """A randomly initialised causal LM on the CPU, in eval mode."""
    torch.manual_seed(seed)
    c = hf_config(config)
    model = transformers.AutoModelForCausalLM.from_config(c, dtype=getattr(torch, dtype))
    return model.eval()


def forward_cache(model, tokens: int, batch: int = 1, seed: int = 0):
    """One forward pass with ``use_cache=True`` over ``batch`` x ``tokens`` random ids."""
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
    if hasattr(cache, "layers"):
        return [(layer.keys, layer.values) for layer in cache.layers]
    if hasattr(cache, "key_cache"):
        return list(zip(cache.key_cache, cache.value_cache))
    return [(k, v) for k, v, *_ in cache]


def tensor_bytes(t) -> int:
    """Bytes held by a tensor's elements."""
    return t.numel() * t.element_size()


def cache_bytes(cache) -> int:
    """Bytes of every key and value tensor the cache holds."""
    return sum(tensor_bytes(k) + tensor_bytes(v) for k, v in cache_layers(cache))
