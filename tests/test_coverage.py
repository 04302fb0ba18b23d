"""Coverage sweep: every causal-LM family of the installed transformers, never silently wrong.

For every ``model_type`` of transformers' causal-LM mapping, the default config of its
config class is built into a model on the meta device (the language model alone for a
multimodal config, as vramlab counts it) and its parameters are counted. vramlab, given the
same config dict, must either

* be exact: ``param_count()`` equals transformers' and the spec says ``exact``;
* be approximate: within 2 % and flagged ``exact=False``;
* refuse with a VramlabError naming what it does not know: the model_type (a family it does
  not describe, an encoder), or a field the default config leaves unset.

No other exception and no count off by more than 2 %. Types whose default config does not
build in transformers itself are listed in ``scripts/coverage.py`` (``NOT_BUILT``) and the
list is checked here. The README's "Model coverage" table is the output of that script.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from functools import lru_cache
from pathlib import Path

import pytest

import vramlab as vl

from .oracle import transformers  # noqa: F401  (skips the module without torch/transformers)
from vramlab.oracle import causal_lm_model_types, default_config, default_meta_param_count  # noqa: E402

pytestmark = pytest.mark.oracle

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("coverage_script", ROOT / "scripts" / "coverage.py")
coverage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(coverage)

#: Exact families on transformers' default configs may not drop below this count.
EXACT_FLOOR = 178

TYPES = causal_lm_model_types()


@lru_cache(maxsize=None)
def outcome(model_type: str) -> tuple[str, object]:
    """("not built", error) | ("exact", n) | ("approximate", rel) | ("refused", error) | ("wrong", text)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        try:
            truth = default_meta_param_count(model_type)
            cfg = default_config(model_type)
        except Exception as exc:  # noqa: BLE001 - transformers' own defaults fail to build
            return "not built", exc
    try:
        m = vl.load_model(cfg)
        count = m.param_count(towers=False)  # the language model: what the causal-LM class builds
    except vl.VramlabError as exc:
        field = exc.field
        named = field == "model_type" or model_type in str(exc) or (field is not None and cfg.get(field) is None)
        return ("refused", exc) if named else ("wrong", f"refusal names {field!r}, set in the config: {exc}")
    except Exception as exc:  # noqa: BLE001 - the point: anything else is a bug
        return "wrong", f"{type(exc).__name__}: {exc}"
    if count == truth and m.language_model_exact:
        return "exact", count
    rel = (count - truth) / truth
    if abs(rel) <= 0.02 and not m.language_model_exact:
        return "approximate", rel
    return "wrong", f"vramlab {count:,} vs transformers {truth:,} ({rel:+.2%}), exact={m.language_model_exact}"


@pytest.mark.parametrize("model_type", TYPES)
def test_family_is_exact_approximate_or_refused(model_type):
    kind, detail = outcome(model_type)
    if kind == "not built":
        assert model_type in coverage.NOT_BUILT, f"{model_type}: default config does not build: {detail!r}"
        return
    assert model_type not in coverage.NOT_BUILT, f"{model_type} builds now: remove it from NOT_BUILT"
    assert kind in ("exact", "approximate", "refused"), f"{model_type}: {detail}"


def test_exact_families_do_not_drop_below_the_floor():
    exact = [mt for mt in TYPES if outcome(mt)[0] == "exact"]
    assert len(exact) >= EXACT_FLOOR, sorted(exact)


def test_encoders_are_refused_as_not_decoders():
    """Encoders the table counts (vramlab.families.encoders) are exact with their cache refused; the rest refused."""
    for mt in sorted(vl.families.NOT_DECODERS & set(TYPES)):
        kind, detail = outcome(mt)
        if kind == "not built":
            continue
        if mt not in vl.families.FAMILIES:
            assert kind == "refused" and "decoder-only" in str(detail), (mt, detail)
            continue
        assert kind == "exact", (mt, detail)
        with pytest.raises(vl.VramlabError, match="decoder-only") as err:
            vl.kv_cache_bytes(vl.load_model(default_config(mt)), 1024)
        assert err.value.field == "model", (mt, err.value)


def test_readme_coverage_table_is_up_to_date():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "coverage.py"), "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
