"""Packaging checks: environment.yml and pyproject.toml agree, the CLI is installed."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

# conda-forge names that differ from the PyPI names in pyproject.toml
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
NON_PACKAGES = {"python", "pip", "openjdk"}  # openjdk: the Java runtime pyspark needs, not a Python package


def _split(requirement: str) -> tuple[str, str]:
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert m, requirement
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_lists_the_same_runtime_dependencies(repo_root):
    pyproject = tomllib.loads((repo_root / "pyproject.toml").read_text())
    project = pyproject["project"]
    runtime = dict(_split(r) for r in project["dependencies"])
    extras = dict(_split(r) for group in project["optional-dependencies"].values() for r in group)

    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    conda = {}
    pip_section = None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep.get("pip")
            continue
        name, spec = _split(dep)
        if name in NON_PACKAGES:
            continue
        conda[CONDA_TO_PYPI.get(name, name)] = spec

    missing = sorted(set(runtime) - set(conda))
    assert not missing, f"runtime dependencies missing from environment.yml: {missing}"
    unexpected = sorted(set(conda) - set(runtime) - set(extras))
    assert not unexpected, f"environment.yml lists packages pyproject.toml does not: {unexpected}"
    mismatched = {k: (runtime[k], conda[k]) for k in runtime if runtime[k] != conda[k]}
    assert not mismatched, f"version bounds differ (pyproject, environment.yml): {mismatched}"
    assert pip_section == ["-e ."], "environment.yml must install the package itself with pip: -e ."


def test_python_requirement_matches(repo_root):
    pyproject = tomllib.loads((repo_root / "pyproject.toml").read_text())
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    py = [d for d in env["dependencies"] if isinstance(d, str) and _split(d)[0] == "python"]
    assert py == ["python" + pyproject["project"]["requires-python"]]


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "csresearch.cli", "--help"], capture_output=True, text=True, check=True)
    for command in ("validate", "synth", "build-usage", "run", "factors"):
        assert command in out.stdout


def test_every_option_of_every_command_has_help_text():
    import click

    from csresearch.cli import main

    missing = []
    for name, command in main.commands.items():
        assert command.help, f"command {name} has no help text"
        for param in command.params:
            if isinstance(param, click.Option) and not param.help:
                missing.append(f"{name} {'/'.join(param.opts)}")
    assert not missing, f"options without help text: {missing}"
    assert "notebooks" in main.commands
