"""Vision towers of multimodal checkpoints: the encoder and projector a serving engine loads too.

A multimodal config.json (``model_type`` gemma3, mistral3, llama4) holds a ``text_config`` (the
language model, sized by the family table) and a ``vision_config``. vLLM and transformers
load the vision encoder and the projector into the language model's hidden size as well, so
their parameters are part of the checkpoint's weights. Each rule below counts them as
transformers 5.24 builds them (modeling_siglip.py + Gemma3MultiModalProjector,
modeling_pixtral.py + Mistral3MultiModalProjector, Llama4VisionModel +
Llama4MultiModalProjector); fields a file omits take the defaults of the config classes
(``TOWER_DEFAULTS``). ``tests/test_towers.py`` checks each against the whole model built
on the meta device.

>>> from vramlab.families.towers import tower_params
>>> tower_params({"model_type": "llama"})
(0, '')
>>> n, kind = tower_params({"model_type": "gemma3", "text_config": {"hidden_size": 2560},
...                         "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152,
...                                           "intermediate_size": 4304, "num_hidden_layers": 27,
...                                           "num_attention_heads": 16, "image_size": 896, "patch_size": 14,
...                                           "vision_use_head": False}})
>>> f"{n:,}", kind                   # Gemma-3-4B's tower: 0.42 B beside the language model
('419,816,304', 'SigLIP vision encoder + Gemma-3 projector')
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import VramlabError, show

__all__ = ["TOWERS", "TOWER_DEFAULTS", "tower_params"]

#: Defaults of the vision config classes of transformers 5.24, by the multimodal model_type.
TOWER_DEFAULTS: dict[str, dict[str, Any]] = {
    # SiglipVisionConfig(); Gemma3Config keeps them for its vision_config
    "gemma3": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_channels": 3,
               "image_size": 224, "patch_size": 16, "vision_use_head": True},
    # PixtralVisionConfig() as Mistral3Config builds it; Mistral3Config's projector fields
    "mistral3": {"hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24, "num_attention_heads": 16,
                 "head_dim": 64, "num_channels": 3, "patch_size": 14},
    # Llama4VisionConfig()
    "llama4": {"hidden_size": 768, "intermediate_size": 5632, "num_hidden_layers": 34, "num_channels": 3,
               "image_size": 448, "patch_size": 14, "vision_output_dim": 7680, "projector_input_dim": 4096,
               "projector_output_dim": 4096},
}
#: Defaults of the multimodal (outer) config fields the projectors read.
_OUTER_DEFAULTS = {"mistral3": {"spatial_merge_size": 2, "multimodal_projector_bias": False, "vision_feature_layer": -1}}


def _int(v: Mapping[str, Any], key: str) -> int:
    x = v.get(key)
    if isinstance(x, bool) or not isinstance(x, int) or x < 1 or x > 10**7:
        raise VramlabError(f"config field 'vision_config.{key}' must be an integer between 1 and 10,000,000, "
                           f"got {show(x)}", field=f"vision_config.{key}")
    return x


def _siglip_gemma3(v: Mapping[str, Any], outer: Mapping[str, Any], text_hidden: int) -> int:
    """SiglipVisionModel (patch conv with bias, learned positions, pre-LN blocks with biased q/k/v/o
    and fc1/fc2, a post LayerNorm, the MAP head when ``vision_use_head``) + Gemma3MultiModalProjector
    (``mm_input_projection_weight`` vision_h x text_h and an RMSNorm of vision_h)."""
    h, i, n, c, img, p = (_int(v, k) for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                                 "num_channels", "image_size", "patch_size"))
    mlp = h * i + i + i * h + h
    layer = 2 * 2 * h + 4 * (h * h + h) + mlp
    head = (h + 3 * h * h + 3 * h + h * h + h + 2 * h + mlp) if v.get("vision_use_head") else 0
    tower = c * p * p * h + h + (img // p) ** 2 * h + n * layer + 2 * h + head
    return tower + h * text_hidden + h


def _pixtral_mistral3(v: Mapping[str, Any], outer: Mapping[str, Any], text_hidden: int) -> int:
    """PixtralVisionModel (patch conv without bias, RMSNorms, bias-free q/k/v/o and a gated MLP) +
    Mistral3MultiModalProjector (an RMSNorm, the patch merger, linear_1 and linear_2)."""
    h, i, n, c, p, heads, hd = (_int(v, k) for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                                      "num_channels", "patch_size", "num_attention_heads", "head_dim"))
    tower = c * p * p * h + h + n * (2 * h + 4 * h * heads * hd + 3 * h * i)
    s = _int(outer, "spatial_merge_size")
    layers = outer.get("vision_feature_layer")
    feature_layers = len(layers) if isinstance(layers, list) else 1
    bias = bool(outer.get("multimodal_projector_bias"))
    proj = h + h * s * s * h + h * feature_layers * text_hidden + text_hidden * text_hidden + 2 * text_hidden * bias
    return tower + proj


def _llama4(v: Mapping[str, Any], outer: Mapping[str, Any], text_hidden: int) -> int:
    """Llama4VisionModel (class embedding, learned positions, an unfolded patch projection, LayerNorms
    before and after, biased blocks, the pixel-shuffle MLP adapter) + Llama4MultiModalProjector."""
    h, i, n, c, img, p, out, pin, pout = (_int(v, k) for k in (
        "hidden_size", "intermediate_size", "num_hidden_layers", "num_channels", "image_size", "patch_size",
        "vision_output_dim", "projector_input_dim", "projector_output_dim"))
    layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * 2 * h
    tower = h + ((img // p) ** 2 + 1) * h + h * c * p * p + 2 * 2 * h + n * layer + i * pin + pout * pout
    return tower + out * text_hidden


#: The rule of each multimodal model_type: (what it counts, rule(vision_config, outer config, text hidden)).
TOWERS: dict[str, tuple[str, Callable[[Mapping[str, Any], Mapping[str, Any], int], int]]] = {
    "gemma3": ("SigLIP vision encoder + Gemma-3 projector", _siglip_gemma3),
    "mistral3": ("Pixtral vision encoder + Mistral-3 projector", _pixtral_mistral3),
    "llama4": ("Llama-4 vision encoder + projector", _llama4),
}


def tower_params(raw: Mapping[str, Any], text_hidden: int | None = None) -> tuple[int | None, str]:
    """(parameters, what) of the vision tower and projector of a multimodal config.

    ``(0, "")`` when the config has no ``vision_config``; ``(None, why)`` when it has one that
    vramlab does not count (another multimodal model_type).
    """
    vision = raw.get("vision_config")
    if vision is None:
        return 0, ""
    mt = raw.get("model_type")
    if not isinstance(vision, Mapping):
        raise VramlabError(f"config field 'vision_config' must be a JSON object, got {show(vision)}",
                           field="vision_config")
    if mt not in TOWERS:
        return None, (f"the vision tower of model_type {mt!r} ({vision.get('model_type') or 'unknown'}) is not "
                      f"counted; vramlab counts the towers of {', '.join(TOWERS)}")
    what, rule = TOWERS[mt]
    v = {**TOWER_DEFAULTS[mt], **{k: x for k, x in vision.items() if x is not None}}
    outer = {**_OUTER_DEFAULTS.get(mt, {}), **{k: x for k, x in raw.items() if x is not None}}
    if text_hidden is None:
        text_hidden = _int(raw.get("text_config") or {}, "hidden_size")
    return rule(v, outer, text_hidden), what
