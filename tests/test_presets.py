"""Every way to get a ModelSpec: preset ids, aliases, paths, folders, dicts; ids are bounded."""

from __future__ import annotations

import json
from importlib import resources

import pytest

import vramlab as vl
from vramlab.presets import MAX_ID_BYTES, preset_record

FOLDER = resources.files("vramlab") / "data" / "models"


def _files():
    return sorted((p for p in FOLDER.iterdir() if p.name.endswith(".json")), key=lambda p: p.name)


def test_preset_files_are_named_by_their_id_and_cite_a_source():
    ids = []
    for p in _files():
        rec = json.loads(p.read_text(encoding="utf-8"))
        assert p.name == rec["id"].replace("/", "__") + ".json"
        assert rec["source"]["hf_config"].startswith("https://huggingface.co/")
        assert isinstance(rec["config"], dict)
        ids.append(rec["id"])
    assert ids and sorted(ids) == vl.list_models() and len(set(ids)) == len(ids)


@pytest.mark.parametrize("model_id", vl.list_models())
def test_every_preset_loads_exactly(model_id):
    m = vl.load_model(model_id)
    assert m.exact and m.name == model_id
    assert m.meta["id"] == model_id


def test_ids_are_matched_exactly_then_case_insensitively_then_by_short_name():
    assert vl.load_model("qwen/qwen3-8b").name == "Qwen/Qwen3-8B"
    assert vl.load_model("Qwen3-8B").name == "Qwen/Qwen3-8B"
    assert preset_record("qwen3-8b")["id"] == "Qwen/Qwen3-8B"


def test_records_are_copies():
    rec = preset_record("Qwen/Qwen3-8B")
    rec["config"]["hidden_size"] = 1
    assert preset_record("Qwen/Qwen3-8B")["config"]["hidden_size"] == 4096


def test_paths_folders_dicts_and_specs(tmp_path):
    cfg = preset_record("Qwen/Qwen3-0.6B")["config"]
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    n = vl.load_model("Qwen/Qwen3-0.6B").param_count()
    for target in (tmp_path, tmp_path / "config.json", str(tmp_path / "config.json"), cfg):
        assert vl.load_model(target).param_count() == n
    m = vl.load_model(cfg)
    assert vl.load_model(m) is m


def test_a_long_path_is_a_path_not_an_id(tmp_path):
    deep = tmp_path / ("a" * 120) / ("b" * 120)   # over 255 bytes in all, each part under NAME_MAX
    deep.mkdir(parents=True)
    (deep / "config.json").write_text(json.dumps(preset_record("Qwen/Qwen3-0.6B")["config"]))
    assert len(str(deep).encode()) > MAX_ID_BYTES
    assert vl.load_model(str(deep)).num_layers == 28


@pytest.mark.parametrize("model_id", ["x" * 256, "a/" + "b" * 300, "Qwen/Qwen3-8B\x00", "\x00", "é" * 128])
def test_ids_over_255_bytes_or_with_nul_are_refused_cleanly(model_id):
    with pytest.raises(vl.VramlabError) as exc:   # not OSError 'File name too long', not ValueError 'null byte'
        vl.load_model(model_id)
    assert exc.value.field == "model" and "255 bytes" in str(exc.value)
