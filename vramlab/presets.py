"""Shipped model presets and :func:`load_model`.

Each preset in ``vramlab/data/models/*.json`` holds a model's real config.json fields, the
source URL, and the model card's published figures. Nothing is ever downloaded.

>>> from vramlab.presets import list_models
>>> "Qwen/Qwen3-8B" in list_models()
True
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .errors import VramlabError, check_str
from .spec import ModelSpec, from_config, read_config_file

__all__ = ["list_models", "load_model", "preset_record", "with_config", "MAX_ID_BYTES"]

#: Longest model id: a file name's limit on Linux/macOS file systems (NAME_MAX, 255 bytes);
#: Hugging Face ids are far shorter (96 characters per part).
MAX_ID_BYTES = 255


@lru_cache(maxsize=1)
def _presets() -> dict[str, dict[str, Any]]:
    out = {}
    folder = resources.files("vramlab") / "data" / "models"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            rec = json.loads(entry.read_text(encoding="utf-8"))
            out[rec["id"]] = rec
    return out


def list_models() -> list[str]:
    """Ids of the shipped presets, sorted.

    >>> len(list_models()) >= 20
    True
    """
    return sorted(_presets())


def preset_record(model_id: str) -> dict[str, Any]:
    """The whole preset record (config, source, card figures, notes) of a preset id.

    >>> preset_record("Qwen/Qwen3-8B")["card"]["params_total"]
    '8.2B'
    >>> preset_record("x" * 300)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: model id must be at most 255 bytes without NUL characters (a Hugging Face id such as 'Qwen/Qwen3-8B'), got a string of 300 bytes
    """
    if not isinstance(model_id, str):
        raise VramlabError(f"model id must be a string such as 'Qwen/Qwen3-8B', got {model_id!r}", field="model")
    size = len(model_id.encode("utf-8", "surrogatepass"))
    if size > MAX_ID_BYTES or "\x00" in model_id:
        raise VramlabError(f"model id must be at most {MAX_ID_BYTES} bytes without NUL characters (a Hugging Face "
                           f"id such as 'Qwen/Qwen3-8B'), got a string of {size:,} bytes"
                           + (" with a NUL" if "\x00" in model_id else ""), field="model")
    p = _presets()
    if model_id in p:
        return json.loads(json.dumps(p[model_id]))
    lower = {k.lower(): k for k in p}
    if model_id.lower() in lower:
        return preset_record(lower[model_id.lower()])
    short = {k.split("/")[-1].lower(): k for k in p}
    if model_id.lower() in short:
        return preset_record(short[model_id.lower()])
    close = difflib.get_close_matches(model_id, list(p), n=3, cutoff=0.4)
    for k in difflib.get_close_matches(model_id.lower(), list(short), n=3, cutoff=0.4):
        if short[k] not in close:
            close.append(short[k])
    close = close[:3]
    hint = f"; closest: {', '.join(close)}" if close else ""
    hf_id = re.fullmatch(r"[\w.-]+/[\w.-]+", model_id)
    where = (f"https://huggingface.co/{model_id}/resolve/main/config.json" if hf_id
             else "the model's config.json from its Hugging Face page (Files)")
    raise VramlabError(
        f"model {model_id!r} is not a preset or an existing config.json path{hint} "
        f"(see `vramlab models` for all ids). vramlab works offline: download {where} and pass its path",
        field="model",
    )


def load_model(model: str | Path | Mapping[str, Any] | ModelSpec, name: str | None = None) -> ModelSpec:
    """Load a model: a preset id, a path to a config.json (or its folder), or a config dict.

    Parameters
    ----------
    model : str, Path, dict or ModelSpec
        ``"Qwen/Qwen3-8B"`` (also ``"qwen3-8b"``), ``"path/to/config.json"``, or a dict.
    name : str, optional
        Name to show for a path or dict.

    Examples
    --------
    >>> m = load_model("Qwen/Qwen3-8B")
    >>> m.num_layers, m.num_q_heads, m.num_kv_heads, m.head_dim, m.attention_kind
    (36, 32, 8, 128, 'GQA')
    >>> load_model("Qwen/Qwen3-8X")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: model 'Qwen/Qwen3-8X' is not a preset or an existing config.json path; closest: Qwen/Qwen3-8B, Qwen/Qwen3-32B, Qwen/Qwen3-0.6B (see `vramlab models` for all ids). vramlab works offline: download https://huggingface.co/Qwen/Qwen3-8X/resolve/main/config.json and pass its path
    """
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, Mapping):
        return from_config(model, name=name)
    if not isinstance(model, (str, Path)):
        raise VramlabError(
            f"model must be a preset id, a config.json path or a dict, got {type(model).__name__}",
            field="model",
        )
    if isinstance(model, str):
        check_str("model", model, max_len=4096, allow_empty=True)
    path = Path(model)
    if isinstance(model, str) and model in _presets():
        rec = _presets()[model]
        return from_config(rec["config"], name=rec["id"], meta=rec)
    try:
        if path.is_dir() and (path / "config.json").is_file():
            path = path / "config.json"
        is_file = path.is_file()
    except OSError:  # e.g. a name too long for the file system: not a path
        is_file = False
    if is_file:
        return from_config(read_config_file(path), name=name or str(model))
    rec = preset_record(str(model))
    return from_config(rec["config"], name=rec["id"], meta=rec)


def with_config(model: Any, **changes: Any) -> ModelSpec:
    """The same model with some config.json fields changed (a "what if" variant).

    The fields are changed in the raw config (in ``text_config`` for multimodal files) and
    the model is read again, so every derived figure follows.

    Examples
    --------
    What if QwQ-32B had no grouped-query attention (one KV head per query head)?

    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/QwQ-32B")
    >>> mha = with_config(m, num_key_value_heads=m.num_q_heads)
    >>> mha.attention_kind, vl.kv_bytes_per_token(mha, "bf16") // vl.kv_bytes_per_token(m, "bf16")
    ('MHA', 5)
    """
    m = load_model(model)
    raw = dict(m.hf_config)
    if isinstance(raw.get("text_config"), Mapping) and "num_hidden_layers" not in raw:
        raw["text_config"] = {**raw["text_config"], **changes}
    else:
        raw.update(changes)
    return from_config(raw, name=m.name, meta=m.meta)
