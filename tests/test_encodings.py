"""CSV tables in UTF-8, UTF-8 with a BOM and Shift_JIS (CP932, what Excel in Japan writes).

Each dataset here is the same Japanese-labelled synthetic data re-encoded byte
by byte from its UTF-8 files with Python's own codecs (not through the
writer), so "loads identically" compares against an independent encoding.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from csresearch import load_dataset
from csresearch.errors import InputError
from csresearch.reading import decode_failure, detect_encoding, normalise_encoding
from csresearch.synth import generate_dataset

TABLES = ("accounts", "contracts", "onboarding", "usage_monthly", "engagement", "roi")


@pytest.fixture(scope="module")
def utf8_dir(tmp_path_factory) -> Path:
    """A small Japanese-labelled dataset written as UTF-8 CSV, with a row of characters only CP932 has."""
    folder = tmp_path_factory.mktemp("enc") / "utf8"
    generate_dataset(60, seed=9, lang="ja", with_events=True).write(folder)
    accounts = (folder / "accounts.csv").read_text(encoding="utf-8")
    first = accounts.splitlines()[1].split(",")[0]
    # ㈱ and ① exist in CP932 (Excel's Shift_JIS) but not in strict Shift_JIS
    (folder / "accounts.csv").write_text(accounts.replace(first, "㈱サンプル①商事", 1), encoding="utf-8")
    for table in (*TABLES[1:], "events"):
        path = folder / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(first, "㈱サンプル①商事"), encoding="utf-8")
    return folder


def _recode(source: Path, target: Path, encoding: str, tables=TABLES) -> Path:
    shutil.copytree(source, target)
    for table in tables:
        text = (source / f"{table}.csv").read_text(encoding="utf-8")
        (target / f"{table}.csv").write_bytes(text.encode(encoding))
    return target


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("encoding, label", [("utf-8-sig", "UTF-8 with BOM, detected"),
                                             ("cp932", "Shift_JIS (CP932), detected")])
def test_bom_and_shift_jis_load_identically_to_utf8(utf8_dir, tmp_path, encoding, label):
    other = _recode(utf8_dir, tmp_path / encoding, encoding)
    before = _hashes(other)
    reference, ds = load_dataset(utf8_dir), load_dataset(other)
    assert ds.load_problems == [] and reference.load_problems == []
    for table in TABLES:
        pd.testing.assert_frame_equal(ds.tables[table], reference.tables[table], obj=table)
        assert ds.encodings[table] == label
    assert reference.encodings["accounts"] == "UTF-8, detected"
    assert "㈱サンプル①商事" in set(ds.accounts["account_id"])
    assert set(ds.accounts["segment"].astype("str")) <= {"中小企業", "中堅企業", "大企業"}
    assert ds.validate().is_valid
    assert _hashes(other) == before  # input files are never modified


def test_validate_and_audit_say_which_encoding_without_paths(utf8_dir, tmp_path):
    from csresearch.analysis.audit import audit_dataset
    from csresearch.cli import main

    other = _recode(utf8_dir, tmp_path / "mixed", "cp932", tables=("accounts",))
    res = CliRunner().invoke(main, ["validate", str(other)])
    assert res.exit_code == 0, res.output
    assert "Shift_JIS (CP932), detected (accounts)" in res.output
    assert "UTF-8, detected (contracts, onboarding" in res.output
    assert str(tmp_path) not in res.output.split("\n", 1)[1]  # only the dataset's name on the first line
    audit = audit_dataset(load_dataset(other))
    assert audit.summary.loc["accounts", "encoding"] == "Shift_JIS (CP932), detected"
    assert audit.summary.loc["contracts", "encoding"] == "UTF-8, detected"
    assert str(tmp_path) not in audit.summary.to_string()


def test_dataset_yml_encoding_is_respected_per_dataset_and_per_table(utf8_dir, tmp_path):
    other = _recode(utf8_dir, tmp_path / "latin", "cp932")
    meta = (other / "dataset.yml").read_text(encoding="utf-8")
    (other / "dataset.yml").write_text(meta + "encoding: shift_jis\n", encoding="utf-8")
    ds = load_dataset(other)
    assert ds.load_problems == []
    assert ds.encodings["accounts"] == "Shift_JIS (CP932), from dataset.yml"
    # per table: a wrong name for one table is reported for that table only, with where it failed
    (other / "dataset.yml").write_text(meta + "encoding: {accounts: utf-8, contracts: auto}\n", encoding="utf-8")
    ds = load_dataset(other)
    problems = [v for v in ds.load_problems if v.rule == "encoding"]
    assert [v.table for v in problems] == ["accounts"]
    assert "not UTF-8 as dataset.yml says" in problems[0].hint and "line 2" in problems[0].hint
    assert ds.encodings["contracts"] == "Shift_JIS (CP932), detected"
    (other / "dataset.yml").write_text(meta + "encoding: {acounts: klingon}\n", encoding="utf-8")
    hints = " ".join(v.hint for v in load_dataset(other).load_problems if v.table == "dataset.yml")
    assert "unknown table 'acounts'" in hints


def test_an_undecodable_file_names_table_file_offset_and_fix(utf8_dir, tmp_path):
    other = _recode(utf8_dir, tmp_path / "bad", "utf-8")
    raw = (other / "contracts.csv").read_bytes()
    line2 = raw.index(b"\n") + 1
    bad = raw[:line2 + 3] + b"\x81\x7f\xff" + raw[line2 + 3:]  # not UTF-8, not CP932 (0x81 0x7F is no CP932 pair)
    (other / "contracts.csv").write_bytes(bad)
    ds = load_dataset(other)
    problems = [v for v in ds.load_problems if v.rule == "encoding"]
    assert len(problems) == 1 and problems[0].table == "contracts"
    hint = problems[0].hint
    assert "contracts.csv" in hint and f"byte offset {line2 + 3:,}" in hint and "line 2" in hint and "0x81" in hint
    assert "encoding" in hint and "dataset.yml" in hint and "UTF-8" in hint
    assert str(tmp_path) not in hint
    assert not ds.validate().is_valid
    with pytest.raises(InputError, match="contracts.csv"):
        detect_encoding(other / "contracts.csv")


def test_decode_failure_offsets_across_chunks(tmp_path, monkeypatch):
    from csresearch import reading

    monkeypatch.setattr(reading, "_DECODE_CHUNK", 7)
    text = "a,b\n日本,語\n" * 5
    data = text.encode("utf-8")
    broken = data[:40] + b"\xff" + data[40:]
    (tmp_path / "x.csv").write_bytes(broken)
    assert decode_failure(tmp_path / "x.csv", "utf-8") == (40, broken[:40].count(b"\n") + 1, 0xFF)
    (tmp_path / "y.csv").write_bytes(data)
    assert decode_failure(tmp_path / "y.csv", "utf-8") is None
    assert decode_failure(tmp_path / "y.csv", "utf-8", limit=9) is None  # a character cut at the limit is fine


def test_encoding_names_as_people_write_them():
    assert {normalise_encoding(n) for n in ("Shift_JIS", "sjis", "shift-jis", "MS932", "Windows-31J", "cp932")} == {"cp932"}
    assert normalise_encoding("UTF8") == "utf-8" and normalise_encoding("utf_8_sig") == "utf-8-sig"
    with pytest.raises(LookupError):
        normalise_encoding("klingon")


def test_events_csv_bom_is_read_and_shift_jis_is_refused_clearly(utf8_dir, tmp_path):
    bom = _recode(utf8_dir, tmp_path / "bom", "utf-8-sig", tables=("events",))
    (bom / "usage_monthly.csv").unlink()
    ds = load_dataset(bom)
    assert ds.load_problems == [] and ds.encodings["events"] == "UTF-8 with BOM, detected"
    reference = load_dataset(utf8_dir)
    def ordered(frame):
        return frame.sort_values(["account_id", "month"], ignore_index=True)

    pd.testing.assert_frame_equal(ordered(ds.usage_monthly), ordered(reference.usage_monthly), check_dtype=False)
    sjis = _recode(utf8_dir, tmp_path / "sjis", "cp932", tables=("events",))
    ds = load_dataset(sjis)
    problems = [v for v in ds.load_problems if v.table == "events"]
    assert [v.rule for v in problems] == ["encoding"]
    assert "Shift_JIS (CP932)" in problems[0].hint and "DuckDB" in problems[0].hint and "Parquet" in problems[0].hint


def test_build_usage_on_shift_jis_events_says_to_convert(utf8_dir, tmp_path):
    from csresearch.events import usage_from_events

    sjis = _recode(utf8_dir, tmp_path / "sjis", "cp932", tables=("events",))
    with pytest.raises(InputError, match="not UTF-8.*Parquet"):
        usage_from_events(sjis / "events.csv")


def test_factors_flat_table_in_shift_jis_reads_like_utf8(tmp_path):
    from csresearch.factors.reading import read_table

    frame = pd.DataFrame({"顧客ID": ["株式会社アオバ商事", "合同会社ミドリ技研"], "セグメント": ["中小企業", "大企業"],
                          "利用率": [0.5, 0.25], "解約": [1, 0]})
    frame.to_csv(tmp_path / "utf8.csv", index=False, encoding="utf-8")
    frame.to_csv(tmp_path / "sjis.csv", sep=";", index=False, encoding="cp932")
    notes: list[str] = []
    got = read_table(tmp_path / "sjis.csv", text_columns=["顧客ID"], notes=notes)
    pd.testing.assert_frame_equal(got, read_table(tmp_path / "utf8.csv", text_columns=["顧客ID"]))
    assert notes == ["table read with the detected separator semicolon ';', text encoding Shift_JIS (CP932), detected"]
    (tmp_path / "bad.csv").write_bytes("a,b\n1,".encode() + b"\x81\x7f\n")
    with pytest.raises(InputError, match=r"bad.csv is neither UTF-8 .*line 2.*save it again as CSV UTF-8"):
        read_table(tmp_path / "bad.csv")


def test_validate_json_lists_the_encodings(utf8_dir):
    from csresearch.cli import main

    res = CliRunner().invoke(main, ["validate", "--json", str(utf8_dir)])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["encodings"]["accounts"] == "UTF-8, detected" and report["encodings"]["events"] == "UTF-8, detected"
