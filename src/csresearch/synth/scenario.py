"""The planted effects of a synthetic dataset, as one overridable dataclass.

Every number the generator plants lives in :class:`Scenario`; the default values
reproduce the reference study ("onboarding urban legends"). A YAML file or a
dict overrides single fields (dict-valued fields are merged key by key), so a
second dataset with other effect sizes is one small file away. The generating
model is documented in docs/synthetic-data.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, ParameterError

__all__ = ["Scenario", "resolve_scenario"]

SEGMENTS = ("smb", "mid", "enterprise")


@dataclass(frozen=True)
class Scenario:
    """Planted parameters of the synthetic-data generator.

    Latent health ``H`` (unit: one standard deviation of the persistent
    account effect) drives usage; see docs/synthetic-data.md for the model.

    Attributes
    ----------
    first_signup, last_signup, extracted_at : str
        Signup window and the global cutoff (ISO dates).
    signup_growth : float
        Signups per day at the end of the window relative to the start.
    segment_shares : dict
        Share of accounts per segment.
    seat_range : dict
        (low, high) initial seats per segment, drawn log-uniformly.
    price_per_seat : dict
        Yearly price per seat per segment (arr = seats x price).
    touch_model_shares : dict
        Segment -> {touch model: share}.
    no_quota_share : float
        Share of accounts on a plan without quota (quota null).
    quota_per_seat : float
        Yearly allowance per seat (business cards).
    quota_consumption_year1 : float
        Typical quota consumption (quota_used / pro-rata quota) in year 1.
    onboarding_failure_rate : dict
        Share of accounts per segment whose onboarding fails.
    onboarding_extended_share : float
        Share of failed onboardings given status ``extended``.
    onboarding_status_null_share : float
        Share of onboarding rows whose status is left null.
    onboarding_target_days, onboarding_grace_days : int
        target_date = start + target days; failed completions come later than
        target + grace days (succeeded ones by the target).
    onboarding_deficit : float
        Latent-health deficit of failed onboarding at signup (H units).
    onboarding_deficit_decay_months : float
        e-folding time of that deficit (it recovers partly).
    term_shock_sd, monthly_noise_sd : float
        Per-term latent shock and per-month noise (logit scale).
    health_slope_per_year : float
        Rise of latent health per tenure year.
    utilisation_logit_intercept : dict
        Logit of seat utilisation at H = 0 per segment.
    utilisation_per_health : float
        Logit utilisation per unit of H.
    quota_per_health : float
        Log quota consumption per unit of H.
    quota_account_sd, quota_term_sd : float
        Account- and term-level spread of log quota consumption.
    quota_decline_per_year : float
        Fall of log quota consumption per tenure year (scanning backlog used up).
    unhealthy_cut : float
        Latent health below which an account is unhealthy (truth definition).
    unhealthy_months_after_target : int
        Months after the onboarding target at which health is compared.
    unhealthy_utilisation_cut : float
        Seat utilisation cut used for the observable unhealthy share in truth.
    churn_intercept : float
        Logit of driver-caused churn at a renewal decision for an average account.
    churn_coef : dict
        Logit coefficients per standard deviation of the leading drivers:
        quota_consumption, health, satisfaction, exec_engagement,
        support_load, smb (indicator).
    unobserved_churn : dict
        Cause -> probability per renewal decision of churn for a cause the
        data cannot see (independent of every driver).
    decline_share : float
        Share of driver-caused churners whose usage declines before the decision.
    dip_rate : float
        Share of all other terms whose usage dips the same way (false alarms).
    decline_months : tuple
        (min, max) months before term_end at which a decline starts.
    decline_health, decline_quota, decline_events, decline_features : float
        Fall by term_end of logit utilisation, log quota consumption, log
        events per active user and logit of the feature-use probability.
    seat_growth_mean, seat_growth_sd : float
        Log seat growth at renewal (non-negative).
    email_rate, support_rate, webinar_rate, user_group_rate, nps_rate : float
        Monthly touchpoint rates per account.
    exec_rate, qbr_rate : dict
        Monthly exec-meeting / QBR rate per touch model.
    roi_share : float
        Share of accounts that ever report ROI.
    purpose_shares, purpose_health : dict
        The customer's stated reason for buying (``accounts.purpose``): its
        share at average latent health, and its log-odds per unit of the
        account's persistent health (buyers for sales enablement are healthier,
        for marketing lists less healthy); purpose has no effect of its own.
    purpose_null_share : float
        Share of accounts whose purpose is unknown (null).
    """

    first_signup: str = "2020-07-01"
    last_signup: str = "2025-05-31"
    extracted_at: str = "2025-06-30"
    signup_growth: float = 2.0
    segment_shares: dict = field(default_factory=lambda: {"smb": 0.55, "mid": 0.30, "enterprise": 0.15})
    seat_range: dict = field(default_factory=lambda: {"smb": [5, 20], "mid": [20, 100], "enterprise": [100, 1000]})
    price_per_seat: dict = field(default_factory=lambda: {"smb": 600.0, "mid": 500.0, "enterprise": 400.0})
    touch_model_shares: dict = field(
        default_factory=lambda: {
            "smb": {"tech": 0.85, "low": 0.15},
            "mid": {"low": 0.5, "high": 0.5},
            "enterprise": {"high": 1.0},
        }
    )
    no_quota_share: float = 0.2
    quota_per_seat: float = 240.0
    quota_consumption_year1: float = 0.85
    onboarding_failure_rate: dict = field(default_factory=lambda: {"smb": 0.30, "mid": 0.20, "enterprise": 0.12})
    onboarding_extended_share: float = 0.1
    onboarding_status_null_share: float = 0.15
    onboarding_target_days: int = 90
    onboarding_grace_days: int = 30
    onboarding_deficit: float = 1.0
    onboarding_deficit_decay_months: float = 22.0
    term_shock_sd: float = 0.5
    monthly_noise_sd: float = 0.15
    health_slope_per_year: float = 0.15
    utilisation_logit_intercept: dict = field(default_factory=lambda: {"smb": 0.9, "mid": 0.6, "enterprise": 0.3})
    utilisation_per_health: float = 0.8
    quota_per_health: float = 0.15
    quota_account_sd: float = 0.45
    quota_term_sd: float = 0.2
    quota_decline_per_year: float = 0.08
    unhealthy_cut: float = -0.97
    unhealthy_months_after_target: int = 12
    unhealthy_utilisation_cut: float = 0.5
    churn_intercept: float = -4.8
    churn_coef: dict = field(
        default_factory=lambda: {
            "quota_consumption": -1.2,
            "health": -0.45,
            "satisfaction": -0.2,
            "exec_engagement": -0.15,
            "support_load": 0.15,
            "smb": 0.2,
        }
    )
    unobserved_churn: dict = field(
        default_factory=lambda: {"champion_leaves": 0.004, "budget_cut": 0.0025, "acquired": 0.0015}
    )
    decline_share: float = 0.6
    dip_rate: float = 0.05
    decline_months: list = field(default_factory=lambda: [3, 5])
    decline_health: float = 1.6
    decline_quota: float = 0.8
    decline_events: float = 0.5
    decline_features: float = 1.0
    seat_growth_mean: float = 0.06
    seat_growth_sd: float = 0.08
    email_rate: float = 0.7
    support_rate: float = 0.2
    webinar_rate: float = 0.05
    user_group_rate: float = 0.02
    nps_rate: float = 0.06
    exec_rate: dict = field(default_factory=lambda: {"tech": 0.0, "low": 0.04, "high": 0.12})
    qbr_rate: dict = field(default_factory=lambda: {"tech": 0.0, "low": 0.08, "high": 0.25})
    roi_share: float = 0.3
    purpose_shares: dict = field(
        default_factory=lambda: {"sales_enablement": 0.4, "paperless": 0.35, "marketing_lists": 0.25}
    )
    purpose_health: dict = field(
        default_factory=lambda: {"sales_enablement": 0.5, "paperless": 0.0, "marketing_lists": -0.5}
    )
    purpose_null_share: float = 0.1

    def to_dict(self) -> dict[str, Any]:
        """Return every field as plain JSON-friendly data."""
        return dataclasses.asdict(self)

    def replace(self, overrides: dict[str, Any]) -> "Scenario":
        """Return a copy with ``overrides`` applied; dict fields are merged key by key.

        Raises
        ------
        ParameterError
            For an unknown field name.
        """
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ParameterError(
                f"unknown scenario field(s) {', '.join(unknown)}; valid fields: {', '.join(sorted(known))}"
            )
        values = {}
        for key, value in overrides.items():
            current = getattr(self, key)
            if isinstance(current, dict) and isinstance(value, dict):
                value = {**current, **value}
            values[key] = value
        out = dataclasses.replace(self, **values)
        out.check()
        return out

    def check(self) -> None:
        """Raise ParameterError when a value is out of its range."""
        shares = self.segment_shares
        if set(shares) != set(SEGMENTS) or abs(sum(shares.values()) - 1) > 1e-6:
            raise ParameterError(f"segment_shares must give smb, mid and enterprise shares summing to 1, got {shares}")
        for seg in SEGMENTS:
            rate = self.onboarding_failure_rate.get(seg)
            if rate is None or not 0 <= rate <= 1:
                raise ParameterError(f"onboarding_failure_rate[{seg}] must be in [0, 1], got {rate}")
            low, high = self.seat_range[seg]
            if not 1 <= low <= high:
                raise ParameterError(f"seat_range[{seg}] must be [low, high] with 1 <= low <= high, got {[low, high]}")
        for name in ("no_quota_share", "onboarding_extended_share", "onboarding_status_null_share", "roi_share",
                     "decline_share", "dip_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ParameterError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        for cause, p in self.unobserved_churn.items():
            if not isinstance(p, (int, float)) or not 0 <= p < 1:
                raise ParameterError(f"unobserved_churn[{cause}] must be a probability in [0, 1), got {p}")
        lo, hi = self.decline_months
        if not 1 <= lo <= hi <= 11:
            raise ParameterError(f"decline_months must be [min, max] within 1..11, got {self.decline_months}")


def resolve_scenario(scenario: "Scenario | dict | str | Path | None") -> Scenario:
    """Turn None, a dict of overrides, a YAML path or a Scenario into a Scenario.

    Parameters
    ----------
    scenario : Scenario, dict, str, Path or None
        None gives the default scenario; a dict or a YAML file (a mapping of
        field -> value) overrides default fields.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        When the YAML file cannot be read or is not a mapping.
    ParameterError
        For an unknown field or a value out of range.
    """
    if scenario is None:
        return Scenario()
    if isinstance(scenario, Scenario):
        scenario.check()
        return scenario
    if isinstance(scenario, (str, Path)):
        path = Path(scenario)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(f"scenario file {str(path)!r} could not be read as YAML ({exc}); fix it") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise InputError(f"scenario file {str(path)!r} must be a mapping of scenario field -> value")
        return Scenario().replace(loaded)
    if isinstance(scenario, dict):
        return Scenario().replace(scenario)
    raise ParameterError(f"scenario must be a Scenario, a dict or a YAML path, not {type(scenario).__name__}")
