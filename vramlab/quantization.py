"""The weight format a config.json's ``quantization_config`` names, read strictly.

GPTQ/AWQ, bitsandbytes, fp8, mxfp4 and compressed-tensors checkpoints; anything else is
refused by name. :mod:`vramlab.families` re-exports :func:`weight_format`.

>>> weight_format({"quant_method": "awq", "bits": 4, "group_size": 128})
'int4'
"""

from __future__ import annotations

from typing import Any, Mapping

from .errors import VramlabError, show

__all__ = ["QUANT_METHODS", "weight_format"]

#: quant_method values read, with the vramlab format each one gives.
QUANT_METHODS = ("fp8", "mxfp4", "gptq", "awq", "bitsandbytes", "compressed-tensors")
_GROUPS = (32, 64, 128)


def _q_refuse(what: str, value: Any, valid: str) -> VramlabError:
    return VramlabError(f"config field 'quantization_config' {what} must be {valid}, got {show(value)}",
                        field="quantization_config")


def _group_format(bits: Any, group: Any, what: str) -> str:
    if isinstance(bits, bool) or bits not in (4, 8):
        raise _q_refuse(f"{what} bits", bits, "4 or 8")
    if isinstance(group, bool) or group not in _GROUPS:
        raise _q_refuse(f"{what} group_size", group, "32, 64 or 128 (per-channel -1 is not modelled)")
    return "int4" if (bits, group) == (4, 128) else f"int{bits}-g{group}"


def _bitsandbytes(q: Mapping[str, Any]) -> str | None:
    for key in ("load_in_4bit", "load_in_8bit", "bnb_4bit_use_double_quant"):
        if key in q and not isinstance(q[key], bool):
            raise _q_refuse(repr(key), q[key], "true or false")
    if q.get("load_in_4bit") and q.get("load_in_8bit"):
        raise _q_refuse("'load_in_4bit' and 'load_in_8bit'", True, "not both true")
    if q.get("load_in_4bit"):
        kind = q.get("bnb_4bit_quant_type", "nf4")
        if kind not in ("nf4", "fp4"):
            raise _q_refuse("'bnb_4bit_quant_type'", kind, "'nf4' or 'fp4'")
        # fp4 and nf4 share the storage: 4-bit codes, one absmax per block of 64
        return "nf4-nodq" if q.get("bnb_4bit_use_double_quant") is False else "nf4"
    return "int8" if q.get("load_in_8bit") else None


def _compressed_tensors(q: Mapping[str, Any]) -> str:
    groups = q.get("config_groups")
    if not isinstance(groups, Mapping) or not groups:
        raise _q_refuse("'config_groups'", groups, "a JSON object of quantization groups")
    formats = set()
    for name, g in groups.items():
        w = g.get("weights") if isinstance(g, Mapping) else None
        if not isinstance(w, Mapping):
            raise _q_refuse(f"config_groups[{name!r}]['weights']", w, "a JSON object with num_bits and type")
        bits, kind, group = w.get("num_bits"), w.get("type", "int"), w.get("group_size")
        if kind == "float" and bits == 8 and not isinstance(bits, bool):
            formats.add("fp8")
        elif kind == "int" and bits == 8 and group is None and not isinstance(bits, bool):
            formats.add("int8")
        elif kind == "int" and w.get("symmetric", True) is True and bits == 4 and group in _GROUPS:
            formats.add(f"int4-sym-g{group}")  # one scale per group, no zero point
        elif kind == "int" and w.get("symmetric", True) is False:
            formats.add(_group_format(bits, group, f"config_groups[{name!r}] weights"))
        elif kind == "int":
            raise _q_refuse(f"config_groups[{name!r}] weights", {"num_bits": bits, "group_size": group},
                            "4-bit with group_size 32, 64 or 128 when symmetric")
        else:
            raise _q_refuse(f"config_groups[{name!r}] weights", {"num_bits": bits, "type": kind},
                            "8-bit float, 8-bit int or 4/8-bit int with a group size")
    if len(formats) > 1:
        raise _q_refuse("config_groups", sorted(formats), "one weight format for every group")
    return formats.pop()


def weight_format(q: Any) -> str | None:
    """The vramlab weight format a ``quantization_config`` names (None: not quantized).

    GPTQ/AWQ: ``bits`` 4 or 8 with ``group_size`` 32, 64 or 128 (fp16 scale and packed zero
    per group); bitsandbytes: ``load_in_4bit`` (nf4, fp4) or ``load_in_8bit``, real JSON
    booleans; fp8; mxfp4; compressed-tensors: the ``weights`` of its ``config_groups``.
    Anything else is refused by name.

    >>> weight_format({"quant_method": "gptq", "bits": 8, "group_size": 128})
    'int8-g128'
    >>> weight_format({"quant_method": "compressed-tensors", "config_groups": {"group_0": {
    ...     "targets": ["Linear"], "weights": {"num_bits": 8, "type": "float", "strategy": "channel"}}}})
    'fp8'
    >>> weight_format({"quant_method": "bitsandbytes", "load_in_4bit": "false"})
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: config field 'quantization_config' 'load_in_4bit' must be true or false, got 'false'
    """
    if q is None:
        return None
    if not isinstance(q, Mapping):
        raise VramlabError(
            f"config field 'quantization_config' must be a JSON object with 'quant_method', got {show(q)}",
            field="quantization_config")
    method = q.get("quant_method")
    method = method.lower() if isinstance(method, str) else method
    if method in ("fp8", "mxfp4"):
        return method
    if method in ("gptq", "awq"):
        bits = q.get("bits", q.get("w_bit", 4))
        group = q.get("group_size", q.get("q_group_size", 128))
        return _group_format(bits, group, method)
    if method == "bitsandbytes":
        return _bitsandbytes(q)
    if method == "compressed-tensors":
        return _compressed_tensors(q)
    raise _q_refuse("quant_method", method, "one of " + ", ".join(QUANT_METHODS))
