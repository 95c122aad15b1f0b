"""Retention in revenue terms: gross and net revenue retention and logo retention over a window ending at as_of.

Estimands. The window runs ``window_months`` (default 12) back from ``as_of``;
its first day is ``day0 = as_of - window_months`` (calendar months). The
accounts measured are those with a contract term in force on day0
(``term_start <= day0 < term_end``, the rule of
:func:`csresearch.tables.customer_at`); accounts that signed up later are not
counted (new business is neither retained nor lost). For each account:

* ARR then = the ``arr`` of the term in force on day0;
* ARR now = the ``arr`` of the term in force at as_of, 0 when none is.

Then, summed over the accounts:

* gross revenue retention GRR = sum(min(ARR now, ARR then)) / sum(ARR then);
* net revenue retention NRR = sum(ARR now) / sum(ARR then);
* logo retention = share of the accounts with a term in force at as_of.

ARR lost to churn is the ARR then of accounts with ARR now = 0; ARR lost to
contraction is ARR then - ARR now of accounts with 0 < ARR now < ARR then;
expansion is ARR now - ARR then of accounts with ARR now > ARR then; so
``arr_now = arr_then - lost_churn - lost_contraction + expansion``.

Pending renewals. An account whose term ended inside the window without a
following term in force at as_of is not a customer at as_of (the same rule as
``customer_at`` and the KPI step's "current customers"), whatever its term's
``outcome``: a term marked ``open`` (renewal decision not known yet; the data
contract allows it to have ended) or ``renewed`` with the next term not yet
started counts as ARR now = 0. Such accounts are counted apart
(``n_pending``, ``arr_pending``: included in the loss to churn), so a reader
sees how much of the loss is still undecided; GRR and NRR are therefore
conservative by at most ``arr_pending / arr_then``.

Uncertainty. Percentile bootstrap over accounts (each account one unit,
drawn with replacement with :func:`csresearch.analysis.intervals.cluster_resampler`):
the three ratios are recomputed on each resample from the same draws;
per segment and per signup-year cohort the accounts of the group are resampled.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, ParameterError
from ..i18n import fmt, label_text, t
from ..i18n import label as tl
from .intervals import cluster_resampler
from .results import AnalysisResult, Interval, intervals_frame

__all__ = ["METRICS", "RetentionResult", "retention", "retention_frame", "retention_group_plot", "retention_rates"]

#: The three retention measures, in display order, with their human names.
METRICS = {"grr": "Gross revenue retention (GRR)", "nrr": "Net revenue retention (NRR)",
           "logo_retention": "Logo retention"}

METHOD = ("accounts with a term in force on the window's first day (term_start <= day < term_end); ARR then = that "
          "term's arr, ARR now = arr of the term in force at as_of (0 if none, pending renewals included); "
          "GRR = sum(min(now, then)) / sum(then), NRR = sum(now) / sum(then), logo retention = share with a term in "
          "force at as_of; percentile account bootstrap ({n_boot} resamples, seed {seed})")

#: One colour per measure in every retention figure.
COLOURS = {"grr": "#1f5a96", "nrr": "#2e8b57", "logo_retention": "#c2621b"}

_GROUP_COLUMNS = ["n_accounts", "arr_then", "arr_now", *(f"{m}{s}" for m in METRICS for s in ("", "_ci_low", "_ci_high"))]


def _in_force(contracts: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    return contracts.loc[(contracts["term_start"] <= day) & (day < contracts["term_end"])]


def _pending(contracts: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp) -> np.ndarray:
    """Whether each account's latest term started by as_of is not ``churned`` (open, or renewed without a next term)."""
    started = contracts.loc[contracts["term_start"] <= as_of].sort_values(["account_id", "term_start"])
    last = started.groupby("account_id", observed=True).tail(1).set_index("account_id")["outcome"].astype("str")
    return (last.reindex(ids) != "churned").to_numpy()


