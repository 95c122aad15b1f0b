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


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory):
    """The whole suite on 1500 generated accounts (seed 7) with a doubled onboarding deficit, run once per session.

    Returns ``(exit code, findings, log, root)``; the reports are in ``root / "out"``.
    Tests using it carry ``@pytest.mark.xdist_group("generated_run")`` so that
    ``pytest -n --dist loadgroup`` runs them on one worker and the suite runs once.
    """
    import io
    import json

    from csresearch.runner import run_suite
    from csresearch.synth import generate_dataset

    root = tmp_path_factory.mktemp("generated")
    data = generate_dataset(n_accounts=1500, seed=7, scenario={"onboarding_deficit": 2.0}).write(root / "data")
    log = io.StringIO()
    code = run_suite(data, root / "out", jobs=2, stream=log)
    return code, json.loads((root / "out" / "findings.json").read_text()), log.getvalue(), root


# Property tests: random in development (to find new cases), reproducible in CI.
try:
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        _hyp_settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is a test extra
    pass
