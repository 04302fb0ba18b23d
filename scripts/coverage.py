#!/usr/bin/env python3
"""Write the "Model coverage" table of README.md: every decoder family transformers ships.

For every ``model_type`` of the installed transformers' causal-LM mapping, the default
config of its config class (``AutoConfig.for_model(model_type)``) is read by vramlab and
the table says what vramlab does with it:

* **exact**: the parameter count of the language model (what transformers' causal-LM class
  builds) equals transformers' (``tests/test_coverage.py`` builds each model on the meta device
  and checks it); a multimodal config's vision tower is noted (counted for gemma3, mistral3 and
  llama4, checked by ``tests/test_towers.py``; otherwise the whole checkpoint is ``exact=False``);
* **approximate**: the generic Llama-like path, within 2 % and flagged ``exact=False``;
* **refused**: a VramlabError naming what vramlab does not know (the reason is shown);
* **not checked**: transformers' own default config does not build (``NOT_BUILT``), so no
  oracle exists; vramlab's status is shown beside it.

Needs transformers (its config classes only, no torch and no model is built). The table
sits between ``<!-- coverage:start -->`` and ``<!-- coverage:end -->``.

Usage::

    python scripts/coverage.py            # rewrite the README table when stale
    python scripts/coverage.py --check    # exit 1 when the README table is stale, write nothing
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- coverage:start -->"
END = "<!-- coverage:end -->"

#: model_types whose default config does not build a model in transformers 5.24 itself
#: (the error each raises is recorded by tests/test_coverage.py, which keeps this list true).
NOT_BUILT = ("cohere_compass_text", "dbrx", "dots1", "gemma4_assistant", "hunyuan_v1_dense",
             "hunyuan_v1_moe", "lfm2_moe", "ministral", "musicgen", "musicgen_melody", "nemotron", "qwen4_exp",
             "qwen4_exp_text", "reformer")


def vramlab_status(model_type: str) -> tuple[str, str]:
    """(status, note) of vramlab on transformers' default config of ``model_type``."""
    import vramlab as vl
    from vramlab.oracle import default_config

    try:
        cfg = default_config(model_type)
    except Exception as exc:  # noqa: BLE001 - transformers' own validation of its defaults
        return "not checked", f"default config does not validate in transformers ({type(exc).__name__})"
    try:
        m = vl.load_model(cfg)
        m.param_count(towers=False)
    except vl.VramlabError as exc:
        return "refused", str(exc).replace("|", "/")
    note = "; ".join(w for w in m.warnings if w.startswith("multimodal"))
    return ("exact" if m.language_model_exact else "approximate"), note


def table() -> str:
    """The markdown section: counts, then one row per model_type."""
    import transformers
    from vramlab.oracle import causal_lm_model_types

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        rows = [(mt, *vramlab_status(mt)) for mt in causal_lm_model_types()]
    built = [r for r in rows if r[0] not in NOT_BUILT]
    counts = {s: sum(r[1] == s for r in built) for s in ("exact", "approximate", "refused")}
    lines = [
        "## Model coverage",
        "",
        f"Every causal-LM `model_type` of transformers {transformers.__version__}, read from its config class's "
        "defaults: **exact** parameter count of the language model (checked against the model built on the meta "
        "device; a multimodal config's vision tower is in the note), "
        "**approximate** (within 2 %, flagged `exact=False`) or **refused** with the reason. "
        f"Of the {len(built)} that transformers builds from its defaults: {counts['exact']} exact, "
        f"{counts['approximate']} approximate, {counts['refused']} refused; {len(rows) - len(built)} more are not "
        f"checked (their default config does not build). Written by `scripts/coverage.py`; "
        "`tests/test_coverage.py` checks every row.",
        "",
        "| model_type | vramlab | note |",
        "|---|---|---|",
    ]
    for mt, status, note in rows:
        if mt in NOT_BUILT:
            note = "not checked: transformers' default config does not build" + (f"; {note}" if note else "")
        lines.append(f"| `{mt}` | {status} | {note} |")
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str) -> str | None:
    """``text`` with the part between the markers replaced (None when the markers are missing)."""
    if START not in text or END not in text:
        return None
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when README.md is stale; write nothing")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = ap.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    new = replace_block(text, table())
    if new is None:
        print(f"{args.readme}: markers {START} ... {END} are missing")
        return 1
    if new == text:
        return 0
    print(f"stale: {args.readme}" if args.check else f"updated: {args.readme}")
    if not args.check:
        args.readme.write_text(new, encoding="utf-8")
    return 1 if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
