"""Peer benchmarks: an account's value as a percentile among its peers, and how that percentile relates to churn.

Peers are the accounts of the same segment and size band (seats of the term
in force: 1-9, 10-49, 50-249, 250 or more) observed at the same date. An
account's percentile is the mid-rank share of its peers (itself included)
with a lower value, ``100 x (below + 0.5 x equal) / n``: 50 is the peer
median, and the same value always gets the same percentile (values are
rounded to 9 decimals first, so floating-point noise does not break ties). A peer group with
fewer than ``min_peers`` accounts falls back to the whole segment; a segment
that small gets no percentile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import AnalysisError
from .intervals import wilson_interval
from .results import AnalysisResult, Interval

__all__ = ["BANDS", "SIZE_BANDS", "PercentileChurn", "peer_percentiles", "percentile_churn", "size_band"]

#: Seat bands (lower edges) of the size band.
SIZE_BANDS: tuple[tuple[int, str], ...] = ((1, "1-9 seats"), (10, "10-49 seats"), (50, "50-249 seats"),
                                           (250, "250+ seats"))
#: Percentile bands of the churn table.
BANDS = (0, 25, 50, 75, 100)


def size_band(seats: Sequence[float]) -> pd.Series:
    """The size band of each seat count (NaN seats: NaN)."""
    s = pd.Series(np.asarray(seats, dtype="float64"))
    edges = [b for b, _ in SIZE_BANDS] + [np.inf]
    return pd.cut(s, edges, right=False, labels=[label for _, label in SIZE_BANDS]).astype("object")


def _mid_rank(values: pd.Series, keys: pd.Series) -> pd.Series:
    """Mid-rank percentile of each value within its key (NaN values get NaN and are not counted)."""
    rank = values.groupby(keys, sort=False).rank(method="average")
    n = values.notna().groupby(keys, sort=False).transform("sum")
    return 100.0 * (rank - 0.5) / n


def peer_percentiles(frame: pd.DataFrame, value_cols: Sequence[str], by: Sequence[str] = ("as_of", "segment", "size_band"),
                     fallback: Sequence[str] = ("as_of", "segment"), min_peers: int = 20) -> pd.DataFrame:
    """Each row's percentile of ``value_cols`` among the rows of its peer group.

    Parameters
    ----------
    frame : DataFrame
        One row per account (and date): the columns of ``by`` and ``value_cols``.
    value_cols : sequence of str
    by : sequence of str
        The peer group (default: date, segment and size band).
    fallback : sequence of str
        The group used when a peer group has fewer than ``min_peers`` rows.
    min_peers : int, default 20

    Returns
    -------
    DataFrame
        Same index: ``pct_<column>`` (0-100) per value column and ``peer_group``
        (``"segment and size band"``, ``"segment"`` or None when too few peers).
    """
    key = frame.groupby(list(by), sort=False, dropna=False, observed=True).ngroup()
    wide = frame.groupby(list(fallback), sort=False, dropna=False, observed=True).ngroup()
    small = key.map(key.value_counts()) < min_peers
    too_few = wide.map(wide.value_counts()) < min_peers
    out = pd.DataFrame(index=frame.index)
    for col in value_cols:
        # rounded so that values equal up to floating-point noise tie (the same value, the same percentile)
        values = pd.to_numeric(frame[col], errors="coerce").astype("float64").round(9)
        pct = _mid_rank(values, key).where(~small, _mid_rank(values, wide))  # a small group: among the whole segment
        out[f"pct_{col}"] = pct.where(~(small & too_few))
    out["peer_group"] = np.where(~small, "segment and size band", np.where(~too_few, "segment", None))
    return out


@dataclass
class PercentileChurn(AnalysisResult):
    """Churn at the renewal decision by peer percentile of one value.

    Attributes
    ----------
    summary : DataFrame
        Per percentile band: n_decisions, n_accounts, churned, churn_rate, ci_low, ci_high (Wilson).
    odds_ratio : Interval
        Odds ratio of churn per ``per`` percentile points (logistic regression,
        cluster-robust by account).
    """

    odds_ratio: Interval = field(default_factory=lambda: Interval.unavailable("not fitted"))
    per: int = 10
    title = "Churn by peer percentile"

    def to_findings(self) -> dict[str, Any]:
        """Odds ratio per ``per`` points and the bands (counts and Wilson intervals)."""
        bands = {str(b): {"n_decisions": int(r["n_decisions"]), "n_accounts": int(r["n_accounts"]),
                          "churn_rate": Interval(r["churn_rate"], r["ci_low"], r["ci_high"], method="Wilson score interval",
                                                 n=int(r["n_decisions"])).to_dict()}
                 for b, r in self.summary.iterrows()}
        return {"odds_ratio_per_10_points": self.odds_ratio.to_dict(), "bands": bands,
                "n_decisions": int(self.summary["n_decisions"].sum()), "method": self.method}


def _odds_ratio(pct: np.ndarray, y: np.ndarray, groups: np.ndarray, per: int) -> Interval:
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.tools.tools import add_constant

    method = f"logistic regression of churn on the percentile / {per}; 95% Wald interval, cluster-robust by account"
    if len(np.unique(y)) < 2 or np.ptp(pct) == 0:
        return Interval.unavailable("one outcome only or a constant percentile", method=method, n=len(y))
    X = add_constant(pct / per)
    codes = pd.factorize(pd.Series(groups))[0]
    fit = Logit(y, X).fit(disp=0, cov_type="cluster", cov_kwds={"groups": codes})
    b, se = float(fit.params[1]), float(fit.bse[1])
    return Interval(np.exp(b), np.exp(b - 1.96 * se), np.exp(b + 1.96 * se), method=method, n=len(np.unique(codes)))


def percentile_churn(pct: Sequence[float], churned: Sequence[int], groups: Sequence[Any], per: int = 10) -> PercentileChurn:
    """Churn by peer-percentile band (Wilson intervals per decision) and the odds ratio per ``per`` points.

    Raises
    ------
    AnalysisError
        With fewer than 20 decisions that have a percentile.
    """
    frame = pd.DataFrame({"pct": np.asarray(pct, dtype="float64"), "y": np.asarray(churned, dtype="int64"),
                          "g": np.asarray(groups)}).dropna(subset=["pct"])
    if len(frame) < 20:
        raise AnalysisError("fewer than 20 renewal decisions have a peer percentile")
    labels = [f"{lo}-{hi}" for lo, hi in zip(BANDS[:-1], BANDS[1:])]
    frame["band"] = pd.cut(frame["pct"], BANDS, labels=labels, include_lowest=True)
    rows = []
    for band, part in frame.groupby("band", observed=False):
        iv = wilson_interval(int(part["y"].sum()), len(part)) if len(part) else Interval.unavailable("no decisions")
        rows.append({"band": str(band), "n_decisions": len(part), "n_accounts": int(part["g"].nunique()),
                     "churned": int(part["y"].sum()), "churn_rate": iv.estimate, "ci_low": iv.ci_low,
                     "ci_high": iv.ci_high})
    odds = _odds_ratio(frame["pct"].to_numpy(), frame["y"].to_numpy(), frame["g"].to_numpy(), per)
    method = ("churn rate per renewal decision by peer-percentile band (Wilson 95% intervals, decisions counted "
              f"independently); {odds.method}")
    return PercentileChurn(summary=pd.DataFrame(rows).set_index("band"), method=method, odds_ratio=odds, per=per)
