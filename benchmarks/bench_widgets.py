"""Time from an input change to updated outputs in every calculator, without and with the figure.

Run: ``.venv/bin/python benchmarks/bench_widgets.py [repeats]``. Prints medians in ms.
Each timing sets one control's value; the widget's observers run synchronously, so when the
assignment returns the estimate, the fit verdict, the breakdown text and (with plot=True)
the PNG of the stacked plot are all updated.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time


def _median_ms(widget, control: str, values: list, repeats: int) -> float:
    times = []
    ctl = widget.controls[control]
    for i in range(repeats):
        v = values[i % len(values)]
        if ctl.value == v:
            v = values[(i + 1) % len(values)]
        t0 = time.perf_counter()
        ctl.value = v
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main(repeats: int = 41) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from vramlab import widgets as vw

    cases = [
        ("concurrency", [1, 2, 4, 8, 16, 32]),
        ("tokens", [2048, 8192, 32768, 131072]),
        ("gpu", ["RTX 4090", "H100 80GB", "L4", "A100 80GB"]),
        ("model", ["Qwen/Qwen3-8B", "meta-llama/Llama-3.1-70B-Instruct", "deepseek-ai/DeepSeek-V3"]),
    ]
    sink = io.StringIO()
    print(f"median of {repeats} changes, ms (python {sys.version.split()[0]})")
    print(f"{'widget':<16}{'control':<14}{'no figure':>12}{'with figure':>14}")
    for control, values in cases:
        with contextlib.redirect_stdout(sink):
            fast = vw.Calculator(plot=False)
            slow = vw.Calculator(plot=True)
            a = _median_ms(fast, control, values, repeats)
            b = _median_ms(slow, control, values, repeats)
        print(f"{'Calculator':<16}{control:<14}{a:>12.1f}{b:>14.1f}")
    for control, values in [("gpu", ["RTX 4090", "H100 80GB", "L4"]), ("kv_dtype", ["auto", "fp8", "int4"])]:
        with contextlib.redirect_stdout(sink):
            fast = vw.FitMapExplorer(plot=False)
            slow = vw.FitMapExplorer(plot=True)
            a = _median_ms(fast, control, values, repeats)
            b = _median_ms(slow, control, values, repeats)
        print(f"{'FitMapExplorer':<16}{control:<14}{a:>12.1f}{b:>14.1f}")
    small = [
        ("WeightsCalculator", vw.WeightsCalculator, "dtype", ["bf16", "fp8", "int4", "nf4"]),
        ("KVCalculator", vw.KVCalculator, "concurrency", [1, 2, 4, 8, 16]),
        ("PoolCalculator", vw.PoolCalculator, "gpu_memory_utilization", [0.8, 0.85, 0.9, 0.95]),
        ("LogExplainer", vw.LogExplainer, "text", [_log(22), _log(24), _log(43)]),
        ("SizeConverter", vw.SizeConverter, "unit", ["GB", "GiB", "MB", "MiB"]),
        ("RulesCalculator", vw.RulesCalculator, "concurrency", [1, 2, 4, 8]),
        ("TrainingCalculator", vw.TrainingCalculator, "zero_stage", [0, 1, 2, 3]),
        ("SpeedCalculator", vw.SpeedCalculator, "concurrency", [1, 8, 64, 512]),
    ]
    print(f"\n{'widget':<20}{'control':<24}{'ms':>8}")
    for name, cls, control, values in small:
        with contextlib.redirect_stdout(sink):
            a = _median_ms(cls(), control, values, repeats)
        print(f"{name:<20}{control:<24}{a:>8.1f}")


def _log(row_id: int) -> str:
    from vramlab.calibration import calibration_log

    return calibration_log(row_id)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 41)
