"""Check a loaded dataset against every rule of the data contract.

:func:`validate_dataset` collects every broken rule at once into a
:class:`~csresearch.violations.ValidationReport` (``csresearch validate``
prints it: :mod:`csresearch.cli.validate`). Column rules (nulls, unique keys, ranges, allowed
values, first-of-month) run as pandera schemas from :mod:`csresearch.schemas`;
rules across rows and tables are vectorised pandas below. The loader already
reports files, columns and values that do not parse; those problems are part
of the report. Input files are never written.

Rules (the ``rule`` of a :class:`~csresearch.violations.Violation`), see
:data:`RULES` and docs/data-contract-rules.md:

=====================  ==========================================================
rule                   broken when
=====================  ==========================================================
file_missing           dataset.yml does not exist
parse                  dataset.yml is not a YAML mapping
not_null               a required value (or dataset.yml extracted_at) is empty
type                   a value does not parse as its column's type
one_file_per_table     a table exists both as .csv and .parquet
readable               a table file cannot be read at all
encoding               a CSV file does not decode (UTF-8, Shift_JIS, or as dataset.yml says)
table_missing          a required table has no file
column_missing         a contract column is absent from its table
not_empty              accounts or contracts has no rows
unique                 a key (account_id; account_id + month) repeats
range                  a number is outside its allowed range
allowed_values         outcome, status or kind has a value the contract does not know
first_of_month         a monthly ``month`` is not the first day of a month
null_unless_nps        engagement.value is given on a row whose kind is not nps
references_accounts    an account_id does not exist in accounts
term_order             term_end is not after term_start
no_overlap             two terms of one account overlap
churned_only_last      a churned term is not the account's last term
open_only_last         an open term is not the account's last term
first_term_at_signup   an account's first term_start differs from signup_date
has_contract           an account has no contract term
date_order             onboarding target_date is before start_date
after_extracted_at     a row is dated after dataset.yml extracted_at
=====================  ==========================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import contract, schemas
from .schemas import pa  # pandera.pandas, imported without pyspark's side effects
from .violations import ValidationReport, Violation, examples_from

if TYPE_CHECKING:  # pragma: no cover - the dataset calls the validator, not the other way round
    from .dataset import Dataset

__all__ = ["RULES", "validate_dataset"]

#: rule -> (what breaks it, how to fix it); the source of docs/data-contract-rules.md.
RULES: dict[str, tuple[str, str]] = {
    "file_missing": ("dataset.yml does not exist in the folder", "create dataset.yml with 'name:' and 'extracted_at: YYYY-MM-DD'"),
    "parse": ("dataset.yml is not valid YAML, not a mapping, uses aliases (*name) or is over 64 KB",
              "fix its syntax: one 'key: value' per line, no anchors or aliases"),
    "not_null": ("a value the contract requires is empty (also dataset.yml extracted_at)", "fill in the value or drop the rows shown"),
    "type": ("a value does not parse as its column type (date, timestamp, integer, number; inf and NaN are not numbers, "
             "a Parquet list is not a value); also dataset.yml extracted_at, and name or description that is not text",
             "write ISO-8601 dates (2024-03-01), plain finite numbers with '.' as decimal point; fix or blank the rows shown"),
    "one_file_per_table": ("a table exists both as .csv and .parquet", "keep only one file per table"),
    "readable": ("a table file (or dataset.yml) cannot be read at all: unreadable, a folder, a broken symbolic link",
                 "save it again as UTF-8 CSV with a header row, or as Parquet; check permissions and links"),
    "duplicate_column": ("a CSV header names a column twice", "keep one column of each name"),
    "encoding": ("a CSV file is not in the text encoding dataset.yml names for it, or (none named) neither UTF-8 nor "
                 "Shift_JIS/CP932; an events CSV that is not UTF-8 (DuckDB reads it)",
                 "name the encoding in dataset.yml (encoding: {accounts: cp932}) or save the file again as CSV UTF-8 "
                 "(events: CSV UTF-8 or Parquet)"),
    "table_missing": ("a required table (accounts, contracts, onboarding, usage_monthly unless events is given) has no file",
                      "add <table>.csv or <table>.parquet to the dataset folder"),
    "column_missing": ("a contract column is absent", "add the column; names are case-sensitive"),
    "not_empty": ("accounts or contracts has no rows", "export the rows; a dataset needs accounts and their contract terms"),
    "unique": ("a key repeats: accounts.account_id, onboarding.account_id, (account_id, month) in usage_monthly and health_monthly",
               "remove or merge the duplicate rows shown"),
    "range": ("a number is outside its range: seats >= 1; quota, arr, employees, usage counts, quota_used, events.quantity >= 0; "
              "health_score 0-100; nps value 0-10; a date outside 1678-2262 (e.g. a 9999-12-31 placeholder)",
              "correct the rows shown; leave unknown dates empty"),
    "allowed_values": ("contracts.outcome, onboarding.status or engagement.kind has an unknown value",
                       "map values onto the contract's list (lower case, exact spelling)"),
    "first_of_month": ("usage_monthly.month or health_monthly.month is not the first day of a month",
                       "use the first day of the calendar month, e.g. 2024-03-01 for March 2024"),
    "null_unless_nps": ("engagement.value is given on a row whose kind is not nps", "blank value on rows that are not nps answers"),
    "references_accounts": ("an account_id of another table does not exist in accounts",
                            "add the missing accounts or drop the rows shown (ids compare as text: '007' differs from '7')"),
    "term_order": ("contracts.term_end is not after term_start", "swap or correct the dates of the terms shown"),
    "no_overlap": ("two terms of one account overlap", "terms may touch or leave gaps but not overlap; correct the dates"),
    "churned_only_last": ("a churned term is followed by another term of the account",
                          "only an account's last term can be churned; fix the outcome or the later term"),
    "open_only_last": ("an open term is followed by another term of the account",
                       "only an account's last term can be open; the earlier term was renewed or churned"),
    "first_term_at_signup": ("an account's first term_start differs from accounts.signup_date",
                             "set signup_date to the first term_start, or add the missing first term"),
    "has_contract": ("an account has no row in contracts", "add its contract terms or drop the account"),
    "date_order": ("onboarding.target_date is before start_date", "correct the dates; the target is planned go-live after the start"),
    "after_extracted_at": ("a row is dated after dataset.yml extracted_at (planned dates excepted: onboarding.target_date and "
                           "term_end of open terms); a monthly row counts by its first day",
                           "drop rows after extracted_at, or set extracted_at to the day the data was pulled"),
}

_ORDER = {name: i for i, name in enumerate(["dataset.yml", *contract.TABLES])}


def _violation(table: str, column: str | None, rule: str, frame: pd.DataFrame, mask: Any, hint: str,
               columns: list[str]) -> Violation:
    mask = pd.Series(np.asarray(mask, dtype=bool), index=frame.index)
    shown = [c for c in dict.fromkeys(columns) if c in frame.columns]
    return Violation(table, column, rule, int(mask.sum()), hint, examples_from(frame, mask, shown))


def _key_columns(table: str, column: str | None) -> list[str]:
    keys = ["account_id", *schemas.UNIQUE_KEYS.get(table, ())]
    return keys + ([] if column is None else [c.strip() for c in column.split(",")])


# ---------------------------------------------------------------------------
# per-table column rules (pandera)


def _column_rules(table: str, frame: pd.DataFrame, parse_failures: dict[str, np.ndarray]) -> list[Violation]:
    """Run the pandera schema of ``table`` and turn its failure cases into violations."""
    try:
        schemas.table_schema(table).validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()]
    key = list(schemas.UNIQUE_KEYS.get(table, ()))
    out: list[Violation] = []
    for (column, check, number), group in cases.groupby(["column", "check", "check_number"], dropna=False, sort=False):
        mask = np.zeros(len(frame), dtype=bool)
        mask[group["index"].astype("int64").to_numpy()] = True
        if check == "not_nullable":
            mask[parse_failures.get(column, [])] = False  # reported once, as `type`
            rule, where, hint = "not_null", column, f"{table}.{column} must not be empty; fill in the value or drop the rows shown"
        elif "uniqueness" in str(check):
            if column != key[0]:
                continue  # pandera repeats the key's rows once per key column
            mask &= frame[key].notna().all(axis=1).to_numpy()
            where = ", ".join(key)
            rule = "unique"
            hint = f"each ({where}) may appear only once in {table}; remove or merge the duplicate rows shown"
        else:
            spec = schemas.column_checks(table, column)[int(number)]
            rule, where, hint = spec.rule, column, spec.hint
        if mask.any():
            out.append(_violation(table, where, rule, frame, mask, hint, _key_columns(table, where)))
    return out


# ---------------------------------------------------------------------------
# rules across rows and tables


def _presence_rules(ds: Dataset) -> list[Violation]:
    """Required tables present, accounts and contracts not empty."""
    reported = {p.table for p in ds.load_problems if p.rule in ("readable", "one_file_per_table")}
    out = []
    for name in ("accounts", "contracts", "onboarding", "usage_monthly"):
        if name in ds.tables or name in reported:
            continue
        if name == "usage_monthly" and (ds.has("events") or "events" in reported or "events" in ds.files):
            continue
        extra = " (or events, to build it from)" if name == "usage_monthly" else ""
        out.append(Violation(name, None, "table_missing", 0,
                             f"add {name}.csv or {name}.parquet{extra} to the dataset folder; it is a required table"))
    for name in ("accounts", "contracts"):
        if name in ds.tables and len(ds.tables[name]) == 0:
            out.append(Violation(name, None, "not_empty", 0, f"{name} has no rows; export its rows into the file"))
    return out


def _reference_rules(ds: Dataset) -> list[Violation]:
    """Every account_id of another table exists in accounts."""
    accounts = ds.accounts
    if accounts is None or "account_id" not in accounts.columns or len(accounts) == 0:
        return []  # reported as table_missing / column_missing / not_empty
    known = accounts["account_id"].dropna().unique()
    out = []
    for name, frame in ds.tables.items():
        if name == "accounts" or name in ds.derived_tables or "account_id" not in frame.columns:
            continue
        mask = frame["account_id"].notna() & ~frame["account_id"].isin(known)
        if mask.any():
            hint = (f"{name}.account_id must exist in accounts.account_id; add the accounts or drop the rows shown "
                    "(ids compare as text: '007' differs from '7')")
            out.append(_violation(name, "account_id", "references_accounts", frame, mask, hint, list(frame.columns[:4])))
    return out


def _term_rules(ds: Dataset) -> list[Violation]:
    """Contract-term rules: order, overlap, churned/open only last, first term at signup, every account has one."""
    terms, accounts = ds.contracts, ds.accounts
    needed = {"account_id", "term_start", "term_end", "outcome"}
    if terms is None or not needed <= set(terms.columns):
        return []
    cols = ["account_id", "term_start", "term_end", "outcome"]
    out = []
    bad_order = terms["term_end"] <= terms["term_start"]
    if bad_order.any():
        out.append(_violation("contracts", "term_end", "term_order", terms, bad_order,
                              "term_end must be after term_start; correct the dates of the terms shown", cols))
    ok = terms[terms["account_id"].notna() & terms["term_start"].notna()]
    srt = ok.sort_values(["account_id", "term_start", "term_end"], kind="stable")
    grp = srt.groupby("account_id", sort=False, observed=True)
    prev_end = grp["term_end"].cummax().groupby(srt["account_id"], sort=False).shift(1)
    overlap_later = (srt["term_start"] < prev_end).to_numpy()
    overlap_earlier = np.r_[overlap_later[1:], False] & (srt["account_id"].to_numpy() == np.r_[srt["account_id"].to_numpy()[1:], None])
    overlap = pd.Series(overlap_later | overlap_earlier, index=srt.index).reindex(terms.index, fill_value=False)
    if overlap.any():
        out.append(_violation("contracts", "term_start", "no_overlap", terms, overlap,
                              "an account's terms may touch or leave gaps but never overlap; correct the dates of the terms shown",
                              cols))
    is_last = pd.Series(grp.cumcount(ascending=False).to_numpy() == 0, index=srt.index).reindex(terms.index, fill_value=True)
    outcome = terms["outcome"].astype("str")
    for value, rule in (("churned", "churned_only_last"), ("open", "open_only_last")):
        mask = (outcome == value) & ~is_last
        if mask.any():
            out.append(_violation("contracts", "outcome", rule, terms, mask,
                                  f"only an account's last term can be {value}; fix the outcome or the later term", cols))
    if accounts is None or "account_id" not in accounts.columns or len(terms) == 0:
        return out  # reported as table_missing / column_missing / not_empty
    no_contract = accounts["account_id"].notna() & ~accounts["account_id"].isin(terms["account_id"].dropna().unique())
    if no_contract.any():
        out.append(_violation("accounts", "account_id", "has_contract", accounts, no_contract,
                              "every account needs at least one row in contracts; add its terms or drop the account",
                              ["account_id", "segment", "signup_date"]))
    if "signup_date" not in accounts.columns:
        return out
    first = grp.head(1)
    by_account = accounts.dropna(subset=["account_id"]).drop_duplicates("account_id").set_index("account_id")["signup_date"]
    signup = pd.Series(by_account.reindex(first["account_id"]).to_numpy(), index=first.index)
    shown = terms.assign(signup_date=signup.reindex(terms.index))
    mask = (signup.notna() & (first["term_start"] != signup)).reindex(terms.index, fill_value=False)
    if mask.any():
        out.append(_violation("contracts", "term_start", "first_term_at_signup", shown, mask,
                              "an account's first term_start must equal accounts.signup_date; fix one of the two dates",
                              ["account_id", "term_start", "signup_date"]))
    return out


def _row_rules(ds: Dataset) -> list[Violation]:
    """Rules between columns of one row: onboarding dates, nps values."""
    out = []
    onb = ds.onboarding
    if onb is not None and {"start_date", "target_date"} <= set(onb.columns):
        mask = onb["target_date"] < onb["start_date"]
        if mask.any():
            out.append(_violation("onboarding", "target_date", "date_order", onb, mask,
                                  "target_date (planned go-live) must be on or after start_date; correct the dates",
                                  ["account_id", "start_date", "target_date"]))
    eng = ds.engagement
    if eng is not None and {"kind", "value"} <= set(eng.columns):
        nps = eng["kind"].astype("str") == "nps"
        out_of_range = nps & ((eng["value"] < 0) | (eng["value"] > 10))
        if out_of_range.any():
            out.append(_violation("engagement", "value", "range", eng, out_of_range,
                                  "an nps value is the 0-10 answer; correct the rows shown", ["account_id", "date", "kind", "value"]))
        stray = eng["kind"].notna() & ~nps & eng["value"].notna()
        if stray.any():
            out.append(_violation("engagement", "value", "null_unless_nps", eng, stray,
                                  "value holds the nps answer only; blank it on rows whose kind is not nps",
                                  ["account_id", "date", "kind", "value"]))
    return out


def _cutoff_rules(ds: Dataset) -> list[Violation]:
    """Nothing dated after extracted_at (planned dates excepted)."""
    if ds.extracted_at is None or pd.isna(ds.extracted_at):
        return []
    cutoff = ds.extracted_at.normalize()
    out = []
    for name, frame in ds.tables.items():
        if name in ds.derived_tables:
            continue
        for col in contract.TABLES[name].columns:
            if col.kind not in ("date", "timestamp") or col.name not in frame.columns or (name, col.name) == ("onboarding", "target_date"):
                continue
            values = frame[col.name]
            if col.kind == "timestamp":
                mask = values >= (cutoff + pd.Timedelta(days=1)).tz_localize("UTC")
            else:
                mask = values > cutoff
            hint = f"{name}.{col.name} is after extracted_at {cutoff.date()}; drop those rows or correct extracted_at in dataset.yml"
            if (name, col.name) == ("contracts", "term_end"):
                decided = frame["outcome"].isin(["renewed", "churned"]) if "outcome" in frame.columns else False
                mask = mask & decided
                hint = (f"a renewed or churned term must end on or before extracted_at {cutoff.date()} (its decision is known); "
                        "mark undecided terms open")
            if mask.any():
                out.append(_violation(name, col.name, "after_extracted_at", frame, mask, hint, _key_columns(name, col.name)))
    return out


def _events_rules(ds: Dataset) -> list[Violation]:
    """The events table's rules, checked in DuckDB over its files (never loaded into pandas)."""
    if ds.events_source is None or any(p.table == "events" and p.rule == "readable" for p in ds.load_problems):
        return []
    import duckdb

    accounts = ds.accounts
    ids = None
    if accounts is not None and "account_id" in accounts.columns and len(accounts):
        ids = accounts["account_id"].dropna().astype(str).unique()
    try:
        return ds.events_source.check(ids, ds.extracted_at)
    except duckdb.Error as exc:
        return [Violation("events", None, "readable", 0, f"the events could not be read ({str(exc).splitlines()[0]}); "
                          "save them again as UTF-8 CSV with a header row, or as Parquet")]


