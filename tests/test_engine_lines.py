"""vLLM's release lines as data: ranges, sources of each rule, the fitted constants and their stand-ins."""

from dataclasses import fields

import vramlab.engines as engines
from vramlab import engine_lines
from vramlab.engine_lines import ENGINE_LINES, FITTED_CONSTANTS, without_rows_of


def test_lines_cover_every_version_from_0_6_without_overlap():
    for a, b in zip(ENGINE_LINES, ENGINE_LINES[1:]):
        assert a.last < b.first
        assert (a.last[0], a.last[1] + 1) == b.first[:2]
    for line in ENGINE_LINES:
        assert line.rules, line.name
        assert all("v0." in r or "vllm/" in r for r in line.rules), line.name


def test_engines_reexports_the_same_objects():
    for name in engine_lines.__all__:
        assert getattr(engines, name) is getattr(engine_lines, name), name


def test_every_stand_in_is_a_fitted_constant_or_zero():
    for name, (value, rows, line, stand_in) in FITTED_CONSTANTS.items():
        assert getattr(engine_lines, name) == value and rows, name
        assert stand_in == "ZERO" or stand_in in FITTED_CONSTANTS, name
        assert stand_in != name and line in {ln.name for ln in ENGINE_LINES}, name


def test_leaving_a_line_out_touches_only_its_constants():
    names = [f.name for f in fields(ENGINE_LINES[0])]
    for line in ENGINE_LINES:
        for other in ENGINE_LINES:
            swapped = without_rows_of(line, other.name)
            changed = {n for n in names if getattr(swapped, n) != getattr(line, n)}
            assert changed <= {"non_torch_tp1", "tp_comm", "runtime_buffers"}, (line.name, other.name)
            fitted_here = {FITTED_CONSTANTS[n][2] for n in FITTED_CONSTANTS
                           if FITTED_CONSTANTS[n][0] in (line.non_torch_tp1, line.tp_comm, line.runtime_buffers)}
            if other.name not in fitted_here:
                assert swapped == line, (line.name, other.name)


def test_flashinfer_sampler_bytes_per_line():
    from vramlab.engine_lines import SAMPLER_BYTES_FLASHINFER_PROBS, SAMPLER_BYTES_INPLACE
    for line in ENGINE_LINES:
        want = SAMPLER_BYTES_FLASHINFER_PROBS if line.name == "0.8" else SAMPLER_BYTES_INPLACE
        assert line.flashinfer_sampler_bytes == want, line.name
    # FlashInfer holds no sorted copy: never more than either PyTorch sampler
    assert all(ln.flashinfer_sampler_bytes <= max(ln.sampler_bytes_per_logit, SAMPLER_BYTES_INPLACE)
               for ln in ENGINE_LINES)
