"""A small valid contract dataset and a catalog of ways to break it.

:func:`valid_tables` gives every contract table as raw text frames (as a CSV
holds them) for three accounts; :func:`write_dataset` writes them with
dataset.yml into a folder. Each :class:`Corruption` breaks exactly one rule of
the data contract and names the (table, column, rule) the validator must
report. Written by hand so the tests do not depend on the synthetic generator.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import yaml

EXTRACTED_AT = "2025-06-30"


def _frame(columns: str, rows: list[str]) -> pd.DataFrame:
    return pd.DataFrame([r.split(",") for r in rows], columns=columns.split(","), dtype=object).replace("", None)


def valid_tables() -> dict[str, pd.DataFrame]:
    """Return a valid dataset of three accounts as raw text frames, one per contract table."""
    return {
        "accounts": _frame("account_id,segment,signup_date,touch_model,industry,employees", [
            "A1,smb,2023-01-01,low,retail,40",
            "A2,mid,2023-06-01,high,,250",
            "A3,enterprise,2024-09-01,tech,finance,",
        ]),
        "contracts": _frame("account_id,term_start,term_end,seats,quota,arr,outcome", [
            "A1,2023-01-01,2024-01-01,5,1000,6000,renewed",
            "A1,2024-01-01,2025-01-01,6,1000,7200,renewed",
            "A1,2025-01-01,2026-01-01,6,,7200,open",
            "A2,2023-06-01,2024-06-01,20,5000.5,24000,churned",
            "A3,2024-09-01,2025-09-01,100,0,90000,open",
        ]),
        "onboarding": _frame(
            "account_id,start_date,target_date,completed_date,status,setup_done_date,admin_trained_date,first_value_date", [
                "A1,2023-01-01,2023-04-01,2023-03-15,succeeded,2023-01-20,2023-02-01,2023-03-15",
                "A2,2023-06-01,2023-08-30,,failed,2023-07-01,,",
                "A3,2024-09-01,2025-08-30,,,2024-10-01,,",
            ]),
        "usage_monthly": _frame("account_id,month,active_users,events,features_used,quota_used", [
            "A1,2025-04-01,4,120,5,80",
            "A1,2025-05-01,5,150,6,90.5",
            "A1,2025-06-01,5,30,3,10",
            "A2,2024-04-01,3,20,2,0",
            "A3,2025-06-01,60,900,12,0",
        ]),
        "events": _frame("account_id,user_id,timestamp,event_type,quantity", [
            "A1,u1,2025-06-01T08:00:00Z,scan,1",
            "A1,u2,2025-06-30T23:59:59Z,search,0",
            "A3,u9,2025-06-02T10:15:00+09:00,scan,",
        ]),
        "engagement": _frame("account_id,date,kind,value", [
            "A1,2025-02-01,email_sent,",
            "A1,2025-02-02,email_opened,",
            "A1,2025-03-10,nps,9",
            "A2,2024-01-15,support_ticket,",
            "A3,2025-06-30,qbr,",
        ]),
        "health_monthly": _frame("account_id,month,health_score,component_adoption", [
            "A1,2025-05-01,72.5,60",
            "A1,2025-06-01,70,55",
            "A3,2025-06-01,100,0",
        ]),
        "roi": _frame("account_id,date,metric,value", [
            "A1,2024-06-01,hours_saved_per_month,12.5",
        ]),
    }


def write_dataset(folder: Path, tables: dict[str, pd.DataFrame], meta: dict | None = None, fmt: str = "csv") -> Path:
    """Write ``tables`` and dataset.yml into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"name": "tiny", "extracted_at": EXTRACTED_AT} if meta is None else meta
    (folder / "dataset.yml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def folder_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file in ``folder``, by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@dataclass(frozen=True)
class Corruption:
    """One way to break the contract and the violation it must produce.

    Parameters
    ----------
    name : str
        Test id.
    table, column, rule : str
        The violation the validator must report (column None for file-level rules).
    edit : callable
        ``edit(tables, meta)`` changes the raw frames / dataset.yml mapping in place before writing.
    after_write : callable, optional
        ``after_write(folder)`` changes the written files (for file-level corruptions).
    n_rows : int, optional
        Rows the violation must count, when checked.
    """

    name: str
    table: str
    column: str | None
    rule: str
    edit: Callable[[dict, dict], None] = lambda tables, meta: None
    after_write: Callable[[Path], None] | None = None
    n_rows: int | None = None

    def build(self, folder: Path) -> Path:
        """Write the valid dataset with this corruption applied into ``folder``.

        Only the required tables and the tables the corruption touches are written.
        """
        original = valid_tables()
        tables = copy.deepcopy(original)
        meta = {"name": "tiny", "extracted_at": EXTRACTED_AT}
        self.edit(tables, meta)
        # keep the required tables and those the corruption is about; fewer files keep the tests fast
        keep = {"accounts", "contracts", "onboarding", "usage_monthly", self.table}
        keep |= {name for name, frame in tables.items() if not frame.equals(original[name])}
        write_dataset(folder, {name: frame for name, frame in tables.items() if name in keep}, meta)
        if self.after_write is not None:
            self.after_write(folder)
        return folder


def _set(table: str, row: int, column: str, value) -> Callable[[dict, dict], None]:
    def edit(tables: dict, meta: dict) -> None:
        tables[table].loc[row, column] = value

    return edit


def _append(table: str, row: str) -> Callable[[dict, dict], None]:
    def edit(tables: dict, meta: dict) -> None:
        frame = tables[table]
        tables[table] = pd.concat([frame, _frame(",".join(frame.columns), [row])], ignore_index=True)

    return edit


def _drop_table(table: str) -> Callable[[dict, dict], None]:
    return lambda tables, meta: tables.pop(table)


def _drop_column(table: str, column: str) -> Callable[[dict, dict], None]:
    def edit(tables: dict, meta: dict) -> None:
        tables[table] = tables[table].drop(columns=column)

    return edit


def _both(*edits: Callable[[dict, dict], None]) -> Callable[[dict, dict], None]:
    def edit(tables: dict, meta: dict) -> None:
        for e in edits:
            e(tables, meta)

    return edit


def _write(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def _remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def _also_parquet(table: str) -> Callable[[Path], None]:
    return lambda folder: valid_tables()[table].to_parquet(folder / f"{table}.parquet", index=False)


CORRUPTIONS: list[Corruption] = [
    # dataset.yml
    Corruption("yml_missing", "dataset.yml", None, "file_missing", after_write=_remove("dataset.yml")),
    Corruption("yml_malformed", "dataset.yml", None, "parse", after_write=_write("dataset.yml", "name: [unclosed\n")),
    Corruption("yml_not_mapping", "dataset.yml", None, "parse", after_write=_write("dataset.yml", "- just\n- a list\n")),
    Corruption("extracted_at_missing", "dataset.yml", "extracted_at", "not_null", edit=lambda t, m: m.pop("extracted_at")),
    Corruption("extracted_at_garbage", "dataset.yml", "extracted_at", "type", edit=lambda t, m: m.update(extracted_at="last tuesday")),
    # files and tables
    Corruption("accounts_missing", "accounts", None, "table_missing", edit=_drop_table("accounts")),
    Corruption("contracts_missing", "contracts", None, "table_missing", edit=_drop_table("contracts")),
    Corruption("onboarding_missing", "onboarding", None, "table_missing", edit=_drop_table("onboarding")),
    Corruption("usage_and_events_missing", "usage_monthly", None, "table_missing",
               edit=_both(_drop_table("usage_monthly"), _drop_table("events"))),
    Corruption("csv_and_parquet", "roi", None, "one_file_per_table", after_write=_also_parquet("roi")),
    Corruption("unreadable_parquet", "engagement", None, "readable",
               edit=_drop_table("engagement"), after_write=_write("engagement.parquet", "this is not parquet")),
    Corruption("column_missing", "contracts", "seats", "column_missing", edit=_drop_column("contracts", "seats")),
    Corruption("component_not_number", "health_monthly", "component_adoption", "type",
               edit=_set("health_monthly", 1, "component_adoption", "high"), n_rows=1),
    Corruption("accounts_empty", "accounts", None, "not_empty",
               edit=lambda t, m: t.update(accounts=t["accounts"].iloc[0:0])),
    # types
    Corruption("date_unparsable", "accounts", "signup_date", "type", edit=_set("accounts", 1, "signup_date", "01/06/2023"), n_rows=1),
    Corruption("integer_fraction", "contracts", "seats", "type", edit=_set("contracts", 0, "seats", "2.5"), n_rows=1),
    Corruption("number_with_comma", "contracts", "arr", "type", edit=_set("contracts", 3, "arr", "24,000"), n_rows=1),
    Corruption("timestamp_unparsable", "events", "timestamp", "type", edit=_set("events", 0, "timestamp", "yesterday"), n_rows=1),
    # nulls
    Corruption("null_segment", "accounts", "segment", "not_null", edit=_set("accounts", 0, "segment", None), n_rows=1),
    Corruption("null_term_end", "contracts", "term_end", "not_null", edit=_set("contracts", 4, "term_end", None), n_rows=1),
    Corruption("null_user_id", "events", "user_id", "not_null", edit=_set("events", 2, "user_id", None), n_rows=1),
    Corruption("null_roi_value", "roi", "value", "not_null", edit=_set("roi", 0, "value", None), n_rows=1),
    # unique keys
    Corruption("duplicate_account", "accounts", "account_id", "unique", edit=_append("accounts", "A1,smb,2023-01-01,low,retail,40"),
               n_rows=2),
    Corruption("duplicate_onboarding", "onboarding", "account_id", "unique",
               edit=_append("onboarding", "A2,2023-06-01,2023-08-30,,failed,,,"), n_rows=2),
    Corruption("duplicate_usage_month", "usage_monthly", "account_id, month", "unique",
               edit=_append("usage_monthly", "A1,2025-05-01,1,1,1,1"), n_rows=2),
    Corruption("duplicate_health_month", "health_monthly", "account_id, month", "unique",
               edit=_append("health_monthly", "A3,2025-06-01,50,1"), n_rows=2),
    # references
    Corruption("unknown_account_contracts", "contracts", "account_id", "references_accounts",
               edit=_set("contracts", 4, "account_id", "A9")),
    Corruption("unknown_account_engagement", "engagement", "account_id", "references_accounts",
               edit=_set("engagement", 0, "account_id", "a1"), n_rows=1),
    Corruption("unknown_account_events", "events", "account_id", "references_accounts",
               edit=_set("events", 0, "account_id", "B1"), n_rows=1),
    Corruption("unknown_account_roi", "roi", "account_id", "references_accounts", edit=_set("roi", 0, "account_id", "X")),
    Corruption("unknown_account_health", "health_monthly", "account_id", "references_accounts",
               edit=_set("health_monthly", 2, "account_id", "A4")),
    # contract terms
    Corruption("term_end_before_start", "contracts", "term_end", "term_order", edit=_set("contracts", 3, "term_end", "2023-05-01"),
               n_rows=1),
    Corruption("terms_overlap", "contracts", "term_start", "no_overlap", edit=_set("contracts", 1, "term_start", "2023-12-01"),
               n_rows=2),
    Corruption("churned_not_last", "contracts", "outcome", "churned_only_last", edit=_set("contracts", 0, "outcome", "churned"),
               n_rows=1),
    Corruption("open_not_last", "contracts", "outcome", "open_only_last", edit=_set("contracts", 1, "outcome", "open"), n_rows=1),
    Corruption("first_term_not_signup", "contracts", "term_start", "first_term_at_signup",
               edit=_set("accounts", 1, "signup_date", "2023-05-01"), n_rows=1),
    Corruption("account_without_contract", "accounts", "account_id", "has_contract",
               edit=_append("accounts", "A4,smb,2025-01-01,low,,3"), n_rows=1),
    # values
    Corruption("zero_seats", "contracts", "seats", "range", edit=_set("contracts", 2, "seats", "0"), n_rows=1),
    Corruption("negative_quota", "contracts", "quota", "range", edit=_set("contracts", 0, "quota", "-1"), n_rows=1),
    Corruption("negative_arr", "contracts", "arr", "range", edit=_set("contracts", 0, "arr", "-5"), n_rows=1),
    Corruption("negative_employees", "accounts", "employees", "range", edit=_set("accounts", 0, "employees", "-3"), n_rows=1),
    Corruption("negative_active_users", "usage_monthly", "active_users", "range", edit=_set("usage_monthly", 0, "active_users", "-1")),
    Corruption("negative_events_count", "usage_monthly", "events", "range", edit=_set("usage_monthly", 1, "events", "-10")),
    Corruption("negative_features", "usage_monthly", "features_used", "range", edit=_set("usage_monthly", 1, "features_used", "-2")),
    Corruption("negative_quota_used", "usage_monthly", "quota_used", "range", edit=_set("usage_monthly", 2, "quota_used", "-0.5")),
    Corruption("negative_quantity", "events", "quantity", "range", edit=_set("events", 1, "quantity", "-1")),
    Corruption("health_above_100", "health_monthly", "health_score", "range", edit=_set("health_monthly", 0, "health_score", "101")),
    Corruption("nps_above_10", "engagement", "value", "range", edit=_set("engagement", 2, "value", "11"), n_rows=1),
    Corruption("value_on_non_nps", "engagement", "value", "null_unless_nps", edit=_set("engagement", 0, "value", "1"), n_rows=1),
    Corruption("unknown_outcome", "contracts", "outcome", "allowed_values", edit=_set("contracts", 0, "outcome", "Renewed"), n_rows=1),
    Corruption("unknown_status", "onboarding", "status", "allowed_values", edit=_set("onboarding", 0, "status", "done"), n_rows=1),
    Corruption("unknown_kind", "engagement", "kind", "allowed_values", edit=_set("engagement", 4, "kind", "lunch"), n_rows=1),
    Corruption("month_not_first", "usage_monthly", "month", "first_of_month", edit=_set("usage_monthly", 0, "month", "2025-04-15"),
               n_rows=1),
    Corruption("health_month_not_first", "health_monthly", "month", "first_of_month",
               edit=_set("health_monthly", 0, "month", "2025-05-31")),
    Corruption("target_before_start", "onboarding", "target_date", "date_order", edit=_set("onboarding", 1, "target_date", "2023-05-01"),
               n_rows=1),
    # extracted_at cutoff
    Corruption("signup_after_cutoff", "accounts", "signup_date", "after_extracted_at",
               edit=_both(_set("accounts", 2, "signup_date", "2025-07-01"), _set("contracts", 4, "term_start", "2025-07-01"))),
    Corruption("usage_month_after_cutoff", "usage_monthly", "month", "after_extracted_at",
               edit=_append("usage_monthly", "A1,2025-07-01,1,1,1,1"), n_rows=1),
    Corruption("health_month_after_cutoff", "health_monthly", "month", "after_extracted_at",
               edit=_append("health_monthly", "A1,2025-07-01,50,1")),
    Corruption("event_after_cutoff", "events", "timestamp", "after_extracted_at",
               edit=_set("events", 1, "timestamp", "2025-07-01T00:00:00Z"), n_rows=1),
    Corruption("engagement_after_cutoff", "engagement", "date", "after_extracted_at", edit=_set("engagement", 4, "date", "2025-07-02")),
    Corruption("roi_after_cutoff", "roi", "date", "after_extracted_at", edit=_set("roi", 0, "date", "2026-01-01")),
    Corruption("completed_after_cutoff", "onboarding", "completed_date", "after_extracted_at",
               edit=_set("onboarding", 0, "completed_date", "2025-12-01")),
    Corruption("decided_term_ends_after_cutoff", "contracts", "term_end", "after_extracted_at",
               edit=_set("contracts", 4, "outcome", "renewed"), n_rows=1),
]


# --------------------------------------------------------------------------- hardening (issue 15): values that parse
# but are not data, files that are not what they seem, dataset.yml that is not a small mapping

_ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n" \
              "name: tiny\nextracted_at: 2025-06-30\n"


def _replace_header(table: str, old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([lines[0].replace(old, new, 1), *lines[1:]]) + "\n", encoding="utf-8")

    return change


def _broken_link(table: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / f"{table}.csv").unlink()
        (folder / f"{table}.csv").symlink_to(folder / "no-such-export.csv")

    return change


def _folder_instead(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()

    return change


def _parquet_with_list(table: str, column: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        frame = valid_tables()[table]
        frame[column] = [["retail", "finance"], None, None]
        (folder / f"{table}.csv").unlink()
        frame.to_parquet(folder / f"{table}.parquet", index=False)

    return change


HARDENING: list[Corruption] = [
    Corruption("quota_used_inf", "usage_monthly", "quota_used", "type", edit=_set("usage_monthly", 1, "quota_used", "inf"), n_rows=1),
    Corruption("quota_used_minus_infinity", "usage_monthly", "quota_used", "type",
               edit=_set("usage_monthly", 1, "quota_used", "-Infinity"), n_rows=1),
    Corruption("active_users_infinity", "usage_monthly", "active_users", "type",
               edit=_set("usage_monthly", 0, "active_users", "Infinity"), n_rows=1),
    Corruption("events_nan_text", "usage_monthly", "events", "type", edit=_set("usage_monthly", 0, "events", "NaN"), n_rows=1),
    Corruption("employees_1e30", "accounts", "employees", "type", edit=_set("accounts", 0, "employees", "1e30"), n_rows=1),
    Corruption("employees_inf", "accounts", "employees", "type", edit=_set("accounts", 0, "employees", "inf"), n_rows=1),
    Corruption("seats_inf", "contracts", "seats", "type", edit=_set("contracts", 0, "seats", "inf"), n_rows=1),
    Corruption("seats_1e19", "contracts", "seats", "type", edit=_set("contracts", 0, "seats", "1e19"), n_rows=1),
    Corruption("arr_nan_text", "contracts", "arr", "type", edit=_set("contracts", 0, "arr", "nan"), n_rows=1),
    Corruption("term_end_9999", "contracts", "term_end", "range", edit=_set("contracts", 2, "term_end", "9999-12-31"), n_rows=1),
    Corruption("yml_alias_bomb", "dataset.yml", None, "parse", after_write=_write("dataset.yml", _ALIAS_BOMB)),
    Corruption("yml_name_not_text", "dataset.yml", "name", "type",
               after_write=_write("dataset.yml", "name: [a, b]\nextracted_at: 2025-06-30\n")),
    Corruption("yml_description_not_text", "dataset.yml", "description", "type",
               after_write=_write("dataset.yml", "name: tiny\ndescription: {a: 1}\nextracted_at: 2025-06-30\n")),
    Corruption("yml_is_a_folder", "dataset.yml", None, "readable", after_write=_folder_instead("dataset.yml")),
    Corruption("duplicate_column", "contracts", "seats", "duplicate_column",
               after_write=_replace_header("contracts", "quota", "seats")),
    Corruption("parquet_list_column", "accounts", "industry", "type", after_write=_parquet_with_list("accounts", "industry")),
    Corruption("table_is_broken_link", "accounts", None, "readable", after_write=_broken_link("accounts")),
    Corruption("table_is_a_folder", "contracts", None, "readable", after_write=_folder_instead("contracts.csv")),
]
CORRUPTIONS += HARDENING