# ---------------------------------------------------------------------------
# public API


def validate_dataset(ds: Dataset) -> ValidationReport:
    """Check every rule of the data contract and return all violations at once.

    Parameters
    ----------
    ds : Dataset
        A loaded dataset (:func:`~csresearch.load_dataset` or
        :meth:`Dataset.from_tables`); it is not modified.

    Returns
    -------
    ValidationReport
        Violations grouped in contract table order (dataset.yml first); the
        report's ``tables`` maps every contract table to its row count, None
        when absent. Derived tables (usage_monthly built from events) are not
        checked themselves: their source is.
    """
    violations = list(ds.load_problems)
    violations += _presence_rules(ds)
    for name, frame in ds.tables.items():
        if name not in ds.derived_tables:
            violations += _column_rules(name, frame, ds.parse_failures.get(name, {}))
    violations += _reference_rules(ds)
    violations += _term_rules(ds)
    violations += _row_rules(ds)
    violations += _cutoff_rules(ds)
    violations += _events_rules(ds)
    violations.sort(key=lambda v: _ORDER.get(v.table, len(_ORDER)))
    label = str(ds.path) if ds.path is not None else ds.name
    counts = ds.row_counts() if not any(v.table == "events" and v.rule == "readable" for v in violations) else \
        {name: len(frame) for name, frame in ds.tables.items()}
    sizes = {name: counts.get(name) for name in contract.TABLES}
    return ValidationReport(dataset=label, violations=violations, tables=sizes,
                            encodings=dict(getattr(ds, "encodings", {})))
