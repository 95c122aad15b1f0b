"""The step protocol: a step declared and registered once appears in findings.json and on the index.

The dummy step lives in a module of its own (written by the test), imported
both by the test process (where the runner and the index read the registry)
and by the notebook's kernel (where the step runs), exactly as a new analysis
of the suite would be: nothing in the runner or the report code names it.
"""

from __future__ import annotations

import ast
import io
import json
import sys
import textwrap
from pathlib import Path

import pytest

from csresearch import study
from csresearch.report.findings import SECTIONS
from csresearch.report.headlines import headline_sentences
from csresearch.report.privacy import html_text
from csresearch.runner import run_suite

pytestmark = pytest.mark.xdist_group("runner")

DUMMY_MODULE = '''
from dataclasses import dataclass

from csresearch.study import Step, StepResult, register


@dataclass
class DummyResult(StepResult):
    step: Step
    ctx: object
    n: int

    def to_findings(self):
        return {"n_accounts_seen": self.n}


def compute(step, ctx):
    return DummyResult(step, ctx, len(ctx.ds.accounts))


def headline(section):
    return [f"The dummy step saw {section['n_accounts_seen']} accounts."]


register(Step("dummy_count", "A dummy question", "How many accounts are there?", "90_dummy", compute, headline,
              required=False))
'''

DUMMY_NOTEBOOK = '''
# %% [markdown]
# # 90 Dummy: how many accounts are there?

# %% tags=["parameters"]
data_dir = None
as_of = None
output_dir = None
min_group_size = 5
include_ids = False
plugin_dir = None

# %%
import sys

sys.path.insert(0, plugin_dir)
import dummy_step  # noqa: F401 - registers the step in this kernel

from csresearch import study

ctx = study.open(data_dir, as_of, output_dir=output_dir, min_group_size=min_group_size, include_ids=include_ids)
result = study.run("dummy_count", ctx)
result
'''

TINY = {
    "dataset.yml": "name: tiny\nextracted_at: 2025-06-30\n",
    "accounts.csv": "account_id,segment,signup_date,touch_model,industry,employees\n"
                    "ACCT-0001,smb,2023-01-01,low,retail,50\nACCT-0002,mid,2023-03-01,high,finance,200\n",
    "contracts.csv": "account_id,term_start,term_end,seats,quota,arr,outcome\n"
                     "ACCT-0001,2023-01-01,2024-01-01,10,1000,5000,renewed\nACCT-0001,2024-01-01,2025-01-01,10,1000,5000,churned\n"
                     "ACCT-0002,2023-03-01,2024-03-01,20,,9000,renewed\nACCT-0002,2024-03-01,2025-03-01,20,,9000,renewed\n"
                     "ACCT-0002,2025-03-01,2026-03-01,20,,9000,open\n",
    "onboarding.csv": "account_id,start_date,target_date,completed_date,status,setup_done_date,admin_trained_date,first_value_date\n"
                      "ACCT-0001,2023-01-01,2023-04-01,,failed,,,\nACCT-0002,2023-03-01,2023-06-01,2023-05-20,succeeded,2023-04-01,2023-04-15,2023-05-20\n",
    "usage_monthly.csv": "account_id,month,active_users,events,features_used,quota_used\n"
                         "ACCT-0001,2024-06-01,3,40,2,30\nACCT-0002,2024-06-01,15,400,6,0\n",
}


@pytest.fixture
def dummy_registered(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "dummy_step.py").write_text(textwrap.dedent(DUMMY_MODULE))
    sys.path.insert(0, str(plugins))
    try:
        import dummy_step  # noqa: F401 - registers the step in this process

        yield plugins
    finally:
        sys.path.remove(str(plugins))
        sys.modules.pop("dummy_step", None)
        from csresearch.study import protocol

        protocol._REGISTRY.pop("dummy_count", None)


def test_a_registered_step_reaches_findings_and_the_index(dummy_registered, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name, text in TINY.items():
        (data / name).write_text(text)
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    (nbs / "90_dummy.py").write_text(textwrap.dedent(DUMMY_NOTEBOOK).lstrip())
    log = io.StringIO()
    code = run_suite(data, tmp_path / "out", params=[f"plugin_dir={dummy_registered}"], notebooks_dir=nbs, stream=log)
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert findings["dummy_count"] == {"n_accounts_seen": 2}, log.getvalue()
    index = html_text((tmp_path / "out" / "index.html").read_text())
    assert "A dummy question" in index and "The dummy step saw 2 accounts." in index
    report = html_text((tmp_path / "out" / "90_dummy.html").read_text())
    assert "dummy" in report
    # the suite's own required sections are reported missing (their notebooks were not in this folder), not an error
    assert code == 0, log.getvalue()


def test_registry_order_is_the_findings_order_and_required_sections_come_from_it():
    names = [s.name for s in study.steps()]
    assert tuple(names[: len(SECTIONS)]) == SECTIONS
    assert names[:8] == ["data_audit", "onboarding_vs_churn", "onboarding_vs_health", "health_validity",
                         "continuing_trends", "churned_accounts", "churn_factors", "kpis"]


def test_unavailable_step_renders_and_ignores_plot_calls(tmp_path):
    step = study.get_step("onboarding_vs_churn")
    missing = study.Unavailable(step, "could not be computed on this data: no failed accounts")
    assert missing.plot() is None and missing.by_segment() is None
    assert missing._repr_markdown_() == "Not computable: could not be computed on this data: no failed accounts."
    assert missing.to_findings() == {"reason": "could not be computed on this data: no failed accounts"}
    assert not missing
    sentences = dict(headline_sentences({"onboarding_vs_churn": missing.to_findings()}))
    assert sentences["Onboarding and churn"] == ["Not computed on this data: could not be computed on this data: "
                                                  "no failed accounts."]


def test_run_writes_the_section_once_and_reuses_the_result(tmp_path, repo_root):
    ctx = study.open(repo_root / "data" / "sample", output_dir=tmp_path, horizon_years=2)
    first = study.run("onboarding_vs_churn", ctx)
    assert study.run("onboarding_vs_churn", ctx) is first
    section = json.loads((tmp_path / "findings" / "onboarding_vs_churn.json").read_text())
    assert section["horizon_years"] == 2 and section == json.loads(json.dumps(first.to_findings()))
    with pytest.raises(Exception, match="no study step 'nope'; known steps: data_audit"):
        study.run("nope", ctx)


def _section_literals(path: Path, names: set[str]) -> set[str]:
    """Section names written as string literals in a Python file, outside ``__all__`` and lazy-import maps."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("__all__", "_LAZY") for t in node.targets):
            skip |= {id(n) for n in ast.walk(node.value)}
    return {n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and n.value in names and id(n) not in skip}


def test_each_section_name_is_spelled_out_in_at_most_three_source_files(repo_root):
    """The registry, the schema and the notebook that runs the step; nothing else names a section.

    ``csresearch factors`` writes factors.json, another document whose ``kpis`` key
    is not the findings section; its package is left out.
    """
    src = repo_root / "src" / "csresearch"
    names = {s.name for s in study.steps()}
    where: dict[str, set[str]] = {n: set() for n in names}
    for path in src.rglob("*.py"):
        if path.is_relative_to(src / "factors"):
            continue
        for name in _section_literals(path, names):
            where[name].add(str(path.relative_to(src)))
    schema = (src / "findings_schema.json").read_text()
    for name in names:
        if f'"{name}"' in schema:
            where[name].add("findings_schema.json")
    too_many = {n: sorted(w) for n, w in where.items() if len(w) > 3}
    assert not too_many, too_many
    assert all("study/registry.py" in w for w in where.values())
