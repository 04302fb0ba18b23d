"""Accuracy of vramlab.kv_pool against real vLLM start-up logs (data/vllm_logs_calibration.csv).

It first lists every row of the CSV, used or skipped, with the reason
(:func:`vramlab.calibration.row_uses`). Each comparable row is predicted with the rules of
its own vLLM release line (:mod:`vramlab.engines`) and the sampler its own log names. Three
figures are reported apart:

* **in-sample** -- rows marked ``fit``: the fitted constants (non-torch memory, TP >= 2
  increase, runtime buffers) name these rows, so the error measures the fit;
* **held out** -- rows marked ``check``: no constant was fitted to them;
* **leave-one-version-out** -- every row predicted with the constants fitted on its own
  release line replaced by their stand-ins (:func:`vramlab.engines.without_rows_of`): what
  the error would be for a release vramlab has no log of.

Run: .venv/bin/python benchmarks/bench_vllm_accuracy.py
"""

from __future__ import annotations

import math
import statistics

from vramlab.calibration import calibration_table, row_uses

QUANTITIES = (("weights", "weights"), ("kv", "KV memory"), ("tokens", "KV tokens"), ("concurrency", "max concurrency"),
              ("pool", "KV pool"))


def _fmt(x, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _rows(df) -> None:
    head = (f"{'row':>4} {'use':<5} {'model':<36}{'vLLM':>7}{'tp':>3} | {'weights GiB':>15} | {'KV GiB':>15} | "
            f"{'KV tokens':>21} | {'max concurrency':>17} | {'pool err %':>10}")
    print(head)
    print("-" * len(head))
    for r in df.to_dict("records"):
        print(f"{r['row_id']:>4} {r['use']:<5} {r['model'][:35]:<36}{r['version']:>7}{r['tp']:>3} | "
              f"{r['weights_pred']:>6.2f} / {r['weights_logged']:>6.2f} | {r['kv_pred']:>6.2f} / {_fmt(r['kv_logged'], '>6.2f')} | "
              f"{r['tokens_pred']:>9,} / {_fmt(r['tokens_logged'], '>9,.0f')} | "
              f"{r['concurrency_pred']:>7.2f} / {_fmt(r['concurrency_logged'], '>7.2f')} | {_fmt(r['pool_err_%'], '>10.2f')}")
    print("(predicted / logged)")


def _summary(label: str, df) -> None:
    print(f"\n{label} ({len(df)} rows, vLLM {', '.join(sorted(set(df.version)))})")
    print(f"  {'quantity':<16}{'median |err| %':>16}{'worst |err| %':>16}  worst row")
    for k, name in QUANTITIES:
        errs = df[f"{k}_err_%"].abs().dropna()
        if errs.empty:
            continue
        worst = int(df.loc[errs.idxmax(), "row_id"])
        print(f"  {name:<16}{statistics.median(errs):>16.3f}{errs.max():>16.3f}  {worst}")


def _uses() -> None:
    u = row_uses()
    print(f"rows of data/vllm_logs_calibration.csv: {len(u)}; comparable {int((u.use != 'figures').sum())} "
          f"(fit {int((u.use == 'fit').sum())}, check {int((u.use == 'check').sum())}), "
          f"skipped {int((u.use == 'figures').sum())}")
    for r in u.to_dict("records"):
        print(f"{r['row_id']:>4} {'used' if r['use'] != 'figures' else 'skip':<5}{r['use']:<8}{r['model'][:40]:<41}"
              f"{r['version'][:22]:<23}{r['why']}")
    print()


def main() -> None:
    _uses()
    df = calibration_table()
    _rows(df)
    _summary("in-sample: rows the fitted constants name", df[df.use == "fit"])
    _summary("held out: rows no constant was fitted to", df[df.use == "check"])
    lovo = calibration_table(leave_version_out=True)
    print("\nleave-one-version-out: each row with the constants of its own release line swapped out")
    _rows(lovo)
    _summary("leave-one-version-out, every comparable row", lovo)
    _summary("leave-one-version-out, the in-sample rows", lovo[lovo.use == "fit"])
    held = df[df.use == "check"]["pool_err_%"].abs().dropna()
    kv = lovo["pool_err_%"].abs().dropna()
    print("\nKV pool = the logged KV memory, or the logged token count where no usable KV memory is printed")
    print(f"aims: KV pool median <= 3 %, worst <= 10 %: held out median {statistics.median(held):.2f} %, worst "
          f"{held.max():.2f} %; leave-one-version-out median {statistics.median(kv):.2f} %, worst {kv.max():.2f} %")


if __name__ == "__main__":
    main()
