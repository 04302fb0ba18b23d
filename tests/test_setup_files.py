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


def version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def satisfies(pin: str, spec: str) -> bool:
    """Whether a conda minor pin ``=X.Y`` (X.Y.*) lies inside a pyproject ``>=A.B`` range."""
    m = re.fullmatch(r">=([\d.]+)", spec)
    assert m, f"pyproject specifiers here are plain lower bounds, got {spec!r}"
    return version(pin[1:]) >= version(m.group(1))


def declared_packages() -> set[str]:
    declared = set(runtime_requirements())
    for group in pyproject()["project"].get("optional-dependencies", {}).values():
        declared |= {normalise(SPEC.match(r).group(1)) for r in group}
    return declared


def test_satisfies_reads_minor_pins():
    assert satisfies("=3.11", ">=3.7") and satisfies("=4.0", ">=4")
    assert not satisfies("=3.6", ">=3.7") and not satisfies("=1.9", ">=1.12")


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_environment_has_every_runtime_dependency(path):
    env = read_environment(path)
    assert env["channels"] == ["conda-forge"]
    reqs = runtime_requirements()
    assert set(reqs) == {"jupyterlab", "ipywidgets", "matplotlib", "pandas", "sympy"}
    for name in reqs:
        assert name in env["conda"], f"{path.name} lacks {name} (a runtime dependency in pyproject.toml)"
    assert "pip" in env["conda"]
    extra = set(env["conda"]) - declared_packages() - {"python", "pip"}
    assert not extra, f"{path.name} has packages pyproject.toml does not declare: {sorted(extra)}"


def test_root_environment_uses_pyproject_ranges():
    env = read_environment(ENV_FILES[0])
    for name, spec in runtime_requirements().items():
        assert env["conda"][name] == spec, f"environment.yml: {name}{env['conda'][name]} vs pyproject {name}{spec}"


def test_root_python_pinned_exactly_and_allowed_by_pyproject():
    spec = read_environment(ENV_FILES[0])["conda"]["python"]
    m = re.fullmatch(r"=(\d+)\.(\d+)\.(\d+)", spec)
    assert m, f"environment.yml: python must be pinned to an exact version (python=X.Y.Z), got {spec!r}"
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", pyproject()["project"]["requires-python"])
    assert minimum and tuple(int(x) for x in m.groups())[:2] >= tuple(int(x) for x in minimum.groups())


def test_binder_pins_python_and_minor_versions():
    env = read_environment(ENV_FILES[1])
    assert env["conda"]["python"] == "=3.11"
    reqs = runtime_requirements()
    for name, pin in env["conda"].items():
        if name in {"python", "pip"}:
            continue
        assert re.fullmatch(r"=\d+\.\d+", pin), f"binder: {name} must be pinned to a minor version (=X.Y), got {pin!r}"
        if name in reqs:
            assert satisfies(pin, reqs[name]), f"binder: {name}{pin} is outside pyproject's {name}{reqs[name]}"


def test_binder_serves_the_app_with_voila():
    env = read_environment(ENV_FILES[1])
    assert "voila" in env["conda"]
    assert (ROOT / "notebooks" / "app.ipynb").exists()


def test_environments_agree():
    root, binder = (read_environment(p) for p in ENV_FILES)
    assert set(root["conda"]) | {"voila"} == set(binder["conda"])


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


def test_readme_links_binder_and_voila_on_main():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text[: text.index("```")]   # the badges come before the two commands
    binder = re.findall(r"\(https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/([\w.-]+)\?urlpath=([^)\s]+)\)", head)
    assert binder, "README has no Binder link above its first code block"
    assert {ref for _, ref, _ in binder} == {"main"}, binder
    paths = {urlpath for _, _, urlpath in binder}
    voila = [p for p in paths if p.startswith("voila/render/")]
    lab = [p for p in paths if p.startswith("lab/tree/")]
    assert voila and lab, paths
    for p in voila + lab:
        target = p.split("/", 2)[2]
        assert (ROOT / target).exists(), f"README's Binder link opens {target}, which does not exist"


def makefile() -> str:
    return (ROOT / "Makefile").read_text(encoding="utf-8")


def test_makefile_has_lab_and_test_targets():
    text = makefile()
    targets = set(re.findall(r"^([A-Za-z_][\w.-]*)\s*:(?!=)", text, re.M))
    assert {"lab", "test", "app"} <= targets
    phony = re.search(r"^\.PHONY:(.*)$", text, re.M)
    assert phony and {"lab", "test", "app"} <= set(phony.group(1).split())


def make_dry_run(target: str, *args: str) -> str:
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # -n prints the commands; -o keeps the venv target from being rebuilt
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", target, *args], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout


def test_make_lab_allows_root_only_as_root_and_passes_lab_args():
    line = [ln for ln in make_dry_run("lab", "LAB_ARGS=--port=9999").splitlines() if "jupyter lab" in ln]
    assert len(line) == 1, line
    assert "--port=9999" in line[0]
    assert ("--allow-root" in line[0]) == (os.getuid() == 0)


def test_make_app_serves_the_app_notebook():
    out = make_dry_run("app")
    assert "voila notebooks/app.ipynb" in out and "127.0.0.1" in out


def ci_commands() -> list[str]:
    ci = ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    return [ln.strip() for ln in ci.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def test_ci_runs_the_readme_path_first_then_the_mandatory_oracle_and_browser():
    commands = ci_commands()
    first_make = next(i for i, ln in enumerate(commands) if re.match(r"make\b", ln))
    assert commands[first_make] == "make test", "CI must first run exactly the README's `make test`"
    oracle = commands.index("make oracle")
    assert oracle > first_make
    assert not any("torch" in ln or "transformers" in ln for ln in commands[:first_make]), "no oracle before make test"
    later = commands[oracle:]
    assert any("chromium" in ln and "apt-get install" in ln for ln in later)
    strict = [ln for ln in later if "pytest" in ln]
    assert strict and all("VRAMLAB_REQUIRE_ORACLE=1" in ln and "VRAMLAB_REQUIRE_BROWSER=1" in ln for ln in strict)
    assert all(re.search(r"-m\s+[\"']oracle or browser[\"']", ln) for ln in strict)


def test_make_oracle_pins_torch():
    out = make_dry_run("oracle")
    assert re.search(r"pip install .*\btorch==2\.13\.0\b", out), out
