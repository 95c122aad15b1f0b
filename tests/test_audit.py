"""Data audit tables (notebook 00) on a hand-made dataset."""

from __future__ import annotations

import pandas as pd
import pytest

from csresearch.analysis.audit import accounts_by_cohort, audit_dataset, coverage_by_month, decision_churn_rates
from test_lifetimes import _dataset


def test_churn_rates_by_renewal_number_and_year_with_wilson_intervals():
    by_number = decision_churn_rates(_dataset(), "renewal_number")
    assert by_number["decisions"].to_dict() == {1: 2, 2: 1}
    assert by_number["churned"].to_dict() == {1: 0, 2: 1}
    assert by_number.loc[2, "churn_rate"] == 1.0
    # Wilson 0/2: lower bound 0, upper bound z^2 / (n + z^2)
    z2 = 1.959963984540054 ** 2
    assert by_number.loc[1, "ci_low"] == pytest.approx(0, abs=1e-12)
    assert by_number.loc[1, "ci_high"] == pytest.approx(z2 / (2 + z2))
    by_year = decision_churn_rates(_dataset(), "year")
    assert by_year["decisions"].to_dict() == {2021: 1, 2022: 2}


def test_cohorts_coverage_and_flags():
    ds = _dataset()
    cohorts = accounts_by_cohort(ds)
    assert cohorts.loc["smb", 2020] == 1 and cohorts.loc["total", "total"] == 3
    coverage = coverage_by_month(ds)
    # on 2021-06-01 terms of a and b are in force; on 2023-06-01 only c (b's last term ended 2023-01-01)
    assert coverage.loc[pd.Timestamp("2021-06-01"), "accounts_in_contract"] == 2
    assert coverage.loc[pd.Timestamp("2023-06-01"), "accounts_in_contract"] == 1
    audit = audit_dataset(ds)
    flags = audit.flags.set_index("flag")
    assert flags.loc["accounts_without_usage", "count"] == 3  # no usage table at all
    assert flags.loc["open_terms", "count"] == 2
    section = audit.to_findings()
    assert section["n_decisions"] == 3
    assert section["churn_rate_per_decision"]["estimate"] == pytest.approx(1 / 3)
