"""`csresearch run`: the batch runner, end to end with tiny notebooks and a tiny dataset.

Kernels are slow to start, so the notebook runs happen in a few module-scoped
fixtures that several tests inspect; the parameter and folder checks run no
notebook at all.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from csresearch.cli import main as cli
from csresearch.errors import InputError, ParameterError
from csresearch.report.findings import validate_findings
from csresearch.report.privacy import html_text
from csresearch.runner import run_suite
from csresearch.runner.notebooks import discover_notebooks, parse_parameters, select_notebooks
from csresearch.runner.outdir import MARKER

pytestmark = pytest.mark.xdist_group("runner")

ACCOUNT_IDS = ("ACCT-ALPHA1", "ACCT-BRAVO2", "ACCT-CHARLIE3")

DATASET = {
    "dataset.yml": "name: tiny\nextracted_at: 2025-06-30\n",
    "accounts.csv": """\
        account_id,segment,signup_date,touch_model,industry,employees
        ACCT-ALPHA1,smb,2023-01-01,low,retail,50
        ACCT-BRAVO2,mid,2023-03-01,high,finance,200
        ACCT-CHARLIE3,enterprise,2024-01-01,tech,,
        """,
    "contracts.csv": """\
        account_id,term_start,term_end,seats,quota,arr,outcome
        ACCT-ALPHA1,2023-01-01,2024-01-01,10,1000,5000,renewed
        ACCT-ALPHA1,2024-01-01,2025-01-01,10,1000,5000,churned
        ACCT-BRAVO2,2023-03-01,2024-03-01,20,,9000,renewed
        ACCT-BRAVO2,2024-03-01,2025-03-01,20,,9000,renewed
        ACCT-BRAVO2,2025-03-01,2026-03-01,20,,9000,open
        ACCT-CHARLIE3,2024-01-01,2025-01-01,50,5000,20000,renewed
        ACCT-CHARLIE3,2025-01-01,2026-01-01,50,5000,20000,open
        """,
    "onboarding.csv": """\
        account_id,start_date,target_date,completed_date,status,setup_done_date,admin_trained_date,first_value_date
        ACCT-ALPHA1,2023-01-01,2023-04-01,,failed,,,
        ACCT-BRAVO2,2023-03-01,2023-06-01,2023-05-20,succeeded,2023-04-01,2023-04-15,2023-05-20
        ACCT-CHARLIE3,2024-01-01,2024-04-01,2024-03-15,succeeded,2024-02-01,2024-02-15,2024-03-15
        """,
    "usage_monthly.csv": """\
        account_id,month,active_users,events,features_used,quota_used
        ACCT-ALPHA1,2024-06-01,3,40,2,30
        ACCT-BRAVO2,2024-06-01,15,400,6,0
        ACCT-CHARLIE3,2024-06-01,30,900,8,400
        """,
}

NOTEBOOKS = {
    # writes its parameters into a section, draws a figure
    "00_echo.py": '''\
        # %% [markdown]
        # # Echo notebook
        # Writes its parameters into the findings section `echo`.

        # %% tags=["parameters"]
        data_dir = None
        output_dir = None
        as_of = None
        lead_days = 90
        scorecard = None
        min_group_size = 5

        # %%
        import matplotlib.pyplot as plt
        from csresearch.report.findings import write_section
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1, 2], [1, 3, 2])
        plt.show()
        write_section("echo", {"lead_days": lead_days, "as_of": as_of, "scorecard": scorecard,
                               "min_group_size": min_group_size, "nan": float("nan")}, output_dir)
        print("ECHO-MARKER lead_days", lead_days)
        ''',
    # writes a partial section, then fails
    "01_broken.py": '''\
        # %% [markdown]
        # # Broken notebook

        # %% tags=["parameters"]
        data_dir = None
        output_dir = None
        horizon_years = 3

        # %%
        from csresearch.report.findings import write_section
        write_section("onboarding_vs_churn", {"horizon_years": horizon_years}, output_dir)
        raise ValueError("deliberate failure in the broken notebook")
        ''',
    # prints an account id
    "02_leaky.py": '''\
        # %% [markdown]
        # # Leaky notebook

        # %% tags=["parameters"]
        data_dir = None
        output_dir = None

        # %%
        import csv, pathlib
        rows = list(csv.DictReader(open(pathlib.Path(data_dir) / "accounts.csv")))
        print("first account:", sorted(r["account_id"] for r in rows)[0])
        ''',
}


def write_files(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runner")
    write_files(root / "data", DATASET)
    write_files(root / "nbs", NOTEBOOKS)
    return root


@pytest.fixture(scope="module")
def serial_run(workspace):
    """All three notebooks, serially, with -p lead_days=60 (first run into 'out')."""
    err = io.StringIO()
    code = run_suite(workspace / "data", workspace / "out", params=["lead_days=60", "scorecard=null"],
                       notebooks_dir=workspace / "nbs", stream=err)
    out = workspace / "out"
    snapshot = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    findings = json.loads((out / "findings.json").read_text())
    return {"code": code, "stderr": err.getvalue(), "files": snapshot, "findings": findings, "out": out}


@pytest.fixture(scope="module")
def parallel_run(workspace, serial_run):
    """The two notebooks that write sections, with --jobs 2, into the same folder after a stray file was put there."""
    (workspace / "out" / "stale-from-old-run.html").write_text("old")
    err = io.StringIO()
    code = run_suite(workspace / "data", workspace / "out", params=["lead_days=60", "scorecard=null"],
                       only=["00", "01"], notebooks_dir=workspace / "nbs", jobs=2, stream=err)
    out = workspace / "out"
    return {"code": code, "stderr": err.getvalue(), "findings": json.loads((out / "findings.json").read_text()), "out": out}


# ---------------------------------------------------------------------------
# runs with notebooks


@pytest.mark.slow
def test_failed_notebook_gives_exit_1_and_is_reported(serial_run):
    assert serial_run["code"] == 1
    out = serial_run["out"]
    broken = html_text((out / "01_broken.html").read_text())
    assert "deliberate failure in the broken notebook" in broken
    assert "raise ValueError" in broken  # the failing cell's code is shown although code is hidden
    assert "This notebook failed" in broken
    echo = html_text((out / "00_echo.html").read_text())
    assert "ECHO-MARKER lead_days 60" in echo
    assert "write_section" not in echo  # code hidden by default
    assert re.search(r'<img[^>]*src="data:image/png;base64,', (out / "00_echo.html").read_text())
    index = (out / "index.html").read_text()
    assert 'href="01_broken.html"' in index and 'href="00_echo.html"' in index
    row = index[index.index('href="01_broken.html"'):][:400]
    assert "failed" in row
    assert "01_broken" in serial_run["stderr"] and "FAILED" in serial_run["stderr"]
    assert json.loads((out / "run.json").read_text())["status"] == "failed"


@pytest.mark.slow
def test_findings_record_sections_missing_sections_and_parameters(serial_run):
    f = serial_run["findings"]
    assert f["echo"] == {"lead_days": 60, "as_of": "2025-06-30", "scorecard": None, "min_group_size": 5, "nan": None}
    # the broken notebook's partial section is dropped and explained
    assert "onboarding_vs_churn" not in f
    assert f["missing_sections"]["onboarding_vs_churn"].startswith("notebook 01_broken failed: ValueError")
    assert f["parameters"]["lead_days"] == 60 and f["parameters"]["horizon_years"] == 3
    assert f["parameters"]["as_of"] == "2025-06-30"  # defaults to extracted_at
    assert f["dataset"]["name"] == "tiny" and f["dataset"]["n_accounts"] == 3 and len(f["dataset"]["fingerprint"]) == 64
    assert validate_findings(f) == []
    assert "schema_errors" not in f


@pytest.mark.slow
def test_privacy_scan_withholds_report_with_account_id(serial_run):
    out = serial_run["out"]
    leaky = (out / "02_leaky.html").read_text()
    assert not any(i in leaky for i in ACCOUNT_IDS)
    assert "privacy check" in leaky
    for name, data in serial_run["files"].items():
        if name.endswith(".html"):
            text = data.decode()
            assert not any(i in text for i in ACCOUNT_IDS), name
    assert "02_leaky failed: privacy check" in serial_run["stderr"]


@pytest.mark.slow
def test_parallel_run_matches_serial_and_replaces_output_as_a_whole(serial_run, parallel_run):
    assert parallel_run["code"] == 1
    strip = lambda f: {k: v for k, v in f.items() if k != "parameters"}  # noqa: E731
    assert strip(parallel_run["findings"]) == strip(serial_run["findings"])
    out = parallel_run["out"]
    assert not (out / "stale-from-old-run.html").exists()
    assert not (out / "02_leaky.html").exists()  # not part of this run: the old report is gone too
    assert "[0/2] 01_broken  running" in parallel_run["stderr"]  # both started before either finished
    assert (out / MARKER).is_file()
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith((".out.new-", ".out.old-"))]
    assert leftovers == []


@pytest.mark.slow
def test_include_ids_allows_ids_and_only_selects(workspace, parallel_run):
    err = io.StringIO()
    code = run_suite(workspace / "data", workspace / "out2", only=["02"], include_ids=True,
                       notebooks_dir=workspace / "nbs", stream=err)
    assert code == 0, err.getvalue()
    out = workspace / "out2"
    assert "first account: ACCT-ALPHA1" in html_text((out / "02_leaky.html").read_text())
    assert sorted(p.name for p in out.glob("*.html")) == ["02_leaky.html", "index.html"]
    f = json.loads((out / "findings.json").read_text())
    assert f["missing_sections"]["onboarding_vs_churn"] == "notebook 01_broken not run (--only)"
    assert f["parameters"]["include_ids"] is True and f["parameters"]["min_group_size"] == 1


# ---------------------------------------------------------------------------
# checks before any notebook runs (fast)


def test_unknown_parameter_exits_2_naming_known_ones(workspace):
    res = CliRunner().invoke(cli, ["run", str(workspace / "data"), "-o", str(workspace / "never"),
                                   "-p", "lead_dayz=3"], env={"CSRESEARCH_NOTEBOOKS": str(workspace / "nbs")})
    assert res.exit_code == 2
    assert "lead_dayz" in res.output and "lead_days" in res.output and "horizon_years" in res.output
    assert not (workspace / "never").exists()


def test_invalid_dataset_exits_2_before_any_notebook(workspace, tmp_path):
    bad = write_files(tmp_path / "bad", DATASET)
    (bad / "contracts.csv").write_text("account_id,term_start,term_end,seats,quota,arr,outcome\n"
                                      "NOPE,2023-01-01,2022-01-01,0,,5000,maybe\n")
    err = io.StringIO()
    code = run_suite(bad, tmp_path / "out", notebooks_dir=workspace / "nbs", stream=err)
    assert code == 2
    assert "contracts" in err.getvalue() and "No notebook was run" in err.getvalue()
    assert not (tmp_path / "out").exists()


def test_out_dir_inside_or_containing_data_dir_or_foreign_is_refused(workspace, tmp_path):
    data = workspace / "data"
    for out in (data, data / "reports", workspace):
        with pytest.raises(InputError, match="dataset folder"):
            run_suite(data, out, notebooks_dir=workspace / "nbs")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not made by 'csresearch run'"):
        run_suite(data, foreign, notebooks_dir=workspace / "nbs")
    assert (foreign / "notes.txt").read_text() == "mine"


def test_parameters_are_yaml_scalars_file_overridden_by_p(workspace, tmp_path):
    known = dict.fromkeys(["lead_days", "as_of", "scorecard", "flag", "ratio"])
    pfile = tmp_path / "p.yaml"
    pfile.write_text("lead_days: 30\nscorecard: cards.yaml\n")
    got = parse_parameters(["lead_days=45", "as_of=2024-06-30", "flag=true", "ratio=0.5", "scorecard=null"], pfile, known)
    assert got == {"lead_days": 45, "as_of": "2024-06-30", "flag": True, "ratio": 0.5, "scorecard": None}
    with pytest.raises(ParameterError, match="NAME=VALUE"):
        parse_parameters(["lead_days"], None, known)
    with pytest.raises(ParameterError, match="set by the runner"):
        parse_parameters(["output_dir=/tmp/x"], None, {**known, "output_dir": None})


def test_notebook_discovery_and_only(workspace):
    specs = discover_notebooks(workspace / "nbs")
    assert [s.name for s in specs] == ["00_echo", "01_broken", "02_leaky"]
    assert specs[0].defaults["lead_days"] == 90 and specs[0].sections == ("echo",)
    assert specs[1].sections == ("onboarding_vs_churn",) and specs[2].sections == ()
    assert [s.name for s in select_notebooks(specs, ["01", "02_leaky"])] == ["01_broken", "02_leaky"]
    with pytest.raises(ParameterError, match="available: 00_echo, 01_broken, 02_leaky"):
        select_notebooks(specs, ["07"])


def test_as_of_after_extraction_is_refused(workspace, tmp_path):
    with pytest.raises(ParameterError, match="after the dataset's extracted_at"):
        run_suite(workspace / "data", tmp_path / "o", params=["as_of=2026-01-01"], notebooks_dir=workspace / "nbs")


@pytest.mark.slow
def test_back_test_is_stated_on_the_index_and_every_report(workspace, tmp_path):
    """-p as_of before extracted_at: every page says so and counts the accounts known then (2 of 3)."""
    code = run_suite(workspace / "data", tmp_path / "bt", params=["as_of=2023-06-30", "scorecard=null"],
                     only=["00"], notebooks_dir=workspace / "nbs", stream=io.StringIO())
    assert code == 0
    expected = "As of 2023-06-30 (back-test; data extracted 2025-06-30); 2 accounts analysed"
    for page in ("index.html", "00_echo.html"):
        assert expected in html_text((tmp_path / "bt" / page).read_text()), page
    dataset = json.loads((tmp_path / "bt" / "findings.json").read_text())["dataset"]
    assert dataset["back_test"] is True and dataset["as_of"] == "2023-06-30"
    assert dataset["n_accounts_analysed"] == 2 and dataset["n_accounts"] == 3


def test_a_run_at_extraction_is_not_called_a_back_test(serial_run):
    assert serial_run["findings"]["dataset"]["back_test"] is False
    index = html_text(serial_run["files"]["index.html"].decode())
    assert "As of 2025-06-30 (data extracted 2025-06-30); 3 accounts analysed" in index
    assert "back-test" not in index


def test_shared_output_of_a_run_names_folders_not_paths(workspace, serial_run):
    for name, data in serial_run["files"].items():
        if name.endswith((".html", "findings.json")):
            assert str(workspace) not in data.decode(), name
    assert serial_run["findings"]["dataset"]["folder"] == "data"


def test_parallel_runs_start_the_notebook_with_most_steps_first_and_keep_run_order_otherwise():
    from types import SimpleNamespace

    from csresearch.runner.pool import start_order
    from csresearch.study.protocol import sections_of

    names = ["00_data_audit", "01_onboarding_vs_churn", "06_churn_factors_kpis", "07_retention", "99_custom"]
    order = [t.name for t in start_order([SimpleNamespace(name=n) for n in names])]
    assert len(sections_of("06_churn_factors_kpis")) > 1
    assert order[0] == "06_churn_factors_kpis"
    assert [n for n in order if n != "06_churn_factors_kpis"] == [n for n in names if n != "06_churn_factors_kpis"]
