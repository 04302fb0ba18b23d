"""The set-up files agree with pyproject.toml: conda environments, Binder, README, Makefile, CI.

The environment files are read with a small line parser (they are plain lists of conda
match specs), so this test needs no YAML library.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
ENV_FILES = [ROOT / "environment.yml", ROOT / "binder" / "environment.yml"]
SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def runtime_requirements() -> dict[str, str]:
    """pyproject's runtime dependencies: normalised name -> version specifier (e.g. '>=4')."""
    out = {}
    for req in pyproject()["project"]["dependencies"]:
        req = req.split(";")[0].strip()  # no environment markers expected, but be safe
        m = SPEC.match(req)
        assert m, req
        out[normalise(m.group(1))] = m.group(2).replace(" ", "")
    return out


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_environment(path: Path) -> dict:
    """channels, conda specs (name -> version spec) and pip lines of a conda environment.yml."""
    env: dict = {"name": None, "channels": [], "conda": {}, "pip": []}
    section = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if indent == 0:
            key, _, value = text.partition(":")
            section = key
            if key == "name":
                env["name"] = value.strip()
            continue
        assert text.startswith("- "), f"{path}: unexpected line {raw!r}"
        item = text[2:].strip()
        if section == "channels":
            env["channels"].append(item)
        elif section == "dependencies" and item == "pip:":
            section = "pip"
        elif section == "dependencies":
            m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", item)
            assert m, f"{path}: cannot read conda spec {item!r}"
            env["conda"][normalise(m.group(1))] = m.group(2).replace(" ", "")
        elif section == "pip":
            env["pip"].append(item)
    return env


def test_line_parser_reads_a_known_file(tmp_path):
    p = tmp_path / "environment.yml"
    p.write_text("name: x\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11.7\n"
                 "  - pandas >=2  # comment\n  - pip\n  - pip:\n      - -e .\n")
    env = read_environment(p)
    assert env == {"name": "x", "channels": ["conda-forge"],
                   "conda": {"python": "=3.11.7", "pandas": ">=2", "pip": ""}, "pip": ["-e ."]}


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_environment_has_every_runtime_dependency(path):
    env = read_environment(path)
    assert env["channels"] == ["conda-forge"]
    reqs = runtime_requirements()
    assert set(reqs) == {"jupyterlab", "ipywidgets", "matplotlib", "pandas", "sympy"}
    for name, spec in reqs.items():
        assert name in env["conda"], f"{path.name} lacks {name} (a runtime dependency in pyproject.toml)"
        assert env["conda"][name] == spec, f"{path.name}: {name}{env['conda'][name]} vs pyproject {name}{spec}"
    assert "pip" in env["conda"]
    declared = set(reqs)
    for group in pyproject()["project"].get("optional-dependencies", {}).values():
        declared |= {normalise(SPEC.match(r).group(1)) for r in group}
    extra = set(env["conda"]) - declared - {"python", "pip"}
    assert not extra, f"{path.name} has packages pyproject.toml does not declare: {sorted(extra)}"


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_pinned_exactly_and_allowed_by_pyproject(path):
    spec = read_environment(path)["conda"]["python"]
    m = re.fullmatch(r"=(\d+)\.(\d+)\.(\d+)", spec)
    assert m, f"{path.name}: python must be pinned to an exact version (python=X.Y.Z), got {spec!r}"
    version = tuple(int(x) for x in m.groups())
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", pyproject()["project"]["requires-python"])
    assert minimum and version[:2] >= tuple(int(x) for x in minimum.groups())


def test_environments_agree():
    root, binder = (read_environment(p) for p in ENV_FILES)
    assert root["conda"] == binder["conda"]


def test_root_environment_installs_the_package():
    pip_lines = read_environment(ROOT / "environment.yml")["pip"]
    assert any(re.fullmatch(r"-e \.(\[[a-z,]+\])?", line) for line in pip_lines), pip_lines


def test_postbuild_installs_the_package():
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    lines = [ln.strip() for ln in post.read_text(encoding="utf-8").splitlines()]
    assert lines[0].startswith("#!")
    commands = [ln for ln in lines if ln and not ln.startswith("#")]
    assert any(re.search(r"\bpip install -e \.(\s|$)", ln) for ln in commands), commands


def first_code_block(markdown: str) -> list[str]:
    m = re.search(r"^```[a-z]*\n(.*?)^```", markdown, re.S | re.M)
    assert m, "README has no code block"
    return [ln.split("#")[0].strip() for ln in m.group(1).splitlines() if ln.split("#")[0].strip()]


def test_readme_starts_with_the_two_commands():
    assert first_code_block((ROOT / "README.md").read_text(encoding="utf-8")) == ["make lab", "make test"]


def test_makefile_has_lab_and_test_targets():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z_][\w.-]*)\s*:(?!=)", text, re.M))
    assert {"lab", "test"} <= targets
    phony = re.search(r"^\.PHONY:(.*)$", text, re.M)
    assert phony and {"lab", "test"} <= set(phony.group(1).split())


def test_ci_runs_make_test():
    ci = ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    commands = [ln.strip() for ln in ci.read_text(encoding="utf-8").splitlines()
                if ln.strip() and not ln.strip().startswith("#")]
    assert any(re.search(r"(^|\s)make test(\s|$)", ln) for ln in commands), commands
    assert any("VRAMLAB_REQUIRE_ORACLE=1" in ln and "make test" in ln for ln in commands)
