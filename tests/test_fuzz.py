"""Robustness: whatever a careless or hostile user passes, vramlab answers with a clean
VramlabError or a value that passes sanity invariants -- never another exception, never
silent nonsense.

The seeded generators live in ``tests/fuzz/`` (also run by ``benchmarks/bench_fuzz.py``):
mutated fields of every preset config, missing and extra keys, broken files, garbage
arguments to every public function, mutated and random vLLM logs, random command lines.
Hypothesis tests add more, derandomized so CI is stable. Counts by category are printed
(``pytest -s``). Over 10,000 inputs in all.
"""

from __future__ import annotations

import math
import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vramlab as vl
from vramlab import units
from vramlab.errors import MAX_BYTES, MAX_TOKENS, VramlabError, check_int, check_number

from .fuzz import gen_args, gen_cli, gen_configs, gen_logs
from .fuzz.core import GARBAGE, Report, run_cases

#: Inputs per generator (seeded): the suite's size. The exhaustive argument sweep adds
#: len(GARBAGE) inputs per argument of every target, the files about 150.
SIZES = {"arguments": 3000, "configs": 3000, "logs": 800, "cli": 1200, "config files": 200}
HYPOTHESIS_EXAMPLES = 300
FUZZ = settings(derandomize=True, deadline=None, database=None, max_examples=HYPOTHESIS_EXAMPLES,
                suppress_health_check=list(HealthCheck))


def _assert_clean(report: Report, title: str) -> None:
    print(f"\n{title}: {report.total} inputs\n{report.table()}")
    bad = {k: v for k, v in report.by_outcome().items() if k not in ("refused", "value")}
    assert not bad, f"{title}: {dict(bad)}\n{report.failure_lines()}"
    assert report.by_outcome()["value"] > 0 or title in ("files",), f"{title}: nothing ever ran through"


def test_suite_size():
    """The seeded generators alone feed over 10,000 inputs."""
    exhaustive = sum(1 for _ in gen_args.exhaustive_cases())
    assert sum(SIZES.values()) + exhaustive >= 10_000


def test_every_argument_gets_every_garbage_value():
    _assert_clean(run_cases(gen_args.exhaustive_cases()), "exhaustive arguments")


def test_random_arguments():
    _assert_clean(run_cases(gen_args.argument_cases(random.Random(1), SIZES["arguments"])), "random arguments")


def test_mutated_preset_configs():
    _assert_clean(run_cases(gen_configs.config_cases(random.Random(2), SIZES["configs"])), "configs")


def test_structural_configs():
    """Cycles, long text_config chains, keys that are not strings, huge sizes, on every preset."""
    _assert_clean(run_cases(gen_configs.structural_cases()), "structural configs")


def test_broken_files(tmp_path):
    report = run_cases(gen_configs.file_cases(tmp_path))
    _assert_clean(report, "files")
    assert report.by_outcome()["refused"] >= 40


def test_vllm_logs():
    _assert_clean(run_cases(gen_logs.log_cases(random.Random(3), SIZES["logs"])), "logs")


def test_command_lines(tmp_path):
    files = [p for _, p in gen_configs.broken_files(tmp_path)] + gen_cli.fixture_files()
    report = run_cases(gen_cli.cli_cases(random.Random(4), SIZES["cli"], files=files))
    _assert_clean(report, "cli")


def test_config_files_on_the_command_line(tmp_path):
    report = run_cases(gen_cli.config_file_cases(random.Random(5), SIZES["config files"], tmp_path))
    _assert_clean(report, "config files")


# -- hypothesis ------------------------------------------------------------------------------
ANYTHING = st.one_of(
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), st.binary(max_size=8),
    st.booleans(), st.none(), st.lists(st.integers(), max_size=3), st.fractions(), st.decimals(),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.sampled_from(GARBAGE),
)


@FUZZ
@given(ANYTHING)
def test_check_int_returns_an_int_in_range_or_refuses(value):
    try:
        n = check_int("n", value, minimum=1, maximum=1000)
    except VramlabError as exc:
        assert exc.field == "n" and "between 1 and 1000" in str(exc)
        return
    assert type(n) is int and 1 <= n <= 1000 and n == value
    assert not isinstance(value, (bool, str, bytes))


