"""Random command lines through ``vramlab.cli.main([...])``.

The subcommands and their options are read from the parser itself, so new ones are fuzzed
too. A run must exit 0 (ran), 1 (does not fit) or 2 (bad input: exactly one line
``vramlab: error: ...`` on stderr, no usage block, no raw Python message).

>>> import random
>>> cases = list(cli_cases(random.Random(0), 2, files=[]))
>>> [c.category for c in cases]
['cli', 'cli']
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import sys
from pathlib import Path
from typing import Iterator

import vramlab as vl
from vramlab.errors import VramlabError

from .core import Case, check
from .gen_logs import _fixtures, mutate_log

NUMBERS = ["1", "2", "8", "16", "100", "4096", "32768", "32k", "128K", "1M", "1.5k", "0", "-1", "-5", "1.5", "0.5",
           "0.1", "0.9", "1.0", "10", "10%", "150%", "1e3", "1e309", "nan", "inf", "-inf", "9" * 400, "", " ",
           "half", "true", "0x10", "1_000", "32,768", "16GiB", "80 GB", "24 gib", "2 PiB", "-1 GB"]
WORDS = ["Qwen/Qwen3-8B", "meta-llama/Llama-3.1-8B-Instruct", "qwen3-30b-a3b", "google/gemma-3-27b-it", "H100",
         "H100 80GB", "RTX 4090", "A100 40GB", "bf16", "fp8", "int4", "nf4", "auto", "Q4_K_M", "fp7", "v1", "v0",
         "latest", "0.10.1", "0.6.4", "99.0", "full", "lora", "qlora", "none", "nope/none", "", "-", "--", "\x00",
         "💥", "x" * 300, "--json", "--help"]


def _options(parser: argparse.ArgumentParser) -> dict[str, tuple[list, list]]:
    """subcommand -> (positional actions, optional actions)."""
    out = {}
    for act in parser._actions:  # noqa: SLF001 - argparse has no public API for this
        if isinstance(act, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in act.choices.items():
                pos = [a for a in sub._actions if not a.option_strings]  # noqa: SLF001
                opt = [a for a in sub._actions if a.option_strings and "-h" not in a.option_strings]  # noqa: SLF001
                out[name] = (pos, opt)
    return out


def _value(rng: random.Random, act: argparse.Action, files: list[str]) -> str:
    names = " ".join(act.option_strings) + " " + str(act.dest)
    if act.choices and rng.random() < 0.5:
        return str(rng.choice(list(act.choices)))
    if files and ("file" in names or "model" in names or "config" in names) and rng.random() < 0.3:
        return rng.choice(files)
    if "model" in names and rng.random() < 0.6:
        return rng.choice(vl.list_models() + WORDS[:4])
    if "gpu" in names and "util" not in names and rng.random() < 0.6:
        return rng.choice(vl.list_gpus() + ["H100", "nope"])
    if "dtype" in names and rng.random() < 0.6:
        return rng.choice(vl.list_dtypes() + ["auto", "fp7", "half"])
    return rng.choice(NUMBERS) if rng.random() < 0.7 else rng.choice(WORDS)


def random_argv(rng: random.Random, parser: argparse.ArgumentParser, files: list[str]) -> list[str]:
    subs = _options(parser)
    if rng.random() < 0.05:
        return [rng.choice(NUMBERS + WORDS) for _ in range(rng.randint(0, 4))]
    name = rng.choice(sorted(subs))
    pos, opt = subs[name]
    argv = [name]
    for a in pos:
        if rng.random() < 0.95:
            argv.append(_value(rng, a, files))
    for a in rng.sample(opt, k=min(len(opt), rng.randint(0, 4))):
        flag = rng.choice(a.option_strings)
        if a.nargs == 0:
            argv.append(flag)
        elif rng.random() < 0.3 and flag.startswith("--"):
            argv.append(f"{flag}={_value(rng, a, files)}")
        else:
            argv += [flag, _value(rng, a, files)]
    if rng.random() < 0.05:
        argv.insert(rng.randrange(len(argv) + 1), rng.choice(["--bogus", "-x", "--tokens", "--json=1"]))
    return argv


#: Text a bad-input line must never show: the raw messages of Python or argparse.
RAW = ("Traceback", "usage:", "could not convert", "invalid literal", "internal error", "ValueError", "TypeError",
       "KeyError", "OSError", "AttributeError", "invalid int value", "invalid float value", "expected one argument",
       "the following arguments are required", "unrecognized arguments")


def run_cli(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    from vramlab.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_in = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogatepass")), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    finally:
        sys.stdin = old_in
    return rc, out.getvalue(), err.getvalue()


def verify_cli(r: tuple[int, str, str]) -> None:
    rc, out, err = r
    check(rc in (0, 1, 2), f"exit status {rc!r}")
    if rc == 2:
        lines = err.splitlines()
        check(len(lines) == 1 and lines[0].startswith("vramlab: error: "), f"bad input must be one line, got {err!r}")
        check(not any(s in err for s in RAW), f"raw message on bad input: {err!r}")
        check(out == "", f"stdout on bad input: {out[:200]!r}")
    else:
        check("internal error" not in err and "Traceback" not in err, f"status {rc} with {err!r}")
    if rc == 0:
        check(out.strip() != "", "status 0 printed nothing")


def cli_case(argv: list[str], stdin: str = "") -> Case:
    """One command line; a clean exit-2 refusal counts as ``refused``, other exits as ``value``."""
    def call() -> tuple[int, str, str]:
        r = run_cli(argv, stdin)
        if r[0] not in (0, 1, 2) or "internal error" in r[2]:  # a crash inside, caught by main()
            raise RuntimeError(f"exit status {r[0]}: {r[2].strip()[:300]}")
        verify_cli(r)
        if r[0] == 2:
            raise VramlabError(r[2].strip())
        return r

    return Case("cli", f"main({argv!r})", call)


def cli_cases(rng: random.Random, n: int, files: list[str] | None = None) -> Iterator[Case]:
    """``n`` random command lines; ``files`` are paths the command lines may name."""
    from vramlab.cli import build_parser

    parser = build_parser()
    files = [str(f) for f in (files or [])]
    fixtures = _fixtures()
    for _ in range(n):
        argv = random_argv(rng, parser, files)
        stdin = mutate_log(rng, rng.choice(fixtures)) if fixtures and "-" in argv else ""
        yield cli_case(argv, stdin)


def config_file_cases(rng: random.Random, n: int, root: Path) -> Iterator[Case]:
    """``n`` mutated preset configs written as config.json files, through the model subcommands."""
    import copy
    import json

    from vramlab.cli import build_parser
    from vramlab.presets import preset_record

    from .gen_configs import mutate

    root.mkdir(parents=True, exist_ok=True)
    ids = vl.list_models()
    subs = sorted(s for s, (pos, _) in _options(build_parser()).items() if pos and pos[0].dest == "model")
    for i in range(n):
        cfg, _ = mutate(rng, copy.deepcopy(preset_record(ids[i % len(ids)])["config"]))
        path = root / f"c{i}" / "config.json"
        path.parent.mkdir(exist_ok=True)
        try:
            path.write_text(json.dumps(cfg))
        except ValueError:  # e.g. an int too long to write
            continue
        target = str(path if rng.random() < 0.7 else path.parent)
        yield cli_case([rng.choice(subs), target] + (["--json"] if rng.random() < 0.3 else []))


def fixture_files() -> list[Path]:
    from .gen_logs import FIXTURES

    return sorted(FIXTURES.glob("*.log"))
