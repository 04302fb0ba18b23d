"""vramlab: how much GPU memory a large language model needs, derived, explained and checked.

Sizes are integers of bytes; GB means 10**9 bytes and GiB means 2**30 bytes.
Importing vramlab is light: sympy, pandas, matplotlib and ipywidgets load only inside
the functions that need them.

>>> import vramlab as vl
>>> m = vl.load_model("Qwen/Qwen3-8B")
>>> vl.format_bytes(vl.weights_bytes(m, "bf16"), "GB")
'16.38 GB'
"""

from __future__ import annotations

from .dtypes import DType, get_dtype, list_dtypes
from .errors import VramlabError
from .memory import (
    Estimate,
    activation_bytes,
    estimate,
    kv_bytes_per_layer,
    kv_bytes_per_token,
    kv_cache_bytes,
    weights_breakdown,
    weights_bytes,
)
from .params import active_param_count, param_breakdown, param_count
from .presets import list_models, load_model
from .gpus import GPU, get_gpu, list_gpus
from .spec import LayerAttention, ModelSpec
from .units import GB, GiB, KB, KiB, MB, MiB, format_both, format_bytes, from_unit, parse_bytes, to_unit

__version__ = "0.1.0"

__all__ = [
    "DType", "Estimate", "GPU", "get_gpu", "list_gpus", "LayerAttention", "ModelSpec", "VramlabError",
    "GB", "GiB", "KB", "KiB", "MB", "MiB",
    "activation_bytes", "active_param_count", "estimate", "format_both", "format_bytes",
    "from_unit", "get_dtype", "kv_bytes_per_layer", "kv_bytes_per_token", "kv_cache_bytes", "list_dtypes", "list_models",
    "load_model", "param_breakdown", "param_count", "parse_bytes", "to_unit",
    "weights_breakdown", "weights_bytes",
    # loaded on first use (_LAZY_NAMES)
    "decode_speed", "prefill_time", "fit", "Fit", "min_gpus", "max_context", "max_concurrency", "kv_pool", "Pool",
    "explain_vllm_log",
]

from . import exercises  # noqa: E402  (light: only vramlab modules)

# Submodules and names loaded on first use, so that `import vramlab` stays light.
_LAZY_MODULES = (
    "articles", "formulas", "overheads", "plots", "serving", "paging", "calibration", "oracle", "decoding", "planning", "report", "tables", "training", "vllm_log", "widgets",
    "speed", "engines",
)
_LAZY_NAMES = {
    "decode_speed": "speed",
    "prefill_time": "speed",
    "fit": "planning",
    "Fit": "planning",
    "min_gpus": "planning",
    "max_context": "planning",
    "max_concurrency": "planning",
    "kv_pool": "serving",
    "Pool": "serving",
    "explain_vllm_log": "vllm_log",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
    raise AttributeError(f"module 'vramlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_MODULES) | set(_LAZY_NAMES))
