"""Event study of matched pairs before a decision: when does each component separate?

Each churned decision is paired with a renewed control (see
:func:`~csresearch.analysis.trajectories.matched_sample`); both are aligned on
the months before their own decision. Per feature and month the estimand is
the mean paired difference (treated - control) over pairs observed in that
month. Pairs that share an account are one cluster (connected components of
the pair-account graph), so an account that appears in several pairs is
counted once in the uncertainty. A month is *significant* when its
Benjamini-Hochberg q-value (across all features x months) is below alpha; a
feature *separates* from month m when every month from m to the last month
of the window is significant. The whole procedure is repeated on cluster
bootstrap samples, which gives an interval for that first month.

A difference already significant at the window start (the first month with
enough pairs to test) is a *baseline difference* (it was there before the
window could see it start), not a trigger; the earliest triggers whose first months tie, or whose first-month
intervals overlap, are reported together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components

from ..errors import ParameterError
from ..i18n import label as tl
from .intervals import bh_qvalues
from .results import AnalysisResult, Interval

__all__ = ["EventStudy", "paired_event_study", "KIND_TRIGGER", "KIND_BASELINE", "KIND_NONE"]

KIND_TRIGGER = "trigger"
KIND_BASELINE = "baseline difference"
KIND_NONE = "no separation"


@dataclass
class EventStudy(AnalysisResult):
    """When each feature separates matched treated (churned) from control (renewed) decisions.

    ``summary`` is per feature: ``first_month`` (NaN when it never
    separates), ``first_month_low``/``first_month_high`` (bootstrap
    percentiles; 0 stands for "not before the decision"), ``share_separating``
    (share of bootstrap samples in which it separates), ``kind``,
    ``gap_at_start`` (at the first month with enough pairs to test),
    ``gap_at_first`` and ``gap_at_last``. ``differences`` is
    the feature x month table (``n_pairs, difference, ci_low, ci_high,
    p_value, q_value``).
    """

    differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    first_month: dict[str, Interval] = field(default_factory=dict)
    gap_at_start: dict[str, Interval] = field(default_factory=dict)
    gap_at_first: dict[str, Interval] = field(default_factory=dict)
    gap_at_last: dict[str, Interval] = field(default_factory=dict)
    first_components: list[str] = field(default_factory=list)
    months: tuple[int, ...] = ()
    n_pairs: int = 0
    n_clusters: int = 0
    title = "When each component separates before the decision"

    def kind(self, feature: str) -> str:
        """``"trigger"``, ``"baseline difference"`` or ``"no separation"``."""
        return str(self.summary.loc[feature, "kind"])

    def plot(self, feature: str, ax=None):
        """Paired difference by month with its interval, zero line and first month marked; returns the Axes."""
        import matplotlib.pyplot as plt

        if feature not in self.summary.index:
            raise ValueError(f"{feature!r} not in the event study; have {list(self.summary.index)}")
        ax = ax if ax is not None else plt.gca()
        d = self.differences.loc[self.differences["feature"] == feature].sort_values("rel_month")
        ax.plot(d["rel_month"], d["difference"], marker="o", color="C3")
        ax.fill_between(d["rel_month"], d["ci_low"], d["ci_high"], color="C3", alpha=0.2)
        ax.axhline(0, color="grey", lw=0.8)
        first = self.first_month[feature]
        if first.available and first.ci_low is not None and first.ci_high is not None:
            ax.axvspan(first.ci_low - 0.5, first.ci_high + 0.5, color="C0", alpha=0.12)
            ax.axvline(first.estimate, color="C0", ls="--")
        ax.set_xlabel(tl("months before the decision"))
        ax.set_ylabel(tl("churned - renewed"))
        ax.set_title(f"{feature} ({tl(self.kind(feature))})")
        return ax


def _pair_differences(panel: pd.DataFrame, features: Sequence[str], cols: dict[str, str],
                      treated_value: Any, months: Sequence[int]) -> pd.DataFrame:
    """Long frame ``pair, rel_month, feature, d``: treated minus mean of controls, where both are observed."""
    pair, group, month = cols["pair"], cols["group"], cols["month"]
    data = panel.loc[panel[month].isin(list(months)) & panel[pair].notna(), [pair, group, month, *features]]
    long = data.melt(id_vars=[pair, group, month], var_name="feature")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    long["treated"] = long[group] == treated_value
    cell = long.dropna(subset=["value"]).groupby([pair, month, "feature", "treated"], observed=True)["value"].mean()
    wide = cell.unstack("treated")
    if True not in wide.columns or False not in wide.columns:
        raise ParameterError("paired_event_study needs treated and control rows observed in the same pair and month")
    d = (wide[True] - wide[False]).dropna().rename("d").reset_index()
    return d.rename(columns={pair: "pair", month: "rel_month"})


def _pair_clusters(panel: pd.DataFrame, pair_col: str, cluster_col: str) -> pd.Series:
    """Cluster id per pair: pairs linked through a shared account are one cluster."""
    links = panel[[pair_col, cluster_col]].dropna().drop_duplicates()
    pairs, p_idx = np.unique(links[pair_col].astype(str).to_numpy(), return_inverse=True)
    accounts, a_idx = np.unique(links[cluster_col].astype(str).to_numpy(), return_inverse=True)
    n = len(pairs) + len(accounts)
    graph = sparse.coo_matrix((np.ones(len(links)), (p_idx, len(pairs) + a_idx)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels[: len(pairs)], index=pairs, name="cluster")


def _cell_tests(weights: np.ndarray, sums: dict[str, np.ndarray], level: float, min_pairs: int) -> dict[str, np.ndarray]:
    """Mean paired difference per cell with a cluster-robust t test, for each row of cluster weights.

    ``weights`` is (B, C) cluster multiplicities; ``sums`` holds (C, K) per-cluster
    sums ``s`` (of d), ``n`` (pairs), ``s2``, ``sn``, ``n2`` (products of the
    per-cluster sums). Variance of the mean: G/(G-1) sum_c (s_c - mean n_c)^2 / N^2.
    """
    total, count = weights @ sums["s"], weights @ sums["n"]
    groups = weights @ (sums["n"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / count
        resid = weights @ sums["s2"] - 2 * mean * (weights @ sums["sn"]) + mean**2 * (weights @ sums["n2"])
        se = np.sqrt(np.maximum(resid, 0) * groups / (groups - 1)) / count
        ok = (count >= min_pairs) & (groups >= 2) & (se > 0)
        df = np.where(ok, groups - 1, np.nan)
        p = np.where(ok, 2 * stats.t.sf(np.abs(mean / se), df), np.nan)
        half = stats.t.ppf(0.5 + level / 2, df) * se
    return {"mean": mean, "se": se, "p": p, "low": mean - half, "high": mean + half, "n": count}


def _first_months(significant: np.ndarray, months: np.ndarray) -> np.ndarray:
    """First month from which every later month is significant; (..., F, M) -> (..., F), NaN when none."""
    tail = np.flip(np.logical_and.accumulate(np.flip(significant, -1), axis=-1), -1)
    first = months[np.argmax(tail, axis=-1)].astype("float64")
    return np.where(tail.any(axis=-1), first, np.nan)


def _significance(p: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """BH q-values per row of p (B, K) and q < alpha (NaN = not significant)."""
    q = np.vstack([bh_qvalues(row) for row in p])
    return q, np.nan_to_num(q, nan=1.0) < alpha


def _ties(summary: pd.DataFrame) -> list[str]:
    """The earliest triggers: equal first month, or a first-month interval overlapping the earliest ones'."""
    trig = summary.loc[summary["kind"] == KIND_TRIGGER]
    if trig.empty:
        return []
    earliest = trig["first_month"].min()
    lead = trig.loc[trig["first_month"] == earliest]
    lo, hi = lead["first_month_low"].min(), lead["first_month_high"].max()
    tied = (trig["first_month"] == earliest) | ((trig["first_month_low"] <= hi) & (trig["first_month_high"] >= lo))
    return [str(f) for f in trig.loc[tied].sort_values("first_month", kind="stable").index]


