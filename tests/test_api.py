"""The public Python API is discoverable: dir() lists lazy names and submodules; a Dataset shows itself in Jupyter."""

from __future__ import annotations

import csresearch


def test_dir_lists_lazy_names_and_submodules():
    names = dir(csresearch)
    for name in ("load_dataset", "Dataset", "decision_table", "HealthScore", "build_features", "study", "plots",
                 "analysis", "__version__"):
        assert name in names, name
    assert not [n for n in names if n in ("Any", "annotations", "import_module", "pkgutil")]
    assert csresearch.study.run is not None and callable(csresearch.decision_table)


def test_dataset_repr_html_shows_tables_rows_dates_and_validity(repo_root):
    ds = csresearch.load_dataset(repo_root / "data" / "sample")
    page = ds._repr_html_()
    assert "Dataset sample" in page and "valid: every rule of the data contract holds" in page
    summary = ds.summary()
    assert list(summary.columns) == ["table", "rows", "columns", "from", "to", "source"]
    row = summary.set_index("table").loc["accounts"]
    assert row["rows"] == len(ds.accounts) and row["source"] == "accounts.csv"
    assert row["from"] == str(ds.accounts["signup_date"].min().date())
    assert f"{len(ds.accounts):,}" in page


def test_invalid_dataset_repr_says_so(tmp_path, repo_root):
    import shutil

    shutil.copytree(repo_root / "data" / "sample", tmp_path / "d")
    accounts = tmp_path / "d" / "accounts.csv"
    lines = accounts.read_text().splitlines()
    accounts.write_text("\n".join([lines[0], lines[1], lines[1], *lines[2:]]) + "\n")  # a duplicated account_id
    assert "<b>not valid</b>" in csresearch.load_dataset(tmp_path / "d")._repr_html_()
