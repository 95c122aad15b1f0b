"""The flat-table factor report: its JSON document and its self-contained HTML page."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.churn_model import FactorResult
from ..analysis.results import Interval
from ..atomic import write_text_atomic
from ..jsonsafe import json_safe
from ..report.html import escape, page

__all__ = ["FactorsReport", "write_report"]


@dataclass
class FactorsReport:
    """Result of :func:`csresearch.factors.analyze_factors`.

    Attributes
    ----------
    n : int
        Rows analysed.
    churn_rate : Interval
        Overall churn rate: the Kaplan-Meier cumulative churn at the longest
        follow-up with a duration, else the share churned (Wilson).
    factors : FactorResult
        Odds ratios, univariate rates, CV AUC, permutation importance and KPIs
        (with a duration: of churn within the horizon, on rows whose status is known).
    share_churned : Interval or None
        Share of rows labelled churned (Wilson), ignoring censoring.
    factor_tests : DataFrame
        Likelihood-ratio test of each factor in the spline-expanded model
        (:mod:`.factor_tests`).
    ranking : list of str
        Factors, most important first: the Cox test ranking with a duration,
        else the chosen model's permutation importance.
    n_groups : int
        Cross-validation groups (customers).
    survival : dict or None
        Kaplan-Meier, log-rank and Cox results when a duration was given.
    notes : list of str
        Every cleaning and modelling decision.
    parameters : dict
        The options used.
    """

    n: int
    churn_rate: Interval
    factors: FactorResult
    share_churned: Interval | None = None
    factor_tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    ranking: list[str] = field(default_factory=list)
    n_groups: int = 0
    survival: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per factor in the order of :attr:`ranking`."""
        return self.factors.summary.loc[self.ranking] if self.ranking else self.factors.summary

    @property
    def ranking_method(self) -> str:
        """How :attr:`ranking` was made."""
        if self.survival is not None:
            return ("Cox model (Efron ties) with natural cubic splines for numeric factors: likelihood-ratio test of "
                    "each factor, ordered by p-value (then chi-square)")
        return f"permutation importance of the chosen model ({self.factors.chosen_model}), grouped cross-validation"

    def to_dict(self) -> dict[str, Any]:
        """The factors.json document."""
        f = self.factors.to_findings()
        uni = {}
        for factor, rows in self.factors.univariate.groupby("factor", sort=False):
            uni[factor] = [_level_dict(r) for r in rows.itertuples()]
        imp = {k: {"estimate": r.importance, "ci_low": r.ci_low, "ci_high": r.ci_high}
               for k, r in self.factors.importance.iterrows()}
        doc = {
            "schema_version": 1,
            "parameters": self.parameters,
            "n": self.n,
            "n_groups": self.n_groups,
            "churn_rate": self.churn_rate.to_dict(),
            "share_churned": self.share_churned.to_dict() if self.share_churned is not None else None,
            "cv_auc": f["cv_auc"],
            "chosen_model": f["chosen_model"],
            "model_comparison": f["model_comparison"],
            "ranking": self.ranking or f["ranking"],
            "ranking_method": self.ranking_method,
            "classifier_ranking": f["ranking"],
            "importance": imp,
            "factor_tests": _records(self.factor_tests),
            "odds_ratios": f["odds_ratios"],
            "univariate": uni,
            "kpis": self.factors.kpi_findings(),
            "method": self.factors.method,
            "notes": self.notes,
        }
        if self.survival is not None:
            doc["survival"] = self.survival
        return json_safe(doc)

    def to_html(self) -> str:
        """A complete self-contained HTML page (inline CSS, base64 figures, no scripts)."""
        fr = self.factors
        src = self.parameters.get("table", "table")
        share = "" if self.survival is None else f" (share labelled churned, ignoring censoring: {escape(self.share_churned)})"
        parts = [
            "<section><h2>Summary</h2>",
            f"<p>{self.n} rows, {self.n_groups} customers; churn rate {escape(self.churn_rate)}{share}. "
            f"Cross-validated AUC of the chosen model ({escape(fr.chosen_model)}): {escape(fr.cv_auc)}.</p>",
            f"<p><b>Ranking</b> (most important first): {escape(', '.join(self.ranking or fr.ranking))}; "
            f"{escape(self.ranking_method)}</p>",
            f"<p class='method'><b>Method:</b> {escape(fr.method)}</p></section>",
            "<section><h2>Factor tests (splines for numeric factors)</h2>", _table(_compact_tests(self.factor_tests)),
            "</section>",
            "<section><h2>Permutation importance of the predictive model</h2>", _figure(fr.importance_plot),
            _table(_compact_summary(fr.summary)), "</section>",
            "<section><h2>Odds ratios (multivariable logistic regression)</h2>", _figure(fr.odds_ratio_plot),
            _table(_compact_odds(fr.odds_ratios)), "</section>",
            "<section><h2>Model comparison</h2>", _table(fr.model_comparison), "</section>",
        ]
        if fr.kpis:
            kp = pd.DataFrame([{k: v for k, v in d.items() if not k.endswith("_interval")}
                               for d in (k.to_dict() for k in fr.kpis)])
            kp["threshold_ci"] = [f"{k.threshold.ci_low:.3g} to {k.threshold.ci_high:.3g}"
                                  if k.threshold.ci_low is not None else "n/a" for k in fr.kpis]
            parts += ["<section><h2>KPI thresholds</h2>", _figure(fr.kpi_tree_plot), _table(kp.set_index("feature")),
                      "</section>"]
        if self.survival is not None:
            parts += ["<section><h2>Survival</h2>", _survival_html(self.survival), "</section>"]
        parts += ["<section><h2>Churn rate by factor</h2>", _suppressed_html(fr.univariate),
                  _table(fr.univariate.set_index(["factor", "level"])), "</section>"]
        parts += ["<section><h2>Notes</h2><ul>", *(f"<li>{escape(n)}</li>" for n in self.notes), "</ul></section>"]
        return page(f"Churn factors: {Path(str(src)).name}", "\n".join(parts),
                    subtitle="csresearch factors: univariate rates, logistic odds ratios, grouped-CV ranking, KPIs")

    def _repr_html_(self) -> str:
        return self.factors._repr_html_()


