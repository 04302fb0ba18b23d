"""Timings of vramlab's core: import cost, estimates per second, parameter counting.

Run: ``.venv/bin/python benchmarks/bench_core.py [--runs N] [--seconds S]``

Prints
------
(a) median wall time of ``python -c "import vramlab"`` against ``python -c pass`` over
    N fresh processes, and which heavy libraries (if any) ``import vramlab`` loaded;
(b) ``vl.estimate`` calls per second over every preset, from a loaded ModelSpec and from
    a preset id (which also builds the spec);
(c) time to count the parameters of every preset (``load_model`` + ``param_count``);
(d) the vramlab side of the coverage sweep (tests/test_coverage.py): ``load_model`` +
    ``param_count`` (or the refusal) over transformers' default config of every causal-LM
    model_type. The configs are read from transformers' config classes first (no torch, no
    model built); only vramlab's work is timed. Skipped when transformers is missing.

Figures depend on the machine and its load; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sympy", "pandas", "matplotlib", "ipywidgets", "torch", "transformers", "numpy")


def median_run_seconds(code: str, runs: int) -> float:
    """Median wall time of ``python -c code`` in ``runs`` fresh processes."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def heavy_modules_loaded_by(code: str) -> list[str]:
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_time_self_us(runs: int) -> float:
    """Median cumulative import time of vramlab reported by ``python -X importtime``, in µs."""
    values = []
    for _ in range(runs):
        res = subprocess.run([sys.executable, "-X", "importtime", "-c", "import vramlab"], cwd=ROOT,
                             check=True, capture_output=True, text=True)
        for line in res.stderr.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == "vramlab":
                values.append(int(parts[1]))
    return statistics.median(values)


def rate(fn, seconds: float) -> tuple[int, float]:
    """Call ``fn`` repeatedly for about ``seconds``; return (calls, elapsed)."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return n, elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="fresh processes per import timing (default 15)")
    ap.add_argument("--seconds", type=float, default=2.0, help="time per throughput loop (default 2 s)")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    import vramlab as vl

    print(f"vramlab {vl.__version__}, Python {sys.version.split()[0]}, {sys.platform}")
    print()

    # (a) import cost
    bare = median_run_seconds("pass", args.runs)
    imp = median_run_seconds("import vramlab", args.runs)
    cum_us = import_time_self_us(max(3, args.runs // 3))
    heavy = heavy_modules_loaded_by("import vramlab")
    heavy_cli = heavy_modules_loaded_by("from vramlab.cli import main; main(['models']) and None")
    print(f"(a) import, median of {args.runs} fresh processes")
    print(f"    python -c pass              {bare * 1e3:8.1f} ms")
    print(f"    python -c 'import vramlab'  {imp * 1e3:8.1f} ms   (+{(imp - bare) * 1e3:.1f} ms)")
    print(f"    -X importtime, vramlab cumulative: {cum_us / 1e3:.1f} ms")
    print(f"    heavy libraries loaded by `import vramlab`: {', '.join(heavy) if heavy else 'none'}"
          f"  (checked: {', '.join(HEAVY)})")
    print(f"    heavy libraries loaded by `vramlab models`: {', '.join(heavy_cli) if heavy_cli else 'none'}")
    print()

    # (b) estimates per second
    ids = vl.list_models()
    specs = [vl.load_model(i) for i in ids]

    def estimate_specs():
        for m in specs:
            vl.estimate(m, tokens=32768, concurrency=4, kv_dtype="fp8")

    def estimate_ids():
        for i in ids:
            vl.estimate(i, tokens=32768, concurrency=4, kv_dtype="fp8")

    n, el = rate(estimate_specs, args.seconds)
    print(f"(b) vl.estimate over all {len(ids)} presets")
    print(f"    from a loaded ModelSpec: {n * len(ids) / el:10,.0f} estimates/s  ({el / n * 1e3:.2f} ms per sweep)")
    n, el = rate(estimate_ids, args.seconds)
    print(f"    from a preset id:        {n * len(ids) / el:10,.0f} estimates/s  ({el / n * 1e3:.2f} ms per sweep)")
    print()

    # (c) parameter counts of every preset
    def count_all_from_ids():
        return [vl.load_model(i).param_count() for i in ids]

    def count_all_from_specs():
        return [m.param_count() for m in specs]

    totals = count_all_from_ids()
    cold_code = ("import time, vramlab as vl; t = time.perf_counter(); "
                 "[vl.load_model(i).param_count() for i in vl.list_models()]; print(time.perf_counter() - t)")
    cold = statistics.median(
        float(subprocess.run([sys.executable, "-c", cold_code], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout)
        for _ in range(max(3, args.runs // 3))
    )
    n, el = rate(count_all_from_ids, args.seconds)
    n2, el2 = rate(count_all_from_specs, args.seconds)
    print(f"(c) parameter count of all {len(ids)} presets ({sum(totals):,} parameters in all)")
    print(f"    first sweep in a fresh process:       {cold * 1e3:8.2f} ms   (reads the {len(ids)} preset files)")
    print(f"    load_model + param_count, warm:       {el / n * 1e3:8.2f} ms per sweep")
    print(f"    param_count on loaded specs:          {el2 / n2 * 1e3:8.2f} ms per sweep")
    print()
    coverage_sweep(args.seconds)
    return 0


def coverage_sweep(seconds: float) -> None:
    """(d): vramlab over transformers' default config of every causal-LM model_type."""
    import vramlab as vl

    try:
        import transformers
        from vramlab.oracle import causal_lm_model_types, default_config
    except ImportError:
        print("(d) coverage sweep: skipped (transformers is not installed)")
        return
    import warnings

    warnings.simplefilter("ignore")
    transformers.logging.set_verbosity_error()
    configs = []
    for mt in causal_lm_model_types():
        try:
            configs.append(default_config(mt))
        except Exception:  # noqa: BLE001 - transformers' own defaults do not validate
            pass

    def sweep() -> dict[str, int]:
        out = {"exact": 0, "approximate": 0, "refused": 0}
        for cfg in configs:
            try:
                m = vl.load_model(cfg)
                m.param_count(towers=False)
                out["exact" if m.language_model_exact else "approximate"] += 1
            except vl.VramlabError:
                out["refused"] += 1
        return out

    counts = sweep()
    n, el = rate(sweep, seconds)
    print(f"(d) coverage sweep over {len(configs)} default configs of transformers {transformers.__version__} "
          f"(vramlab side only, no model built)")
    print(f"    {counts['exact']} exact, {counts['approximate']} approximate, {counts['refused']} refused")
    print(f"    load_model + param_count or refusal:  {el / n * 1e3:8.2f} ms per sweep")


if __name__ == "__main__":
    sys.exit(main())
