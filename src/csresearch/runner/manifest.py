"""Reproducibility manifest of a run: environment, package versions, git commit."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["KEY_PACKAGES", "environment", "git_commit", "package_versions"]

KEY_PACKAGES = (
    "csresearch", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib",
    "pandera", "duckdb", "pyarrow", "papermill", "nbconvert", "jupytext", "ipykernel",
)


def package_versions(names=KEY_PACKAGES) -> dict[str, str]:
    """Installed version of each package (``not installed`` when absent)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(repo: Path) -> str | None:
    """``<sha>`` (with ``+dirty`` when there are uncommitted changes) of ``repo``, or None outside git."""
    try:
        sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment(repo: Path, started: str, finished: str) -> dict[str, str | None]:
    """Run times, Python, platform and git commit."""
    return {
        "run_started": started,
        "run_finished": finished,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": git_commit(repo),
        "command": " ".join(["csresearch", *sys.argv[1:]]) if Path(sys.argv[0]).name == "csresearch" else None,
    }