def _level_dict(r: Any) -> dict[str, Any]:
    """One level of the univariate table for factors.json; a suppressed level says why instead of its numbers."""
    d = {"level": r.level, "n": None if pd.isna(r.n) else int(r.n),
         "churned": None if pd.isna(r.churned) else int(r.churned),
         "estimate": r.churn_rate, "ci_low": r.ci_low, "ci_high": r.ci_high}
    note = getattr(r, "note", None)
    if isinstance(note, str):
        d["reason"] = note
    return d


def _suppressed_html(univariate: pd.DataFrame) -> str:
    """A sentence saying how many levels are shown without their numbers, and why (empty when none)."""
    if "note" not in univariate or not univariate["note"].notna().any():
        return ""
    n = int(univariate["note"].notna().sum())
    reason = univariate["note"].dropna().iloc[0]
    return (f"<p class='method'>{n} level{'s' if n > 1 else ''} shown without counts, churned counts or rates "
            f"(n/a): {escape(reason)}.</p>")


def _records(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Rows of a frame as {index: {column: value}} with NaN as None."""
    return {str(k): {c: (None if pd.isna(v) else v) for c, v in row.items()} for k, row in frame.iterrows()}


def _p_cell(p: float | None) -> str:
    """A p- or q-value for a table: 3 significant digits, '< 1e-300' for an underflow, 'n/a' when missing."""
    if p is None or pd.isna(p):
        return "n/a"
    return "< 1e-300" if p == 0 else f"{p:.3g}"


def _ci(est, low, high) -> str:
    if pd.isna(est):
        return "n/a"
    if pd.isna(low) or pd.isna(high):
        return f"{est:.3g} (CI n/a)"
    return f"{est:.3g} ({low:.3g} to {high:.3g})"


def _compact_summary(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "rank": summary["rank"],
        "importance (95% CI)": [_ci(*r) for r in summary[["importance", "importance_ci_low", "importance_ci_high"]].to_numpy()],
        "strongest term": summary["term"].fillna(""),
        "odds ratio (95% CI)": [_ci(*r) for r in summary[["odds_ratio", "or_ci_low", "or_ci_high"]].to_numpy()],
        "p": summary["p_value"].map(_p_cell), "q": summary["q_value"].map(_p_cell)}, index=summary.index)


def _compact_odds(odds: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "odds ratio (95% CI)": [_ci(*r) for r in odds[["estimate", "ci_low", "ci_high"]].to_numpy()],
        "p": odds["p_value"].map(_p_cell), "q": odds["q_value"].map(_p_cell),
        "note": odds["reason"].fillna("")}, index=odds.index)


def _compact_tests(tests: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "chi-square (df)": [f"{c:.4g} ({d:g})" if pd.notna(c) else "n/a" for c, d in zip(tests["chi2"], tests["df"])],
        "p": tests["p_value"].map(_p_cell), "q": tests["q_value"].map(_p_cell),
        "non-linearity p": tests["nonlinear_p_value"].map(_p_cell), "note": tests["reason"].fillna("")},
        index=tests.index)


def _p_text(p: float | None) -> str:
    """'= 0.012', or '< 1e-300' where the p-value underflowed to 0, or '= n/a'."""
    return "= n/a" if p is None else ("< 1e-300" if p == 0 else f"= {_p_cell(p)}")


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(float_format=lambda v: f"{v:.4g}", na_rep="n/a", classes="data", border=0)


def _figure(plot) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..plots import use_fonts

    use_fonts()  # Japanese column values and category labels draw in IPAexGothic
    ax = plot()
    fig = ax.figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<figure><img alt="figure" src="data:image/png;base64,{data}"></figure>'


def _survival_html(s: dict[str, Any]) -> str:
    def rows(values):
        return pd.DataFrame(values).set_index("time")

    parts = [f"<p>Time observed: {escape(s['duration'])}. {escape(s['method'])}</p>",
             "<h3>Kaplan-Meier survival, all rows</h3>", _table(rows(s["overall"]))]
    for factor, d in s["by_factor"].items():
        lr = d["logrank"]
        parts.append(f"<h3>By {escape(factor)} (log-rank p {_p_text(lr['p_value'])})</h3>")
        frame = pd.concat({g: rows(v["values"]) for g, v in d["groups"].items()}, names=["group"])
        parts.append(_table(frame))
    if s["cox_hazard_ratios"]:
        hr = pd.DataFrame(s["cox_hazard_ratios"]).T
        hr = hr.assign(**{c: hr[c].map(_p_cell) for c in ("p_value", "q_value") if c in hr})
        parts += ["<h3>Cox model hazard ratios (per 1 SD / vs largest level)</h3>", _table(hr)]
    return "\n".join(parts)


def write_report(report: FactorsReport, out_dir: Path) -> tuple[Path, Path]:
    """Write factors.html and factors.json atomically (temp file + rename; JSON last).

    Called only once the analysis has succeeded, so a failed run leaves the
    previous report in ``out_dir`` untouched.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "factors.html", out_dir / "factors.json"
    doc = json.dumps(report.to_dict(), indent=2, allow_nan=False)
    page_html = report.to_html()
    for path, text in ((html_path, page_html), (json_path, doc)):
        write_text_atomic(path, text)
    return html_path, json_path