@FUZZ
@given(ANYTHING)
def test_check_number_returns_a_finite_float_in_range_or_refuses(value):
    try:
        x = check_number("x", value, minimum=0.0, maximum=1e6)
    except VramlabError as exc:
        assert exc.field == "x" and "<= 1000000.0" in str(exc)
        return
    assert type(x) is float and math.isfinite(x) and 0.0 <= x <= 1e6
    assert not isinstance(value, (bool, str, bytes))


@FUZZ
@given(st.integers(1, MAX_TOKENS))
def test_parse_count_reads_what_it_is_given(n):
    assert units.parse_count(str(n)) == n
    assert units.parse_count(f"{n:,}") == n
    assert units.parse_count(f" {n:_} ") == n
    if n * 1024 <= MAX_TOKENS:
        assert units.parse_count(f"{n}k") == units.parse_count(f"{n}K") == n * 1024


TYPED = st.text(alphabet=string.digits + ".,_ %kKMGiBbe-+x" + "\x00é", max_size=14)


@FUZZ
@given(TYPED)
def test_parsers_refuse_or_answer_in_range(text):
    for parse, lo, hi in ((units.parse_count, 1, MAX_TOKENS), (units.parse_size, 0, MAX_BYTES),
                          (units.parse_bytes, 0, MAX_BYTES), (units.parse_fraction, 0.0, 1.0)):
        try:
            v = parse(text)
        except VramlabError as exc:
            assert "\n" not in str(exc) and exc.field
            continue
        assert lo <= v <= hi and not isinstance(v, bool), (parse.__name__, text, v)
        if parse is units.parse_fraction and not text.strip().endswith("%"):
            assert float(text) <= 1  # a bare "10" is never 1000 %


@FUZZ
@given(st.integers(1, 10**7), st.integers(1, 512), st.floats(0, 1), st.sampled_from(gen_args.KV_DTYPES),
       st.sampled_from(gen_args.MODELS))
def test_estimate_invariants(tokens, concurrency, margin, kv_dtype, model):
    e = vl.estimate(model, tokens=tokens, concurrency=concurrency, kv_dtype=kv_dtype, margin=margin)
    assert e.total == sum(e.parts().values()) and min(e.parts().values()) >= 0
    more = vl.estimate(model, tokens=tokens + 1, concurrency=concurrency, kv_dtype=kv_dtype, margin=margin)
    assert more.kv_cache >= e.kv_cache and more.total >= e.total
    assert vl.kv_cache_bytes(model, tokens, concurrency, kv_dtype) == concurrency * vl.kv_cache_bytes(
        model, tokens, 1, kv_dtype)


@settings(derandomize=True, deadline=None, database=None, max_examples=150, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.sampled_from(gen_cli.NUMBERS + gen_cli.WORDS + ["estimate", "params", "pool", "models",
                                                                              "explain-log", "--tokens", "--margin",
                                                                              "--concurrency", "--gpu"]),
                          st.text(max_size=6)), max_size=6))
def test_any_command_line(argv):
    gen_cli.verify_cli(gen_cli.run_cli(argv))


@pytest.mark.parametrize("value", [True, b"1", math.nan, math.inf, "10", [4096]])
def test_careless_values_are_refused_everywhere(value):
    """The examples that used to be accepted or crash: a bool or bytes as a count, NaN, lists."""
    m = "Qwen/Qwen3-8B"
    for call in (lambda: vl.estimate(m, tokens=value), lambda: vl.estimate(m, margin=value),
                 lambda: vl.kv_cache_bytes(m, value), lambda: vl.kv_pool(m, block_size=value)):
        with pytest.raises(VramlabError):
            call()


# -- the command line reads typed values; bad input is one line and exit 2 ----------------------
def _cli(*argv: str) -> tuple[int, str, str]:
    return gen_cli.run_cli(list(argv))


def _estimate_json(*argv: str) -> dict:
    import json

    rc, out, err = _cli("estimate", "Qwen/Qwen3-8B", "--json", *argv)
    assert rc == 0, err
    return json.loads(out)


