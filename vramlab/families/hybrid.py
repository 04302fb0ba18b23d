"""Family table: Hybrid and attention-free stacks with Mamba (state-space), short-convolution or linear-attention layers.

Each entry was read from transformers 5.24 (configuration_<family>.py defaults, modeling_<family>.py
blocks); ``tests/test_coverage.py`` checks every family against the model built on the meta device.
"""

from __future__ import annotations

from .family import Family

_fam = Family

FAMILIES: dict[str, Family] = {f.model_type: f for f in [
]}

#: model_type spellings that name a family of this table.
ALIASES: dict[str, str] = {}

#: model_types of this group vramlab refuses, with what it does not know about their blocks.
UNMODELLED: dict[str, str] = {}
