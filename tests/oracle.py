"""Helpers for the transformers oracle tests: the functions of :mod:`vramlab.oracle`.

Nothing is downloaded: models are built from config dicts, on the meta device for
parameter counts and tiny on the CPU for forward passes. Importing this module skips the
calling test module when torch or transformers is missing.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from vramlab.oracle import (  # noqa: E402  (after the skips)
    TORCH_KV_DTYPES,
    build_model,
    cache_bytes,
    cache_layers,
    forward_cache,
    hf_config,
    meta_param_count,
    reduced_config,
    tensor_bytes,
)

__all__ = ["torch", "transformers", "TORCH_KV_DTYPES", "hf_config", "meta_param_count", "reduced_config",
           "build_model", "forward_cache", "cache_layers", "tensor_bytes", "cache_bytes", "one_torch_thread"]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Forward passes on one CPU thread (a module that imports this fixture uses it for all its tests)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
