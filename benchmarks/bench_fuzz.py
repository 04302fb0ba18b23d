"""The robustness generators of ``tests/fuzz/``: outcomes by category and inputs per second.

Run: ``.venv/bin/python benchmarks/bench_fuzz.py [--scale F] [--seed N] [--hang-seconds S] [--json]``

Prints, for each generator (exhaustive and random arguments, mutated preset configs, broken
files, mutated and random vLLM logs, random command lines), how many inputs ended as a clean
VramlabError (``refused``), a value that passed the invariants (``value``), another exception
(``crash``), a value that broke an invariant (``nonsense``) or a call interrupted after
``--hang-seconds`` (``hung``); then inputs per second, and one reproducer per distinct failure.
``--scale`` multiplies the test suite's sizes; ``--seed`` changes the inputs.

Figures depend on the machine and its load; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz import gen_args, gen_cli, gen_configs, gen_logs  # noqa: E402
from tests.fuzz.core import OUTCOMES, run_cases  # noqa: E402
from tests.test_fuzz import SIZES  # noqa: E402


def generators(seed: int, scale: float, tmp: Path) -> dict:
    n = {k: max(1, int(v * scale)) for k, v in SIZES.items()}
    files = [p for _, p in gen_configs.broken_files(tmp / "cli")] + gen_cli.fixture_files()
    return {
        "exhaustive args": lambda: gen_args.exhaustive_cases(),
        "random args": lambda: gen_args.argument_cases(random.Random(seed + 1), n["arguments"]),
        "configs": lambda: gen_configs.config_cases(random.Random(seed + 2), n["configs"]),
        "structural": lambda: gen_configs.structural_cases(),
        "files": lambda: gen_configs.file_cases(tmp / "files"),
        "logs": lambda: gen_logs.log_cases(random.Random(seed + 3), n["logs"]),
        "cli": lambda: gen_cli.cli_cases(random.Random(seed + 4), n["cli"], files=files),
        "config files": lambda: gen_cli.config_file_cases(random.Random(seed + 5), n["config files"], tmp / "cfg"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the test suite's sizes (default 1)")
    ap.add_argument("--seed", type=int, default=0, help="0 gives the test suite's inputs")
    ap.add_argument("--hang-seconds", type=float, default=20.0, help="count a call this long as hung")
    ap.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = ap.parse_args(argv)
    rows, failures = {}, []
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in generators(args.seed, args.scale, Path(tmp)).items():
            t0 = time.perf_counter()
            report = run_cases(make(), hang_seconds=args.hang_seconds)
            dt = time.perf_counter() - t0
            counts = report.by_outcome()
            rows[name] = {**{o: counts[o] for o in OUTCOMES}, "inputs": report.total, "seconds": round(dt, 3),
                          "per_second": round(report.total / dt, 1) if dt else None}
            if report.failures:
                failures.append(f"[{name}]\n{report.failure_lines()}")
    total_s = time.perf_counter() - t_all
    total = sum(r["inputs"] for r in rows.values())
    if args.json:
        print(json.dumps({"generators": rows, "inputs": total, "seconds": round(total_s, 3)}, indent=2))
    else:
        head = f"{'generator':<16}" + "".join(f"{o:>9}" for o in OUTCOMES) + f"{'inputs':>9}{'s':>8}{'inputs/s':>10}"
        print(head)
        for name, r in rows.items():
            print(f"{name:<16}" + "".join(f"{r[o]:>9}" for o in OUTCOMES)
                  + f"{r['inputs']:>9}{r['seconds']:>8.2f}{r['per_second'] or 0:>10.0f}")
        sums = {o: sum(r[o] for r in rows.values()) for o in OUTCOMES}
        print(f"{'total':<16}" + "".join(f"{sums[o]:>9}" for o in OUTCOMES)
              + f"{total:>9}{total_s:>8.2f}{total / total_s:>10.0f}")
        for block in failures:
            print("\n" + block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
