"""The data contract as data: tables, columns, kinds and nullability.

This module is the single source of truth for docs/data-contract.md
inside the code. The loader uses it to type every column, the validator to
check the rules, the generator to write the tables in the right order.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Kinds of column and the pandas dtype the loader gives them.
DTYPES = {
    "string": "str",
    "category": "category",
    "date": "datetime64[ns]",
    "timestamp": "datetime64[ns, UTC]",
    "integer": "int64",
    "nullable_integer": "Int64",
    "float": "float64",
}

FILE_FORMATS = (".parquet", ".csv")


@dataclass(frozen=True)
class Column:
    """One contract column.

    Parameters
    ----------
    name : str
        Column name.
    kind : str
        One of the keys of :data:`DTYPES`.
    nullable : bool
        Whether nulls are allowed.
    optional : bool
        Whether a dataset may leave the column out altogether (an analysis
        that needs it then says it is skipped and why).
    """

    name: str
    kind: str
    nullable: bool = False
    optional: bool = False

    @property
    def dtype(self) -> str:
        """The pandas dtype the loader gives the column."""
        if self.kind == "integer" and self.nullable:
            return DTYPES["nullable_integer"]
        return DTYPES[self.kind]


@dataclass(frozen=True)
class Table:
    """One contract table.

    Parameters
    ----------
    name : str
        Table (and file) name.
    columns : tuple of Column
        Contract columns, in contract order.
    required : bool
        Whether a dataset must have the table.
    extra_columns_prefix : str, optional
        Prefix of additional columns that are part of the contract
        (``component_`` in health_monthly); they are typed as floats.
    date_column : str, optional
        The column that dates each row: the row exists from that day on, so a
        dataset cut at ``as_of`` (:meth:`csresearch.dataset.Dataset.as_of`)
        keeps only rows dated on or before it (a timestamp counts by its UTC
        day). None for onboarding, whose rows are cut column by column.
    """

    name: str
    columns: tuple[Column, ...]
    required: bool
    extra_columns_prefix: str | None = None
    date_column: str | None = None

    @property
    def column_names(self) -> list[str]:
        """Contract column names in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


OUTCOMES = ("renewed", "churned", "open")
ONBOARDING_STATUSES = ("succeeded", "failed", "extended", "in_progress")
ENGAGEMENT_KINDS = (
    "email_sent",
    "email_opened",
    "webinar",
    "user_group",
    "exec_meeting",
    "qbr",
    "support_ticket",
    "nps",
)

ACCOUNTS = Table(
    "accounts",
    (
        Column("account_id", "string"),
        Column("segment", "category"),
        Column("signup_date", "date"),
        Column("touch_model", "category", nullable=True),
        Column("industry", "category", nullable=True),
        Column("employees", "integer", nullable=True),
        Column("purpose", "category", nullable=True, optional=True),
    ),
    required=True,
    date_column="signup_date",
)

CONTRACTS = Table(
    "contracts",
    (
        Column("account_id", "string"),
        Column("term_start", "date"),
        Column("term_end", "date"),
        Column("seats", "integer"),
        Column("quota", "float", nullable=True),
        Column("arr", "float"),
        Column("outcome", "category"),
    ),
    required=True,
    date_column="term_start",
)

ONBOARDING = Table(
    "onboarding",
    (
        Column("account_id", "string"),
        Column("start_date", "date"),
        Column("target_date", "date"),
        Column("completed_date", "date", nullable=True),
        Column("status", "category", nullable=True),
        Column("setup_done_date", "date", nullable=True),
        Column("admin_trained_date", "date", nullable=True),
        Column("first_value_date", "date", nullable=True),
    ),
    required=True,
)

USAGE_MONTHLY = Table(
    "usage_monthly",
    (
        Column("account_id", "string"),
        Column("month", "date"),
        Column("active_users", "integer"),
        Column("events", "integer"),
        Column("features_used", "integer"),
        Column("quota_used", "float"),
    ),
    required=True,  # unless events is given: see Dataset loading
    date_column="month",
)

EVENTS = Table(
    "events",
    (
        Column("account_id", "string"),
        Column("user_id", "string"),
        Column("timestamp", "timestamp"),
        Column("event_type", "category"),
        Column("quantity", "float", nullable=True),
    ),
    required=False,
    date_column="timestamp",
)

ENGAGEMENT = Table(
    "engagement",
    (
        Column("account_id", "string"),
        Column("date", "date"),
        Column("kind", "category"),
        Column("value", "float", nullable=True),
    ),
    required=False,
    date_column="date",
)

HEALTH_MONTHLY = Table(
    "health_monthly",
    (
        Column("account_id", "string"),
        Column("month", "date"),
        Column("health_score", "float"),
    ),
    required=False,
    extra_columns_prefix="component_",
    date_column="month",
)

ROI = Table(
    "roi",
    (
        Column("account_id", "string"),
        Column("date", "date"),
        Column("metric", "string"),
        Column("value", "float"),
    ),
    required=False,
    date_column="date",
)

#: Every contract table by name, in the order they are loaded and reported.
TABLES: dict[str, Table] = {
    t.name: t
    for t in (ACCOUNTS, CONTRACTS, ONBOARDING, USAGE_MONTHLY, EVENTS, ENGAGEMENT, HEALTH_MONTHLY, ROI)
}

#: Canonical feature names (data contract, "Canonical features"), in contract order.
CANONICAL_FEATURES = (
    "tenure_years",
    "renewal_number",
    "onboarding_succeeded",
    "onboarding_days",
    "seat_utilisation_3m",
    "setup_done",
    "events_per_active_user_3m",
    "features_used_3m",
    "quota_consumption",
    "exec_meetings_12m",
    "email_open_rate_6m",
    "community_events_12m",
    "support_tickets_6m",
    "nps_last",
    "roi_reported",
    "seat_utilisation_delta_3m",
    "quota_consumption_delta_3m",
    "seat_deployment_term",
)

#: DEAR axis of each canonical feature that has one.
DEAR_AXIS = {
    "seat_utilisation_3m": "deployment",
    "setup_done": "deployment",
    "seat_deployment_term": "deployment",
    "seat_utilisation_delta_3m": "deployment",
    "events_per_active_user_3m": "adoption",
    "features_used_3m": "adoption",
    "quota_consumption": "adoption",
    "quota_consumption_delta_3m": "adoption",
    "exec_meetings_12m": "engagement",
    "email_open_rate_6m": "engagement",
    "community_events_12m": "engagement",
    "support_tickets_6m": "engagement",
    "nps_last": "engagement",
    "roi_reported": "roi",
}

HEALTH_COLUMNS = ("health_deployment", "health_engagement", "health_adoption", "health_roi", "health_score")
