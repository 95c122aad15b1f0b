"""Every messy-input case of the flat-table front end has a test here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csresearch.errors import InputError
from csresearch.factors import analyze_factors
from csresearch.factors.cleaning import clean_table, parse_label

FAST = {"n_boot": 40, "n_repeats": 1, "n_splits": 3}


def _messy(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    usage = rng.uniform(0, 1, n)
    churn = rng.random(n) < np.where(usage < 0.4, 0.45, 0.15)
    charges = np.round(rng.uniform(10, 100, n), 2).astype(str).astype(object)
    charges[:7] = " "  # Telco-style blanks in a numeric text column
    plan = rng.choice(["basic", "pro", "team"], n).astype(object)
    plan[:4] = "legacy"  # rare level (< 10 rows)
    return pd.DataFrame({
        "row": np.arange(1, n + 1),
        "customer": [f"C{i:05d}" for i in range(n)],
        "usage": usage,
        "charges": charges,
        "paperless": rng.choice([" Yes", "no", "YES", "No "], n),
        "constant": "same",
        "comment": [f"free text number {i}" for i in rng.permutation(n)],
        "plan": plan,
        "plan_copy": plan,  # collinear dummies
        "refund_reason": np.where(churn, rng.uniform(1, 2, n), rng.uniform(-2, -1, n)),  # separates churn
        "nps": np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 11, n)),
        "Churn": np.where(churn, "  Yes", "no"),
    })


@pytest.fixture(scope="session")
def messy_report():
    frame = _messy()
    before = frame.copy()
    report = analyze_factors(frame, "Churn", **FAST)
    pd.testing.assert_frame_equal(frame, before)  # the input is never modified
    return report


def _note(report, *words):
    return [n for n in report.notes if all(w in n for w in words)]


def test_label_yes_no_trimmed_case_insensitive():
    y, how = parse_label(pd.Series([" Yes", "no", "YES ", "No"], name="Churn"), None)
    assert y.tolist() == [1, 0, 1, 0] and "Churn" in how


@pytest.mark.parametrize("values,expected", [
    (["True", "false", "TRUE"], [1, 0, 1]),
    ([1, 0, 0], [1, 0, 0]),
    ([1.0, 0.0, 1.0], [1, 0, 1]),
    (["1", "0", " 1 "], [1, 0, 1]),
])
def test_label_true_false_and_one_zero(values, expected):
    assert parse_label(pd.Series(values, name="l"), None)[0].tolist() == expected


def test_label_any_two_values_with_positive():
    y, how = parse_label(pd.Series(["cancelled", "active", " Cancelled"], name="status"), "cancelled")
    assert y.tolist() == [1, 0, 1] and "'active' = not churned" in how


def test_label_positive_not_a_value_is_an_error():
    with pytest.raises(InputError, match=r"--positive 'gone'.*'active'"):
        parse_label(pd.Series(["cancelled", "active"], name="status"), "gone")


def test_label_other_values_error_names_them():
    with pytest.raises(InputError, match=r"'Churn'.*'maybe'.*--positive"):
        parse_label(pd.Series(["Yes", "No", "maybe"], name="Churn"), None)
    with pytest.raises(InputError, match="exactly two values"):
        parse_label(pd.Series(["a", "b", "c"], name="s"), "a")


def test_label_missing_values_error_names_count_and_lines():
    with pytest.raises(InputError, match=r"2 missing values \(file lines 3, 5\)"):
        parse_label(pd.Series(["Yes", None, "No", " "], name="Churn"), None)


def test_numbers_stored_as_text_with_blanks(messy_report):
    assert _note(messy_report, "charges", "numbers stored as text", "7 blank")
    assert "charges" in messy_report.factors.odds_ratios.index  # numeric: keyed by column


def test_yes_no_text_column_becomes_zero_one(messy_report):
    assert _note(messy_report, "paperless", "yes/no text converted to 0/1")
    assert "paperless" in messy_report.factors.odds_ratios.index


def test_constant_column_dropped(messy_report):
    assert _note(messy_report, "constant", "only one value")
    assert "constant" not in messy_report.factors.ranking


def test_identifier_and_row_number_columns_excluded(messy_report):
    assert _note(messy_report, "customer", "identifier")
    assert _note(messy_report, "row", "row number (1..600)")
    clean = clean_table(pd.DataFrame({"idx": range(100), "x": np.tile([1.0, 2.0], 50),
                                      "l": ["Yes"] * 40 + ["No"] * 60}), "l")
    assert "idx" not in clean.X.columns and any("row number (0..99)" in n for n in clean.notes)
    for c in ("customer", "row"):
        assert c not in messy_report.factors.ranking


def test_free_text_excluded(messy_report):
    assert _note(messy_report, "comment", "excluded")
    assert "comment" not in messy_report.factors.ranking


def test_rare_categories_grouped_into_other(messy_report):
    assert _note(messy_report, "plan", "rare", "'other'", "legacy")
    levels = set(messy_report.factors.univariate.query("factor == 'plan'")["level"])
    assert "other" in levels and "legacy" not in levels


def test_missing_values_strategy_noted(messy_report):
    assert _note(messy_report, "nps", "missing indicator")
    assert "nps[missing]" in messy_report.factors.odds_ratios.index


def test_separating_column_and_collinear_dummies_noted_not_crashing(messy_report):
    assert _note(messy_report, "refund_reason", "separates churn")
    assert _note(messy_report, "plan_copy", "collinear")
    odds = messy_report.factors.odds_ratios
    assert odds.loc["refund_reason", "reason"]
    assert np.isfinite(odds.loc["usage", "ci_high"])
    assert messy_report.factors.cv_auc.available


def test_empty_table_is_an_error():
    with pytest.raises(InputError, match="empty"):
        clean_table(pd.DataFrame({"Churn": [], "x": []}), "Churn")


def test_one_class_is_an_error():
    with pytest.raises(InputError, match="one class"):
        clean_table(pd.DataFrame({"Churn": ["No"] * 50, "x": range(50)}), "Churn")


def test_fewer_than_twenty_per_class_is_an_error():
    frame = pd.DataFrame({"Churn": ["Yes"] * 19 + ["No"] * 100, "x": np.arange(119.0) % 7})
    with pytest.raises(InputError, match="19 churned.*at least 20"):
        clean_table(frame, "Churn")


@pytest.mark.parametrize("option", ["label", "id_col", "duration", "exclude", "group"])
def test_unknown_column_names_list_known_columns(option):
    frame = _messy(60)
    kwargs = {"label": "Churn", option: ["nope"] if option == "exclude" else "nope"}
    with pytest.raises(InputError, match=r"unknown column\(s\) \['nope'\].*'usage'"):
        clean_table(frame, **kwargs)


def test_bad_duration_is_an_error():
    frame = _messy(100).assign(months=lambda d: np.where(np.arange(100) == 3, -1.0, 5.0))
    with pytest.raises(InputError, match="--duration column 'months'.*line"):
        clean_table(frame, "Churn", duration="months")


def test_csv_and_parquet_load_the_same(tmp_path):
    from csresearch.factors.cleaning import read_table

    frame = _messy(150)
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    a = clean_table(read_table(tmp_path / "t.csv"), "Churn")
    b = clean_table(read_table(tmp_path / "t.parquet"), "Churn")
    pd.testing.assert_frame_equal(a.X, b.X)
    assert (a.y == b.y).all() and a.notes == b.notes


def test_group_column_sets_cv_groups_and_is_not_a_factor():
    frame = _messy(120).assign(account=lambda d: [f"acc{i // 4}" for i in range(len(d))])
    clean = clean_table(frame, "Churn", group="account", id_col="customer")
    assert "account" not in clean.X.columns and "customer" not in clean.X.columns
    assert clean.groups[0] == clean.groups[3] == "acc0" and clean.groups[4] == "acc1"