def _gap(tests: dict[str, np.ndarray], k: int, level: float, method: str) -> Interval:
    """The paired difference of one cell of the full-sample tests as an interval."""
    if not np.isfinite(tests["p"][0, k]):
        return Interval.unavailable("too few pairs or clusters in this month", method, n=int(tests["n"][0, k]))
    return Interval(tests["mean"][0, k], tests["low"][0, k], tests["high"][0, k], level=level, method=method,
                    n=int(tests["n"][0, k]))


def _cluster_sums(diffs: pd.DataFrame, clusters: pd.Series, cells: pd.MultiIndex) -> dict[str, np.ndarray]:
    """Per-cluster sums of d and counts of pairs, (C, K) over the feature x month ``cells``."""
    diffs = diffs.assign(cluster=clusters.reindex(diffs["pair"].astype(str)).to_numpy())
    g = diffs.groupby(["cluster", "feature", "rel_month"])["d"]
    s = g.sum().unstack(["feature", "rel_month"]).reindex(columns=cells).fillna(0.0).to_numpy()
    n = g.size().unstack(["feature", "rel_month"]).reindex(columns=cells).fillna(0).to_numpy(dtype="float64")
    return {"s": s, "n": n, "s2": s * s, "sn": s * n, "n2": n * n}


def paired_event_study(
    panel: pd.DataFrame,
    features: Sequence[str],
    *,
    pair_col: str = "match_id",
    group_col: str = "churned",
    rel_month_col: str = "relative_month",
    cluster_col: str = "account_id",
    treated_value: Any = 1,
    months: Sequence[int] = tuple(range(-12, 0)),
    alpha: float = 0.05,
    level: float = 0.95,
    n_boot: int = 400,
    min_pairs: int = 10,
    seed: int | None = 0,
) -> EventStudy:
    """When each feature's paired difference (treated - control) becomes and stays significant.

    Parameters
    ----------
    panel : DataFrame
        Long frame, one row per decision and relative month: the pair id,
        the group (treated / control), the relative month, the account and
        the features. Controls of one pair are averaged per month.
    features : sequence of str
        Numeric columns.
    months : sequence of int, default -12..-1
        The window; its first month with at least ``min_pairs`` pairs is the
        feature's *start*: a gap significant there is a baseline difference.
    alpha : float, default 0.05
        False discovery rate (Benjamini-Hochberg across features x months).
    n_boot : int, default 400
        Cluster bootstrap samples for the first-month interval.
    min_pairs : int, default 10
        A month with fewer pairs is not tested (not significant).

    Returns
    -------
    EventStudy
    """
    if not 0 < alpha < 1 or not 0 < level < 1:
        raise ParameterError(f"alpha and level must lie in (0, 1), got {alpha}, {level}")
    months = tuple(sorted(int(m) for m in months))
    if not months or n_boot < 1:
        raise ParameterError("paired_event_study needs at least one month and n_boot >= 1")
    missing = [c for c in (pair_col, group_col, rel_month_col, cluster_col, *features) if c not in panel.columns]
    if missing:
        raise ParameterError(f"paired_event_study: column(s) {missing} not in the panel")
    cols = {"pair": pair_col, "group": group_col, "month": rel_month_col}
    diffs = _pair_differences(panel, features, cols, treated_value, months)
    clusters = _pair_clusters(panel, pair_col, cluster_col)
    cells = pd.MultiIndex.from_product([list(features), list(months)], names=["feature", "rel_month"])
    sums = _cluster_sums(diffs, clusters, cells)
    n_clusters = sums["s"].shape[0]
    rng = np.random.default_rng(seed)
    weights = np.vstack([np.ones(n_clusters), rng.multinomial(n_clusters, np.full(n_clusters, 1 / n_clusters), n_boot)])
    tests = _cell_tests(weights, sums, level, min_pairs)
    q, sig = _significance(tests["p"], alpha)
    shape = (weights.shape[0], len(features), len(months))
    first = _first_months(sig.reshape(shape), np.asarray(months))
    return _assemble(features, months, cells, tests, q, sig, first,
                     {"alpha": alpha, "level": level, "n_boot": n_boot, "n_pairs": int(diffs["pair"].nunique()),
                      "n_clusters": n_clusters, "treated": treated_value})


