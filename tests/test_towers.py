"""Vision towers of multimodal checkpoints: counted as transformers builds them, or the count is flagged."""

from __future__ import annotations

import copy

import pytest

import vramlab as vl
from vramlab.families.towers import TOWERS, tower_params
from vramlab.presets import preset_record

MULTIMODAL_PRESETS = ("google/gemma-3-27b-it", "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
                      "meta-llama/Llama-4-Scout-17B-16E-Instruct")


def _tower_meta(config: dict) -> int:
    """Parameters outside the language model of the multimodal model transformers builds (meta device)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    cfg = transformers.AutoConfig.for_model(config["model_type"],
                                            **{k: v for k, v in config.items() if k != "model_type"})
    with torch.device("meta"):
        model = transformers.AutoModelForImageTextToText.from_config(cfg)
    return sum(p.numel() for n, p in model.named_parameters()
               if "language_model" not in n and not n.startswith("lm_head"))


def _default(model_type: str) -> dict:
    transformers = pytest.importorskip("transformers")
    d = transformers.AutoConfig.for_model(model_type).to_dict()
    d["model_type"] = model_type
    return d


@pytest.mark.oracle
@pytest.mark.parametrize("model_type", sorted(TOWERS))
def test_default_towers_equal_transformers(model_type):
    d = _default(model_type)
    assert tower_params(d)[0] == _tower_meta(d)


@pytest.mark.oracle
@pytest.mark.parametrize("model_id", MULTIMODAL_PRESETS)
def test_preset_towers_equal_transformers(model_id):
    cfg = preset_record(model_id)["config"]
    m = vl.load_model(model_id)
    assert m.tower_params == _tower_meta(copy.deepcopy(cfg)) > 0
    assert m.param_count() == m.param_count(towers=False) + m.tower_params


@pytest.mark.oracle
@pytest.mark.parametrize("model_type,change", [
    ("gemma3", {"vision_config": {"vision_use_head": True, "num_hidden_layers": 3}}),
    ("mistral3", {"vision_feature_layer": [-1, -2], "multimodal_projector_bias": True, "spatial_merge_size": 3}),
    ("llama4", {"vision_config": {"image_size": 336, "hidden_size": 1408, "num_hidden_layers": 2,
                                  "vision_output_dim": 4096}}),
])
def test_tower_switches_equal_transformers(model_type, change):
    d = _default(model_type)
    for k, v in change.items():
        if isinstance(v, dict):
            d[k] = {**d[k], **v}
        else:
            d[k] = v
    assert tower_params(d)[0] == _tower_meta(d)


def test_an_unknown_tower_makes_the_count_approximate_and_says_so():
    cfg = copy.deepcopy(preset_record("google/gemma-3-27b-it")["config"])
    cfg["model_type"] = "my_vlm"
    m = vl.load_model(cfg)
    assert not m.exact and m.tower_params == 0
    assert any("vision tower of model_type 'my_vlm'" in w and "approximate" in w for w in m.warnings)


def test_the_tower_is_in_the_weights_and_out_of_the_text_only_count():
    m = vl.load_model("google/gemma-3-27b-it")
    b = m.param_breakdown()
    assert b["vision"] == m.tower_params
    assert vl.weights_bytes(m, "bf16") == 2 * m.param_count()
    assert m.param_count(towers=False) == sum(v for k, v in b.items() if k != "vision")
    text_only = {k: v for k, v in preset_record("google/gemma-3-27b-it")["config"].items() if k != "vision_config"}
    assert vl.load_model(text_only).param_count() == m.param_count(towers=False)


def test_a_bad_vision_field_names_itself():
    cfg = copy.deepcopy(preset_record("google/gemma-3-27b-it")["config"])
    cfg["vision_config"]["patch_size"] = 0
    with pytest.raises(vl.VramlabError) as exc:
        vl.load_model(cfg)
    assert exc.value.field == "vision_config.patch_size"
