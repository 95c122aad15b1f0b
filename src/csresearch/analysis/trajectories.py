"""Trajectories before a renewal decision: churned vs renewed, aligned on the decision.

Rows are aligned on the relative month to the decision (-12 .. 0, 0 = the
decision month). A matched sample (exact matching on coarsened segment and
tenure) keeps mix from driving the gap; :func:`first_separation` finds the
feature whose gap opens earliest and stays open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from .intervals import bh_qvalues
from .results import AnalysisResult, Interval

__all__ = [
    "MatchedSample",
    "Separation",
    "TrajectoryResult",
    "aligned_trajectories",
    "first_separation",
    "matched_sample",
]

TRAJ_METHOD = "per relative month: mean over accounts of the account's mean, t interval (accounts as the unit)"


@dataclass
class TrajectoryResult(AnalysisResult):
    """Mean per feature, group and relative month: ``summary`` columns
    ``feature, group, rel_month, n, mean, sd, ci_low, ci_high``; ``groups`` in comparison order."""

    groups: tuple[Any, ...] = ()
    title = "Aligned trajectories before the decision"


def _absent(frame: pd.DataFrame, cols: Sequence[str], where: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ParameterError(f"{where}: column(s) {missing} not in the frame; have {list(frame.columns)}")


def aligned_trajectories(
    frame: pd.DataFrame,
    rel_month_col: str,
    group_col: str,
    features: Sequence[str],
    cluster_col: str = "account_id",
    months: Sequence[int] = tuple(range(-12, 1)),
    groups: Sequence[Any] | None = None,
    level: float = 0.95,
) -> TrajectoryResult:
    """Mean of each feature per relative month and group, with a t interval over accounts.

    Rows of one account in the same month are first averaged, so each account
    counts once per month (the account is the unit of the interval).

    Parameters
    ----------
    frame : DataFrame
        Long frame, one row per decision (or account) and relative month.
    rel_month_col : str
        Month relative to the decision (integer, 0 = decision month).
    group_col : str
        Outcome group (e.g. churned 1/0).
    features : sequence of str
        Numeric columns.
    months : sequence of int, default -12..0
        Relative months to keep.
    groups : sequence, optional
        Group order; the comparison in :func:`first_separation` is first minus
        second. Default: sorted distinct values, descending (so 1 before 0).
    """
    _absent(frame, [rel_month_col, group_col, cluster_col, *features], "aligned_trajectories")
    data = frame.loc[frame[rel_month_col].isin(list(months)) & frame[group_col].notna()]
    if groups is None:
        groups = tuple(sorted(data[group_col].unique(), reverse=True))
    long = data[[cluster_col, group_col, rel_month_col, *features]].melt(
        id_vars=[cluster_col, group_col, rel_month_col], var_name="feature")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    per_account = long.dropna(subset=["value"]).groupby(
        ["feature", group_col, rel_month_col, cluster_col], observed=True)["value"].mean()
    g = per_account.groupby(level=[0, 1, 2], observed=True)
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "sd": g.std(ddof=1)}).reset_index()
    out = out.rename(columns={group_col: "group", rel_month_col: "rel_month"})
    t = stats.t.ppf(0.5 + level / 2, np.maximum(out["n"] - 1, 1))
    half = t * out["sd"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    out = out.sort_values(["feature", "group", "rel_month"]).reset_index(drop=True)
    return TrajectoryResult(summary=out, method=TRAJ_METHOD, groups=tuple(groups))


@dataclass
class Separation(AnalysisResult):
    """Which feature separates the groups first.

    ``summary`` is per feature: first_month (earliest month from which every
    later month's BH q-value is below alpha; NaN when never), gap at that
    month and at month 0. ``differences`` is the full feature x month table.
    """

    first_feature: str | None = None
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    gap: dict[str, Interval] = field(default_factory=dict)
    title = "First separation before the decision"


def first_separation(traj: TrajectoryResult, alpha: float = 0.05, level: float = 0.95) -> Separation:
    """Earliest relative month from which each feature's group gap stays significant.

    Per feature and month the difference of means (first group minus second,
    see ``traj.groups``) gets a Welch interval and p-value; p-values are
    Benjamini-Hochberg adjusted across all features x months tested. A
    feature separates at month m when q < alpha at m and at every later month.
    The first feature is the one with the earliest such month (ties: larger
    standardised gap at that month).
    """
    if len(traj.groups) != 2:
        raise ParameterError(f"first_separation needs exactly two groups, got {list(traj.groups)}")
    a, b = traj.groups
    s = traj.summary
    wide = s.loc[s["group"] == a].merge(s.loc[s["group"] == b], on=["feature", "rel_month"], suffixes=("_a", "_b"))
    va, vb = wide["sd_a"] ** 2 / wide["n_a"], wide["sd_b"] ** 2 / wide["n_b"]
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (wide["n_a"] - 1) + vb**2 / (wide["n_b"] - 1))
    diff = wide["mean_a"] - wide["mean_b"]
    testable = (wide["n_a"] >= 2) & (wide["n_b"] >= 2) & (se > 0)
    tcrit = stats.t.ppf(0.5 + level / 2, df.where(testable))
    res = pd.DataFrame({
        "feature": wide["feature"], "rel_month": wide["rel_month"], "difference": diff,
        "ci_low": diff - tcrit * se, "ci_high": diff + tcrit * se,
        "std_difference": diff / np.sqrt((wide["sd_a"] ** 2 + wide["sd_b"] ** 2) / 2),
        "p_value": np.where(testable, 2 * stats.t.sf(np.abs(diff / se), df), np.nan),
    })
    res["q_value"] = bh_qvalues(res["p_value"].to_numpy())
    rows, gap = [], {}
    method = f"Welch difference ({a} - {b}) per month, Benjamini-Hochberg across features x months, alpha {alpha}"
    for feat, part in res.sort_values("rel_month").groupby("feature", sort=True):
        sig = (part["q_value"] < alpha).to_numpy()
        tail_ok = np.flip(np.logical_and.accumulate(np.flip(sig))) if len(sig) else sig
        first = part["rel_month"].to_numpy()[tail_ok][0] if tail_ok.any() else np.nan
        at = part.loc[part["rel_month"] == first].iloc[0] if tail_ok.any() else None
        last = part.iloc[-1]
        if at is not None:
            gap[feat] = Interval(at["difference"], at["ci_low"], at["ci_high"], level=level, method=method,
                                 n=None)
        else:
            gap[feat] = Interval.unavailable("groups never separate through the decision month", method)
        rows.append({"feature": feat, "first_month": first,
                     "gap_at_first": at["difference"] if at is not None else np.nan,
                     "std_gap_at_first": at["std_difference"] if at is not None else np.nan,
                     "gap_at_decision": last["difference"], "q_at_decision": last["q_value"]})
    summary = pd.DataFrame(rows).set_index("feature")
    sep = summary.dropna(subset=["first_month"])
    first_feature = None
    if len(sep):
        order = sep.assign(abs_gap=-sep["std_gap_at_first"].abs()).sort_values(["first_month", "abs_gap"])
        first_feature = str(order.index[0])
    notes = [] if first_feature else ["no feature separates the groups through the decision month"]
    return Separation(summary=summary, method=method, notes=notes, first_feature=first_feature, differences=res, gap=gap)


@dataclass
class MatchedSample(AnalysisResult):
    """Matched rows (``sample``, with ``match_stratum`` and ``match_id`` columns) and per-stratum counts (``summary``)."""

    sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    title = "Matched sample"


def matched_sample(
    frame: pd.DataFrame,
    group_col: str,
    match_on: Sequence[str] = ("segment", "tenure_band"),
    seed: int | None = 0,
    treated_value: Any = 1,
    ratio: int = 1,
    bins: Mapping[str, int | Sequence[float]] | None = None,
) -> MatchedSample:
    """Exact (coarsened) matching of treated rows (e.g. churned) to controls (renewed).

    Numeric ``match_on`` columns listed in ``bins`` are first coarsened with
    ``pandas.cut`` (an int = that many equal-width bins, or explicit edges).
    Within each stratum ``k = min(n_treated, n_control // ratio)`` treated rows
    and ``k * ratio`` controls are drawn at random without replacement; strata
    without controls lose their treated rows (counted in ``summary`` and notes).
    ``sample`` gets a ``match_id`` column: the j-th drawn treated row of a
    stratum and its ``ratio`` controls share one id (the draws are random, so
    the pairing within a stratum is too).
    """
    _absent(frame, [group_col, *match_on], "matched_sample")
    if ratio < 1:
        raise ParameterError(f"ratio must be >= 1, got {ratio}")
    data = frame.loc[frame[group_col].notna()].copy()
    keys = []
    for col in match_on:
        if bins and col in bins:
            data[f"_{col}"] = pd.cut(data[col], bins[col]).astype(str)
        else:
            data[f"_{col}"] = data[col].astype(str)
        keys.append(f"_{col}")
    stratum = data[keys[0]] if keys else pd.Series("", index=data.index)
    for key in keys[1:]:
        stratum = stratum + "|" + data[key]  # vectorised; a row-wise join is slow on Arrow strings
    data["match_stratum"] = stratum
    treated = data[group_col] == treated_value
    rng = np.random.default_rng(seed)
    picked, match_ids, rows = [], [], []
    for stratum, part in data.groupby("match_stratum", sort=True):
        t_idx = part.index[treated.loc[part.index]].to_numpy()
        c_idx = part.index[~treated.loc[part.index]].to_numpy()
        k = min(len(t_idx), len(c_idx) // ratio)
        if k:
            picked += [rng.choice(t_idx, k, replace=False), rng.choice(c_idx, k * ratio, replace=False)]
            first = sum(len(ids) for ids in match_ids) // (1 + ratio)
            match_ids += [first + np.arange(k), first + np.repeat(np.arange(k), ratio)]
        rows.append({"match_stratum": stratum, "n_treated": len(t_idx), "n_control": len(c_idx), "matched_treated": k})
    summary = pd.DataFrame(rows).set_index("match_stratum")
    sample = data.loc[np.concatenate(picked) if picked else [], [*frame.columns, "match_stratum"]]
    sample["match_id"] = np.concatenate(match_ids).astype("int64") if match_ids else np.zeros(0, "int64")
    lost = int(summary["n_treated"].sum() - summary["matched_treated"].sum()) if len(summary) else 0
    notes = [f"{lost} treated row(s) without enough controls in their stratum were not matched"] if lost else []
    method = f"exact matching on {', '.join(match_on)} (coarsened), {ratio} control(s) per treated row, random draw (seed {seed})"
    return MatchedSample(summary=summary, method=method, notes=notes, sample=sample)
