"""``csresearch synth --lang ja``: Japanese labels on the very same draws as the English sample.

The checks compare the Japanese dataset with the English one of the same seed
through the label mapping the generator records in truth.json, never through
csresearch's analysis code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from csresearch import load_dataset
from csresearch.errors import ParameterError
from csresearch.synth import generate_dataset
from csresearch.synth.labels import LABELS, company_names

SEGMENTS_JA = {"中小企業", "中堅企業", "大企業"}
TOUCH_JA = {"ハイタッチ", "ロータッチ", "テックタッチ"}


@pytest.fixture(scope="module")
def pair():
    """The same seed drawn with English and with Japanese labels."""
    return generate_dataset(250, seed=3), generate_dataset(250, seed=3, lang="ja")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _id_map(en: pd.DataFrame, ja: pd.DataFrame) -> dict[str, str]:
    """English id -> Japanese id, matching accounts by their signup date, employees and labels (all drawn before the ids)."""
    keys = ["signup_date", "employees", "segment_en", "touch_en", "industry_en"]
    back = {col: {v: k for k, v in LABELS["ja"][col].items()} for col in ("segment", "touch_model", "industry")}
    ja = ja.assign(segment_en=ja["segment"].astype("str").map(back["segment"]),
                   touch_en=ja["touch_model"].astype("str").map(back["touch_model"]),
                   industry_en=ja["industry"].astype("object").map(back["industry"]))
    en = en.assign(segment_en=en["segment"].astype("str"), touch_en=en["touch_model"].astype("str"),
                   industry_en=en["industry"].astype("object"))
    labels = ["segment", "touch_model", "industry"]
    joined = en.drop(columns=labels).merge(ja.drop(columns=labels), on=keys, suffixes=("_en", "_ja"))
    unique = ~joined.duplicated(keys, keep=False)
    return dict(zip(joined.loc[unique, "account_id_en"], joined.loc[unique, "account_id_ja"]))


def test_japanese_labels_are_the_english_draws_relabelled(pair):
    en, ja = pair
    acc_en, acc_ja = en.tables["accounts"], ja.tables["accounts"]
    assert set(acc_ja["segment"].astype("str")) == SEGMENTS_JA
    assert set(acc_ja["touch_model"].astype("str")) <= TOUCH_JA
    assert set(acc_ja["industry"].dropna().astype("str")) <= set(LABELS["ja"]["industry"].values())
    for col in ("segment", "touch_model"):
        counts_en = acc_en[col].astype("str").map(LABELS["ja"][col]).value_counts().sort_index()
        pd.testing.assert_series_equal(counts_en, acc_ja[col].astype("str").value_counts().sort_index())
    assert acc_ja["industry"].isna().sum() == acc_en["industry"].isna().sum()
    ids = _id_map(acc_en, acc_ja)
    assert len(ids) > 0.9 * len(acc_en)  # accounts told apart by what was drawn before the ids
    for table in ("contracts", "usage_monthly", "engagement"):
        e = en.tables[table][en.tables[table]["account_id"].isin(list(ids))].copy()
        e["account_id"] = e["account_id"].astype("str").map(ids)
        j = ja.tables[table][ja.tables[table]["account_id"].isin(list(ids.values()))]
        keys = [c for c in e.columns if c != "value"]
        e, j = (x.astype({"account_id": "str"}).sort_values(keys, ignore_index=True) for x in (e, j))
        pd.testing.assert_frame_equal(e, j, check_categorical=False, obj=table)
    assert json.dumps(en.truth["churn_model"]) == json.dumps(ja.truth["churn_model"])
    assert ja.truth["labels"]["lang"] == "ja" and "labels" not in en.truth


def test_account_ids_are_distinct_company_names():
    names = company_names(90_000, np.random.default_rng(0))
    assert len(set(names)) == len(names)
    assert all("会社" in n for n in names[:1000])
    assert not any(n.isascii() for n in names)


def test_same_seed_same_bytes_in_japanese(tmp_path):
    for folder in ("a", "b"):
        generate_dataset(80, seed=4, lang="ja").write(tmp_path / folder)
    generate_dataset(80, seed=5, lang="ja").write(tmp_path / "c")
    a, b, c = (_hashes(tmp_path / x) for x in "abc")
    assert a == b and a["accounts.csv"] != c["accounts.csv"]
    text = (tmp_path / "a" / "accounts.csv").read_bytes().decode("utf-8")
    assert "株式会社" in text and "中小企業" in text and not text.startswith("\ufeff")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_written_in_excel_encodings_load_back_identically(tmp_path, encoding):
    data = generate_dataset(60, seed=2, lang="ja")
    data.write(tmp_path / "utf8")
    data.write(tmp_path / encoding, encoding=encoding)
    raw = (tmp_path / encoding / "accounts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") if encoding == "utf-8-sig" else raw.decode("cp932")
    if encoding == "cp932":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    reference, other = load_dataset(tmp_path / "utf8"), load_dataset(tmp_path / encoding)
    assert other.load_problems == []
    for name, frame in reference.tables.items():
        pd.testing.assert_frame_equal(other.tables[name], frame, obj=name)


def test_unknown_language_or_encoding_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="lang"):
        generate_dataset(20, seed=0, lang="fr")
    with pytest.raises(ParameterError, match="encoding"):
        generate_dataset(20, seed=0).write(tmp_path / "x", encoding="latin-1")


def test_cli_synth_lang_ja(tmp_path):
    from csresearch.cli import main

    res = CliRunner().invoke(main, ["synth", str(tmp_path / "d"), "--accounts", "40", "--lang", "ja",
                                    "--encoding", "cp932"])
    assert res.exit_code == 0, res.output
    ds = load_dataset(tmp_path / "d")
    assert ds.n_accounts == 40 and set(ds.accounts["segment"].astype("str")) <= SEGMENTS_JA