def test_cli_counts_sizes_and_fractions_as_people_type_them():
    assert _estimate_json("--tokens", "32k") == _estimate_json("--tokens", "32768")
    assert _estimate_json("--tokens", "32k")["tokens"] == 32 * 1024
    assert _estimate_json("--concurrency", "1,024")["concurrency"] == 1024
    assert _estimate_json("--margin", "10%")["margin"] == _estimate_json("--margin", "0.1")["margin"]
    two = _estimate_json("--framework-gib", "2")
    assert two == _estimate_json("--framework-gib", "2GiB") == _estimate_json("--framework-gib", "2 gib")
    assert two["framework"] == 2 * 2**30


@pytest.mark.parametrize("argv, needles", [
    (["estimate", "Qwen/Qwen3-8B", "--margin", "10"], ["--margin", "'10'", "from 0 to", "10%"]),
    (["estimate", "Qwen/Qwen3-8B", "--tokens", "half"], ["--tokens", "'half'", "between 1 and 1000000000"]),
    (["estimate", "Qwen/Qwen3-8B", "--tokens", "1e309"], ["--tokens", "between 1 and"]),
    (["estimate", "Qwen/Qwen3-8B", "--tokens", "32x"], ["--tokens", "'32x'", "k = 1024"]),
    (["estimate", "Qwen/Qwen3-8B", "--concurrency", "1.5"], ["--concurrency", "'1.5'"]),
    (["estimate", "Qwen/Qwen3-8B", "--framework-gib", "half"], ["--framework-gib", "'half'", "1 PiB"]),
    (["estimate", "Qwen/Qwen3-8B", "--framework-gib", "2 PiB"], ["--framework-gib", "1 PiB"]),
    (["pool", "Qwen/Qwen3-8B", "--gpu-memory-utilization", "half"], ["--gpu-memory-utilization", "'half'"]),
    (["pool", "Qwen/Qwen3-8B", "--gpu-memory-utilization", "90"], ["--gpu-memory-utilization", "'90'", "90%"]),
    (["pool", "Qwen/Qwen3-8B", "--total-memory-gib", "1e300"], ["--total-memory-gib", "1 PiB"]),
    (["pool", "Qwen/Qwen3-8B", "--max-model-len", "-1"], ["--max-model-len", "'-1'"]),
    (["pool", "Qwen/Qwen3-8B", "--block-size", "0"], ["--block-size", "'0'"]),
    (["estimate"], ["MODEL_OR_CONFIG_JSON"]), ([], ["COMMAND"]), (["nonsense"], ["nonsense", "estimate"]),
    (["estimate", "Qwen/Qwen3-8B", "--bogus"], ["--bogus"]), (["estimate", "Qwen/Qwen3-8B", "--tokens"], ["--tokens"]),
])
def test_cli_bad_input_is_one_line_naming_the_option_and_range(argv, needles):
    rc, out, err = _cli(*argv)
    assert rc == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vramlab: error: "), err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    for raw in ("could not convert", "invalid literal", "invalid int value", "invalid float value", "Traceback"):
        assert raw not in err


def test_cli_an_unreadable_file_is_bad_input_and_a_stray_exception_is_a_bug(monkeypatch):
    """OSError: exit 2 in plain words, never Python's class name; any other exception (a bug
    inside vramlab, since bad input raises VramlabError) exits 3, never 1 (1 means "does not fit")."""
    from vramlab import cli

    def unreadable(args):
        raise OSError(5, "Input/output error", "server.log")

    def bug(args):
        raise ValueError("could not convert string to float: 'half'")

    monkeypatch.setattr(cli, "SUBCOMMANDS", [cli.Subcommand("read", "reads", lambda p: None, unreadable),
                                             cli.Subcommand("bug", "fails", lambda p: None, bug)])
    rc, out, err = _cli("read")
    assert rc == 2 and err == "vramlab: error: cannot read 'server.log': Input/output error\n"
    rc, out, err = _cli("bug")
    assert rc == 3 and err.startswith("vramlab: error: internal error (ValueError") and err.count("\n") == 1


def test_cli_closed_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", None)
    from vramlab.cli import main

    assert main(["explain-log", "-"]) == 2
