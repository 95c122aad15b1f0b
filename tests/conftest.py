"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("CSRESEARCH_REALDATA", REPO.parent / "shared" / "realdata"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """../shared/realdata, or skip with the reason when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real third-party datasets not found at {REALDATA} (set CSRESEARCH_REALDATA to point at them)")
    return REALDATA


# Property tests: random in development (to find new cases), reproducible in CI.
try:
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        _hyp_settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is a test extra
    pass
