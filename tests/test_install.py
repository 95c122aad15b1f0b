"""The suite as a user installs it: a wheel in a fresh venv, and exported notebooks under plain papermill.

The wheel test builds csresearch from a copy of the source (so the checkout is
not touched), installs it with ``--no-deps`` into a new virtual environment
whose dependencies come from the test environment's site-packages through a
``.pth`` path entry (plain path entries do not run the editable-install hook
there), and runs the whole suite from an empty folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

from csresearch.runner.notebooks import export_notebooks

pytestmark = pytest.mark.xdist_group("install")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CSRESEARCH_NOTEBOOKS", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _build_wheel(repo: Path, tmp: Path) -> Path:
    src = tmp / "src-copy"
    shutil.copytree(repo / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(repo / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"), str(src)],
                   check=True, capture_output=True, text=True, env=_clean_env())
    (wheel,) = (tmp / "dist").glob("csresearch-*.whl")
    return wheel


def _venv_with_wheel(wheel: Path, tmp: Path) -> Path:
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # dependencies from the test environment, as plain path entries (after the venv's own site-packages)
    (Path(purelib) / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--quiet", str(wheel)],
                   check=True, capture_output=True, text=True, env=_clean_env())
    # nbconvert's templates are data files its own install puts under <prefix>/share/jupyter
    shutil.copytree(Path(sys.prefix) / "share" / "jupyter" / "nbconvert", env_dir / "share" / "jupyter" / "nbconvert")
    return env_dir


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_the_suite_from_an_empty_folder(repo_root, tmp_path):
    wheel = _build_wheel(repo_root, tmp_path)
    env_dir = _venv_with_wheel(wheel, tmp_path)
    work = tmp_path / "empty-folder"
    work.mkdir()
    shutil.copytree(repo_root / "data" / "sample", work / "mydata")
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import csresearch; print(csresearch.__file__)"],
                           cwd=work, check=True, capture_output=True, text=True, env=_clean_env()).stdout
    assert where.startswith(str(env_dir)), f"csresearch imported from {where}, not the wheel"

    run = subprocess.run([str(env_dir / "bin" / "csresearch"), "run", "mydata", "-o", "reports", "--jobs", "2"],
                         cwd=work, capture_output=True, text=True, env=_clean_env(), timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    out = work / "reports"
    manifest = json.loads((out / "run.json").read_text())
    assert [n["status"] for n in manifest["notebooks"]] == ["ok"] * 9
    assert manifest["environment"]["git_commit"] is None, "the wheel is not a checkout"
    findings = json.loads((out / "findings.json").read_text())
    assert findings["dataset"]["folder"] == "mydata" and "onboarding_vs_churn" in findings
    assert (out / "index.html").is_file() and len(list(out.glob("0*.html"))) == 9


@pytest.mark.slow
def test_exported_notebook_runs_under_plain_papermill(repo_root, tmp_path):
    written = export_notebooks(tmp_path / "nbs")
    assert [p.name for p in written][:2] == ["00_data_audit.ipynb", "01_onboarding_vs_churn.ipynb"]
    nb = nbformat.read(written[1], as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3" and nb.metadata["language_info"]["name"] == "python"
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    papermill = Path(sys.executable).with_name("papermill")
    data = tmp_path / "data"
    shutil.copytree(repo_root / "data" / "sample", data)
    result = subprocess.run(
        [str(papermill), str(written[1]), str(tmp_path / "out.ipynb"), "-p", "data_dir", str(data), "-p", "horizon_years", "2"],
        cwd=tmp_path, capture_output=True, text=True, env=_clean_env(), timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "horizon_years = 2" in injected[0].source
    text = "\n".join(o.get("data", {}).get("text/markdown", "") for c in executed.cells for o in c.get("outputs", []))
    assert "within 2 years" in text
    assert not any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))


def test_export_refuses_to_overwrite_without_force(tmp_path):
    from csresearch.errors import InputError

    export_notebooks(tmp_path)
    with pytest.raises(InputError, match="--force"):
        export_notebooks(tmp_path)
    assert len(export_notebooks(tmp_path, force=True)) == 9