def retention_frame(contracts: pd.DataFrame, as_of: Any, window_months: int = 12,
                    accounts: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per account with a term in force on the window's first day: ARR then and now, retained, pending.

    Parameters
    ----------
    contracts : DataFrame
        Columns ``account_id``, ``term_start``, ``term_end``, ``arr`` and ``outcome``.
    as_of : date-like
        The window's last day (the day "now" is measured).
    window_months : int, default 12
        Length of the window in calendar months.
    accounts : DataFrame, optional
        ``account_id``, ``segment``, ``signup_date``: adds ``segment`` and ``cohort`` (signup year).

    Returns
    -------
    DataFrame
        Indexed by ``account_id``: ``arr_then``, ``arr_now``, ``retained`` (a term in force at as_of),
        ``pending`` (not retained, latest term not churned) and, with ``accounts``, ``segment``, ``cohort``.
        ``attrs`` holds ``as_of``, ``start`` and ``window_months``.
    """
    if isinstance(window_months, bool) or int(window_months) != window_months or window_months < 1:
        raise ParameterError(f"window_months must be a whole number of months >= 1, got {window_months!r}")
    as_of = pd.Timestamp(as_of)
    start = as_of - pd.DateOffset(months=int(window_months))
    c = contracts.assign(account_id=contracts["account_id"].astype("str"))
    then = _in_force(c, start).groupby("account_id", observed=True)["arr"].sum()
    now_terms = _in_force(c, as_of)
    now = now_terms.groupby("account_id", observed=True)["arr"].sum()
    out = pd.DataFrame({"arr_then": then.astype("float64")})
    out.index.name = "account_id"
    out["arr_now"] = now.reindex(out.index).fillna(0.0).astype("float64")
    out["retained"] = out.index.isin(now_terms["account_id"])
    out["pending"] = ~out["retained"].to_numpy() & _pending(c, out.index, as_of)
    if accounts is not None:
        acc = accounts.assign(account_id=accounts["account_id"].astype("str")).drop_duplicates("account_id")
        acc = acc.set_index("account_id").reindex(out.index)
        out["segment"] = acc["segment"].astype("object").fillna("unknown").astype("str").to_numpy()
        years = pd.to_datetime(acc["signup_date"]).dt.year
        out["cohort"] = years.map(lambda y: "unknown" if pd.isna(y) else str(int(y))).to_numpy()
    out.attrs.update(as_of=as_of, start=start, window_months=int(window_months))
    return out


def retention_rates(arr_then: np.ndarray, arr_now: np.ndarray, retained: np.ndarray) -> tuple[float, float, float]:
    """(GRR, NRR, logo retention) of aligned per-account arrays; NaN where the denominator is 0."""
    then = np.asarray(arr_then, dtype="float64")
    now = np.asarray(arr_now, dtype="float64")
    total = then.sum()
    logo = float(np.mean(retained)) if len(then) else float("nan")
    if not total > 0:
        return float("nan"), float("nan"), logo
    return float(np.minimum(now, then).sum() / total), float(now.sum() / total), logo


def _intervals(frame: pd.DataFrame, n_boot: int, seed: int, level: float, method: str) -> dict[str, Interval]:
    """GRR, NRR and logo retention with percentile account-bootstrap intervals (same draws for all three)."""
    then, now = frame["arr_then"].to_numpy(), frame["arr_now"].to_numpy()
    kept = frame["retained"].to_numpy()
    point = retention_rates(then, now, kept)
    n = len(frame)
    _, draw = cluster_resampler(frame.index.to_numpy(), np.random.default_rng(seed))
    boots = np.empty((n_boot, 3))
    for b in range(n_boot):
        rows, _ = draw()
        boots[b] = retention_rates(then[rows], now[rows], kept[rows])
    out = {}
    for j, name in enumerate(METRICS):
        values = boots[:, j][np.isfinite(boots[:, j])]
        if not np.isfinite(point[j]) or len(values) < n_boot / 2:
            out[name] = Interval.unavailable("the accounts held no ARR on the window's first day" if name != "logo_retention"
                                             else "no accounts", method=method, n=n, level=level)
            continue
        low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
        out[name] = Interval(point[j], low, high, level=level, method=method, n=n)
    return out


def _group_table(frame: pd.DataFrame, by: str, n_boot: int, seed: int, level: float, method: str) -> pd.DataFrame:
    """One row per value of ``by``: accounts, ARR then and now, and the three measures with their intervals."""
    rows = {}
    for key, part in frame.groupby(by, sort=True, observed=True):
        ivs = _intervals(part, n_boot, seed, level, method)
        row: dict[str, Any] = {"n_accounts": len(part), "arr_then": float(part["arr_then"].sum()),
                               "arr_now": float(part["arr_now"].sum())}
        for name, iv in ivs.items():
            row.update({name: iv.estimate, f"{name}_ci_low": iv.ci_low, f"{name}_ci_high": iv.ci_high})
        rows[str(key)] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=_GROUP_COLUMNS)
    table.index.name = by
    return table.astype({c: "float64" for c in _GROUP_COLUMNS[1:]}).astype({"n_accounts": "int64"})


@dataclass
class RetentionResult(AnalysisResult):
    """GRR, NRR and logo retention over the window, overall and by group, with the ARR moves behind them.

    Attributes
    ----------
    summary : DataFrame
        One row per measure (``grr``, ``nrr``, ``logo_retention``): estimate, ci_low, ci_high, n, method.
    window_months : int
    as_of, start : Timestamp
        The window's last and first day.
    grr, nrr, logo_retention : Interval
    totals : dict
        ``n_accounts``, ``arr_then``, ``arr_now``, ``arr_lost_churn``, ``arr_lost_contraction``,
        ``arr_expansion``, ``n_churned``, ``n_contracted``, ``n_expanded``, ``n_pending``, ``arr_pending``.
    by_segment, by_cohort : DataFrame
        :data:`METRICS` per segment and per signup-year cohort (not suppressed: the study layer suppresses).
    """

    window_months: int = 12
    as_of: pd.Timestamp | None = None
    start: pd.Timestamp | None = None
    grr: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    nrr: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    logo_retention: Interval = field(default_factory=lambda: Interval.unavailable("not computed"))
    totals: dict[str, Any] = field(default_factory=dict)
    by_segment: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_cohort: pd.DataFrame = field(default_factory=pd.DataFrame)

    title = "Revenue and logo retention"

    @property
    def measures(self) -> dict[str, Interval]:
        """The three measures by key, in :data:`METRICS` order."""
        return {"grr": self.grr, "nrr": self.nrr, "logo_retention": self.logo_retention}

    def to_findings(self) -> dict[str, Any]:
        """window_months, the window's days, the three intervals, the ARR moves and the method (groups added by the step)."""
        return {"window_months": self.window_months,
                "window_start": None if self.start is None else str(self.start.date()),
                "as_of": None if self.as_of is None else str(self.as_of.date()),
                **{k: iv.to_dict() for k, iv in self.measures.items()}, **self.totals, "method": self.method,
                "notes": list(self.notes)}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(tl(METRICS[k]))}</td><td>{_pct(iv.estimate)}</td>"
            f"<td>{html.escape(fmt('range', low=_pct(iv.ci_low), high=_pct(iv.ci_high)))}</td></tr>" if iv.available else
            f"<tr><td>{html.escape(tl(METRICS[k]))}</td><td colspan='2'>"
            f"{html.escape(t('view.not_computable', reason=tl(str(iv.reason))))}</td></tr>"
            for k, iv in self.measures.items())
        return (f"<h4>{html.escape(tl(self.title))}</h4><table><thead><tr><th>{html.escape(tl('measure'))}</th>"
                f"<th>{html.escape(tl('estimate'))}</th><th>{html.escape(tl(f'{self.grr.level:.0%} interval'))}</th></tr>"
                f"</thead><tbody>{rows}</tbody></table>"
                f"<p><b>{html.escape(t('view.method'))}</b> {html.escape(label_text(self.method))}</p>")

    def plot(self, ax=None):
        """GRR, NRR and logo retention with their intervals on a percentage axis (100% marked); returns the Axes."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 2.6))
        for y, (name, iv) in enumerate(self.measures.items()):
            if not iv.available:
                continue
            low, high = iv.ci_low if iv.ci_low is not None else iv.estimate, iv.ci_high if iv.ci_high is not None else iv.estimate
            ax.errorbar([iv.estimate], [y], xerr=[[iv.estimate - low], [high - iv.estimate]], fmt="o", capsize=4,
                        color=COLOURS[name])
            ax.annotate(f"{100 * iv.estimate:.1f}%", (iv.estimate, y), textcoords="offset points", xytext=(0, 7),
                        ha="center", color=COLOURS[name])
        ax.axvline(1.0, color="#777", ls="--", lw=0.8)
        ax.set_yticks(range(len(METRICS)), list(METRICS.values()))
        ax.set_ylim(len(METRICS) - 0.4, -0.6)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(t("figures.kept_to_as_of", months=self.window_months))
        return ax


def _pct(x: float | None) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def retention_group_plot(table: pd.DataFrame, ax=None, title: str = ""):
    """Dot-and-interval chart of the three measures for each row of ``table`` (a group table); returns the Axes.

    Rows whose values are not numbers (suppressed groups) are left out; one colour per measure, with a legend.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    shown = table.loc[[pd.api.types.is_number(v) and np.isfinite(v) for v in table["grr"]]] if len(table) else table
    if ax is None:
        _, ax = plt.subplots(figsize=(8.5, 1.6 + 0.6 * max(len(shown), 1)))
    y = np.arange(len(shown))
    for j, (name, label) in enumerate(METRICS.items()):
        est = pd.to_numeric(shown[name], errors="coerce").to_numpy(dtype="float64")
        low = pd.to_numeric(shown[f"{name}_ci_low"], errors="coerce").to_numpy(dtype="float64")
        high = pd.to_numeric(shown[f"{name}_ci_high"], errors="coerce").to_numpy(dtype="float64")
        err = np.vstack([np.nan_to_num(est - low), np.nan_to_num(high - est)])
        ax.errorbar(est, y + (j - 1) * 0.22, xerr=err, fmt="o", capsize=3, color=COLOURS[name], label=label)
    ax.axvline(1.0, color="#777", ls="--", lw=0.8)
    ax.set_yticks(y, [str(i) for i in shown.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(tl("share kept over the window (95% intervals)"))
    ax.legend(loc="lower left", frameon=False, bbox_to_anchor=(0, 1.0), ncol=3, handletextpad=0.2, columnspacing=1.0)
    if title:
        ax.set_title(tl(title), loc="left", pad=24)
    return ax


def _totals(frame: pd.DataFrame) -> dict[str, Any]:
    then, now = frame["arr_then"], frame["arr_now"]
    churned, contracted, expanded = now == 0, (now > 0) & (now < then), now > then
    return {"n_accounts": len(frame), "arr_then": float(then.sum()), "arr_now": float(now.sum()),
            "arr_lost_churn": float(then[churned].sum()),
            "arr_lost_contraction": float((then - now)[contracted].sum()),
            "arr_expansion": float((now - then)[expanded].sum()),
            "n_churned": int(churned.sum()), "n_contracted": int(contracted.sum()), "n_expanded": int(expanded.sum()),
            "n_pending": int(frame["pending"].sum()), "arr_pending": float(then[frame["pending"]].sum())}


def retention(contracts: pd.DataFrame, as_of: Any, *, accounts: pd.DataFrame | None = None, window_months: int = 12,
              n_boot: int = 1000, seed: int = 0, level: float = 0.95,
              groups: Sequence[str] = ("segment", "cohort")) -> RetentionResult:
    """GRR, NRR and logo retention over the ``window_months`` ending at ``as_of``, with account-bootstrap intervals.

    Parameters
    ----------
    contracts : DataFrame
        The contracts table (``account_id``, ``term_start``, ``term_end``, ``arr``, ``outcome``).
    as_of : date-like
        The window's last day.
    accounts : DataFrame, optional
        The accounts table, for the tables by segment and by signup-year cohort.
    window_months : int, default 12
    n_boot : int, default 1000
        Bootstrap resamples (accounts drawn with replacement).
    seed : int, default 0
    level : float, default 0.95
    groups : sequence of str
        Group tables to build (``segment``, ``cohort``); needs ``accounts``.

    Returns
    -------
    RetentionResult

    Raises
    ------
    InputError
        When no account had a term in force on the window's first day.
    """
    if n_boot < 2 or not 0 < level < 1:
        raise ParameterError(f"need n_boot >= 2 and 0 < level < 1, got n_boot={n_boot!r}, level={level!r}")
    frame = retention_frame(contracts, as_of, window_months, accounts)
    start = frame.attrs["start"]
    if frame.empty:
        raise InputError(f"no account had a contract term in force on {start.date()}, the first day of the "
                         f"{window_months}-month window; the data do not cover the window")
    method = METHOD.format(n_boot=n_boot, seed=seed)
    ivs = _intervals(frame, n_boot, seed, level, method)
    totals = _totals(frame)
    notes = []
    if totals["n_pending"]:
        notes.append(f"{totals['n_pending']} account(s) with no term in force at as_of have a renewal not (yet) "
                     "decided as churn; they count as lost (ARR now = 0)")
    tables = {by: _group_table(frame, by, n_boot, seed, level, method) if by in frame else pd.DataFrame(columns=_GROUP_COLUMNS)
              for by in ("segment", "cohort") if by in groups}
    return RetentionResult(intervals_frame(ivs, "measure"), method, notes, int(window_months), frame.attrs["as_of"], start,
                           ivs["grr"], ivs["nrr"], ivs["logo_retention"], totals,
                           tables.get("segment", pd.DataFrame()), tables.get("cohort", pd.DataFrame()))
