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
