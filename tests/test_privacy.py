"""Privacy: small-group suppression and the identifier scan."""

from __future__ import annotations

import pandas as pd
import pytest

from csresearch.dataset import Dataset
from csresearch.report.privacy import dataset_identifiers, find_identifiers, html_text, suppress_small_groups


def test_suppress_small_groups_masks_counts_and_rates_of_small_groups_only():
    frame = pd.DataFrame({"segment": ["smb", "mid", "ent"], "n": [40, 3, 5], "churned": [4, 1, 0],
                          "churn_rate": [0.1, 1 / 3, 0.0]})
    got = suppress_small_groups(frame, ["n", "churned"], min_group_size=5)
    assert got["n"].tolist() == [40, "<5", 5]
    assert got["churned"].tolist() == [4, "<5", 0]
    assert got["churn_rate"].tolist() == [0.1, "n<5", 0.0]
    assert got["segment"].tolist() == ["smb", "mid", "ent"]
    assert frame["n"].tolist() == [40, 3, 5]  # input untouched
    assert suppress_small_groups(frame, "n", min_group_size=1).equals(frame)
    explicit = suppress_small_groups(frame, "n", 10, rate_cols=[])
    assert explicit["churn_rate"].tolist() == [0.1, 1 / 3, 0.0] and explicit["n"].tolist() == [40, "<10", "<10"]
    with pytest.raises(KeyError, match="nope"):
        suppress_small_groups(frame, ["nope"])


def test_find_identifiers_matches_whole_tokens():
    ids = {"ACCT-17", "u_42", "acme corp", "123"}
    text = "Top account ACCT-17. User u_42 wrote; ACCT-170 and xu_42 are others; acme corp; 123 accounts"
    scan = find_identifiers(text, ids)
    assert scan.found == ("ACCT-17", "acme corp", "u_42")
    assert scan.n_unscannable == 1  # the short numeric id
    assert find_identifiers("ACCT-170 xu_42 acme corporation", ids).clean


def test_html_text_sees_cells_but_not_styles_or_data_uris():
    html = ('<style>.ACCT-17{}</style><table><tr><td>ACCT-1</td><td>7</td></tr></table>'
            '<img src="data:image/png;base64,ACCT-17" alt="chart"><p>a<b>c</b>e</p>')
    text = html_text(html)
    assert find_identifiers(text, {"ACCT-1", "ACCT-17", "ACCT-17"}).found == ("ACCT-1",)
    assert "ace" in text  # inline markup does not split words
    assert find_identifiers(text, {"ACCT-17"}).clean


def test_dataset_identifiers_collects_account_and_user_ids():
    ds = Dataset.from_tables(
        {
            "accounts": pd.DataFrame({"account_id": ["A1", "B2"], "segment": ["smb", "mid"],
                                      "signup_date": ["2024-01-01", "2024-02-01"]}),
            "events": pd.DataFrame({"account_id": ["A1"], "user_id": ["user-9"], "timestamp": ["2024-03-01T00:00:00Z"],
                                    "event_type": ["scan"], "quantity": [1.0]}),
        },
        extracted_at="2025-01-01",
    )
    assert dataset_identifiers(ds) == {"A1", "B2", "user-9"}
