"""Reproducibility manifest of a run: environment, package versions, git commit."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
from importlib import metadata, resources
from pathlib import Path

__all__ = ["KEY_PACKAGES", "environment", "git_commit", "package_dir", "package_versions", "utc_now"]

KEY_PACKAGES = (
    "csresearch", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib",
    "pandera", "duckdb", "pyarrow", "papermill", "nbconvert", "jupytext", "ipykernel",
)


def utc_now() -> str:
    """The current UTC time as ISO 8601, to the second (run start and end in run.json)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def package_versions(names=KEY_PACKAGES) -> dict[str, str]:
    """Installed version of each package (``not installed`` when absent)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def package_dir() -> Path:
    """The folder the running csresearch package was imported from."""
    return Path(str(resources.files("csresearch")))


def git_commit(repo: Path) -> str | None:
    """``<sha>`` (``+dirty`` with uncommitted changes) of the checkout holding ``repo``, or None.

    None when ``repo`` is not inside a git work tree or is not tracked there
    (an installed wheel inside a git-ignored virtual environment).
    """
    try:
        tracked = subprocess.run(["git", "-C", str(repo), "ls-files", "--error-unmatch", "__init__.py"],
                                 capture_output=True, text=True, timeout=10)
        if tracked.returncode != 0:
            return None
        sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment(started: str, finished: str, repo: Path | None = None) -> dict[str, str | None]:
    """Run times, Python, platform and the git commit of the package source (when it is a checkout)."""
    repo = package_dir() if repo is None else repo
    return {
        "run_started": started,
        "run_finished": finished,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": git_commit(repo),
        "command": " ".join(["csresearch", *sys.argv[1:]]) if Path(sys.argv[0]).name == "csresearch" else None,
    }