def _assemble(features, months, cells, tests, q, sig, first, info) -> EventStudy:
    """The EventStudy of the full-sample row (0) and the bootstrap rows (1..B) of the tests."""
    level, n_months = info["level"], len(months)
    method = (f"paired difference ({info['treated']} - control) per month, t interval clustered by account "
              f"(pairs sharing an account form one cluster), Benjamini-Hochberg across features x months at "
              f"alpha {info['alpha']}")
    boot_method = (f"first month from which every later month is significant; interval: percentiles of "
                   f"{info['n_boot']} account-cluster bootstrap repeats of the whole procedure (0 = no separation "
                   f"before the decision)")
    differences = cells.to_frame(index=False).assign(
        n_pairs=tests["n"][0].astype("int64"), difference=tests["mean"][0], ci_low=tests["low"][0],
        ci_high=tests["high"][0], p_value=tests["p"][0], q_value=q[0])
    tail = (1 - level) / 2
    boot = np.nan_to_num(first[1:], nan=0.0)
    lows = np.quantile(boot, tail, axis=0, method="inverted_cdf")
    highs = np.quantile(boot, 1 - tail, axis=0, method="inverted_cdf")
    rows, out = [], {"first": {}, "start": {}, "at_first": {}, "last": {}}
    for i, feat in enumerate(features):
        est = first[0, i]
        testable = np.flatnonzero(np.isfinite(tests["p"][0, i * n_months:(i + 1) * n_months]))
        start = i * n_months + (testable[0] if len(testable) else 0)  # the first month the data can test
        kind = KIND_NONE if np.isnan(est) else KIND_BASELINE if sig[0, start] else KIND_TRIGGER
        out["first"][feat] = (Interval(est, lows[i], highs[i], level=level, method=boot_method, n=info["n_boot"])
                              if not np.isnan(est) else
                              Interval.unavailable("the difference does not stay significant to the decision",
                                                   boot_method))
        out["start"][feat] = _gap(tests, start, level, method)
        out["last"][feat] = _gap(tests, (i + 1) * n_months - 1, level, method)
        out["at_first"][feat] = (_gap(tests, i * n_months + months.index(int(est)), level, method)
                                 if not np.isnan(est) else Interval.unavailable("no separation", method))
        rows.append({"feature": feat, "first_month": est, "first_month_low": lows[i] if not np.isnan(est) else np.nan,
                     "first_month_high": highs[i] if not np.isnan(est) else np.nan,
                     "share_separating": float(np.mean(~np.isnan(first[1:, i]))), "kind": kind,
                     "gap_at_start": out["start"][feat].estimate, "gap_at_first": out["at_first"][feat].estimate,
                     "gap_at_last": out["last"][feat].estimate})
    summary = pd.DataFrame(rows).set_index("feature")
    ties = _ties(summary)
    notes = [] if ties else ["no component starts to separate within the window (no trigger)"]
    return EventStudy(summary=summary, method=f"{method}; {boot_method}", notes=notes, differences=differences,
                      first_month=out["first"], gap_at_start=out["start"], gap_at_first=out["at_first"],
                      gap_at_last=out["last"], first_components=ties, months=months, n_pairs=info["n_pairs"],
                      n_clusters=info["n_clusters"])
