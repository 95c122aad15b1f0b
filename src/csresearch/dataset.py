"""Load a contract dataset folder into typed pandas frames (see :mod:`csresearch.reading`).

:func:`load_dataset` reads ``dataset.yml`` and every table it finds (CSV or
Parquet) and gives each column its contract dtype: dates as ``datetime64[ns]``,
event timestamps as UTC, ids as strings, categories where fitting. It never
raises for a data problem: values that do not parse become null and are
recorded as violations, which :meth:`Dataset.validate` reports together with
every other broken rule. Input files are only ever opened for reading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import contract
from .errors import DatasetNotFoundError, ParameterError
from .events_source import EventsSource
from .reading import (
    EVENTS_SNIFF_BYTES,
    EncodingError,
    coerce_table,
    detect_encoding,
    duplicate_csv_columns,
    encoding_label,
    find_table_file,
    normalise_encoding,
    read_table_file,
    typed_table,
    undecodable_hint,
)
from .violations import ValidationReport, Violation

__all__ = ["Dataset", "as_of_cut", "load_dataset", "read_table_file", "coerce_table"]


@dataclass
class Dataset:
    """A loaded contract dataset.

    Attributes
    ----------
    name : str
        ``name`` from dataset.yml (the folder name when missing).
    extracted_at : Timestamp or None
        The global cutoff from dataset.yml; None when missing or unparsable
        (the dataset is then invalid).
    tables : dict of str to DataFrame
        Every contract table present, typed. Absent optional tables are not keys.
    path : Path or None
        Folder it was loaded from.
    files : dict of str to Path
        Table name -> file it was read from.
    description : str or None
        ``description`` from dataset.yml.
    load_problems : list of Violation
        Problems found while loading (missing files, unparsable values,
        missing columns); :meth:`validate` reports them with all other rules.
    derived_tables : set of str
        Tables that were not read but built (usage_monthly from events).
    events_source : EventsSource or None
        The events table, lazily: never loaded into pandas (``tables`` has no
        ``events`` key); see :attr:`events`.
    parse_failures : dict of str to dict of str to ndarray
        Table -> column -> row positions whose value did not parse (now null),
        so that the validator reports them once as ``type``, not also as
        ``not_null``.
    encodings : dict of str to str
        CSV table -> the text encoding it was read in and how it was chosen,
        e.g. ``{"accounts": "Shift_JIS (CP932), detected"}`` (Parquet tables
        have none).
    """

    name: str
    extracted_at: pd.Timestamp | None
    tables: dict[str, pd.DataFrame]
    path: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)
    description: str | None = None
    load_problems: list[Violation] = field(default_factory=list)
    derived_tables: set[str] = field(default_factory=set)
    metadata: dict[str, Any] = field(default_factory=dict)
    parse_failures: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    events_source: EventsSource | None = None
    encodings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_tables(
        cls,
        tables: dict[str, pd.DataFrame],
        *,
        extracted_at: str | pd.Timestamp,
        name: str = "in-memory",
        description: str | None = None,
    ) -> "Dataset":
        """Build a dataset from in-memory frames, typed exactly as :func:`load_dataset` types files.

        Parameters
        ----------
        tables : dict of str to DataFrame
            Contract table name -> frame (raw strings or already typed). The
            frames are copied, never modified.
        extracted_at : str or Timestamp
            The global cutoff.
        name, description : str
            Metadata as in dataset.yml.

        Returns
        -------
        Dataset
        """
        problems: list[Violation] = []
        typed_tables: dict[str, pd.DataFrame] = {}
        failures: dict[str, dict[str, np.ndarray]] = {}
        source = None
        for tname, frame in tables.items():
            if tname not in contract.TABLES:
                raise KeyError(f"unknown table {tname!r}; contract tables: {', '.join(contract.TABLES)}")
            if isinstance(frame, EventsSource):
                source = frame
                continue
            if tname == "events":
                source = EventsSource.from_frame(frame)
                continue
            typed, table_problems, failures[tname] = typed_table(frame, contract.TABLES[tname])
            typed_tables[tname] = typed
            problems.extend(table_problems)
        derived = _derive_usage(typed_tables, problems, source)
        return cls(
            name=name,
            extracted_at=pd.Timestamp(extracted_at).as_unit("ns"),
            tables=typed_tables,
            description=description,
            load_problems=problems,
            derived_tables=derived,
            metadata={"name": name, "extracted_at": str(pd.Timestamp(extracted_at).date())},
            parse_failures=failures,
            events_source=source,
        )

    # -- table access -----------------------------------------------------
    def table(self, name: str) -> pd.DataFrame | None:
        """Return table ``name``, or None when the dataset does not have it."""
        if name not in contract.TABLES:
            raise KeyError(f"unknown table {name!r}; contract tables: {', '.join(contract.TABLES)}")
        return self.tables.get(name)

    def has(self, name: str) -> bool:
        """Whether table ``name`` is present (read, derived, or the lazy events)."""
        return name in self.tables or (name == "events" and self.events_source is not None)

    @property
    def accounts(self) -> pd.DataFrame | None:
        """The accounts table."""
        return self.tables.get("accounts")

    @property
    def contracts(self) -> pd.DataFrame | None:
        """The contracts table."""
        return self.tables.get("contracts")

    @property
    def onboarding(self) -> pd.DataFrame | None:
        """The onboarding table, or None."""
        return self.tables.get("onboarding")

    @property
    def usage_monthly(self) -> pd.DataFrame | None:
        """The usage_monthly table (read, or built from events), or None."""
        return self.tables.get("usage_monthly")

    @property
    def events(self) -> EventsSource | None:
        """The raw events, as a lazy handle (never loaded whole), or None.

        ``ds.events.stats`` counts them, ``ds.events.usage_monthly()``
        aggregates them in DuckDB, ``ds.events.to_frame()`` loads them into
        pandas (small logs only).
        """
        return self.events_source

    def row_counts(self) -> dict[str, int]:
        """Rows per table present, events included (counted in DuckDB)."""
        counts = {name: len(frame) for name, frame in self.tables.items()}
        if self.events_source is not None:
            counts["events"] = self.events_source.stats["rows"]
        return {name: counts[name] for name in contract.TABLES if name in counts}

    @property
    def engagement(self) -> pd.DataFrame | None:
        """The engagement table, or None."""
        return self.tables.get("engagement")

    @property
    def health_monthly(self) -> pd.DataFrame | None:
        """The health_monthly table, or None."""
        return self.tables.get("health_monthly")

    @property
    def roi(self) -> pd.DataFrame | None:
        """The roi table, or None."""
        return self.tables.get("roi")

    # -- checks and identity ----------------------------------------------
    def validate(self) -> ValidationReport:
        """Check every rule of the data contract; return all violations at once."""
        from .validation import validate_dataset  # lazy: pandera adds 0.2 s to `import csresearch`

        return validate_dataset(self)

    def fingerprint(self) -> str:
        """SHA-256 over dataset.yml and the table files (name and bytes), in name order."""
        h = hashlib.sha256()
        paths = dict(self.files)
        if self.path is not None and (self.path / "dataset.yml").is_file():
            paths["dataset.yml"] = self.path / "dataset.yml"
        for key in sorted(paths):
            parts = [paths[key]] if not paths[key].is_dir() else sorted(p for p in paths[key].rglob("*") if p.is_file())
            for p in parts:
                h.update(p.name.encode())
                with open(p, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
        return h.hexdigest()

    # -- the leakage guarantee ---------------------------------------------
    def as_of(self, date: str | pd.Timestamp | None) -> "Dataset":
        """The dataset as it would have been extracted on ``date``.

        Rows dated after ``date`` (by their table's
        :attr:`~csresearch.contract.Table.date_column`) are dropped: accounts
        signed up later, terms starting later, usage months starting later,
        touchpoints, ROI rows, events; so are the rows of dropped accounts.
        Terms whose decision day (term_end) is after ``date`` become ``open``;
        onboarding dates after ``date`` become unknown and the status of such
        rows is left to the derivation rule. Derived tables are derived again.

        Parameters
        ----------
        date : date-like or None
            The cut; ``None`` or ``extracted_at`` returns the dataset itself.

        Returns
        -------
        Dataset

        Raises
        ------
        ParameterError
            When ``date`` is not a date or is after ``extracted_at``.
        """
        cut = as_of_cut(date, self.extracted_at)
        if cut is None or (self.extracted_at is not None and cut == self.extracted_at):
            return self
        t = {name: frame for name, frame in self.tables.items() if name not in self.derived_tables}
        t["accounts"] = _rows_until(t["accounts"], "accounts", cut)
        keep = set(t["accounts"]["account_id"])
        for name in t:
            if name != "accounts" and contract.TABLES[name].date_column is not None:
                t[name] = _rows_until(t[name], name, cut, keep)
        c = t["contracts"].copy()
        c["outcome"] = c["outcome"].astype("str").where(c["term_end"] <= cut, "open")
        t["contracts"] = c
        if "onboarding" in t:
            t["onboarding"] = _onboarding_until(t["onboarding"], cut, keep)
        if self.events_source is not None:
            t["events"] = self.events_source.cut(cut, sorted(keep))
        cut_ds = Dataset.from_tables(t, extracted_at=cut, name=self.name, description=self.description)
        cut_ds.encodings = dict(self.encodings)
        return cut_ds

    @property
    def n_accounts(self) -> int:
        """Number of accounts."""
        return 0 if self.accounts is None else len(self.accounts)

    def summary(self) -> pd.DataFrame:
        """One row per table: rows, columns, the date range it covers and where it came from.

        Returns
        -------
        DataFrame
            Columns ``table``, ``rows``, ``columns``, ``from``, ``to``, ``source``
            (the file name, or how a derived table was built).
        """
        rows = []
        for name, frame in self.tables.items():
            dates = [c.name for c in contract.TABLES[name].columns if c.kind in ("date", "timestamp") and c.name in frame]
            lows = [frame[c].min() for c in dates if frame[c].notna().any()]
            highs = [frame[c].max() for c in dates if frame[c].notna().any()]
            source = "built from events" if name in self.derived_tables else (self.files[name].name if name in self.files else "in memory")
            rows.append({
                "table": name,
                "rows": len(frame),
                "columns": frame.shape[1],
                "from": str(min(lows).date()) if lows else "",
                "to": str(max(highs).date()) if highs else "",
                "source": source,
            })
        if self.events_source is not None:
            stats = self.events_source.stats
            rows.append({"table": "events", "rows": stats["rows"], "columns": len(contract.EVENTS.columns),
                         "from": str(stats["first"].date()) if stats["first"] is not None else "",
                         "to": str(stats["last"].date()) if stats["last"] is not None else "",
                         "source": (self.files["events"].name if "events" in self.files else "in memory")
                         + " (read lazily)"})
        return pd.DataFrame(rows, columns=["table", "rows", "columns", "from", "to", "source"])

    def _repr_html_(self) -> str:
        """Jupyter view: name, extraction date, the tables with rows and date range, and validity."""
        import html

        report = self.validate()
        verdict = ("valid: every rule of the data contract holds" if report.is_valid else
                   f"<b>not valid</b>: {len(report.violations)} broken rule(s); call <code>.validate()</code> for the list")
        when = self.extracted_at.date() if self.extracted_at is not None else "unknown"
        return (
            f"<div><p><b>Dataset {html.escape(self.name)}</b>, extracted {when}, "
            f"{self.n_accounts:,} accounts; {verdict}.</p>"
            + self.summary().to_html(index=False, escape=True, formatters={"rows": "{:,}".format})
            + "</div>"
        )

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        sizes = ", ".join(f"{k}={len(v):,}" for k, v in self.tables.items())
        sizes += ", events=lazy" if self.events_source is not None else ""
        when = self.extracted_at.date() if self.extracted_at is not None else None
        return f"Dataset(name={self.name!r}, extracted_at={when}, {sizes})"


# ---------------------------------------------------------------------------
# the as_of cut


def _rows_until(frame: pd.DataFrame, table: str, cut: pd.Timestamp, accounts: set | None = None) -> pd.DataFrame:
    """Rows of ``table`` dated on or before ``cut`` (a timestamp by its UTC day), of ``accounts`` only when given."""
    column = contract.TABLES[table].date_column
    values = frame[column]
    if contract.TABLES[table].column(column).kind == "timestamp":
        dated = values.dt.tz_convert(None) < cut + pd.Timedelta(days=1)
    else:
        dated = values <= cut
    if accounts is not None:
        dated = dated & frame["account_id"].isin(accounts)
    return frame.loc[dated]


#: Onboarding dates that become known on the day itself (target_date is planned, known from the start).
_ONBOARDING_KNOWN_ON = ("completed_date", "setup_done_date", "admin_trained_date", "first_value_date")


def _onboarding_until(onboarding: pd.DataFrame, cut: pd.Timestamp, accounts: set) -> pd.DataFrame:
    """Onboarding rows of ``accounts`` with dates after ``cut`` unknown and their status left to the derivation rule."""
    ob = onboarding.loc[onboarding["account_id"].isin(accounts)].copy()
    later = np.zeros(len(ob), dtype=bool)
    for col in _ONBOARDING_KNOWN_ON:
        if col in ob:
            after = (ob[col] > cut).to_numpy()
            later |= after
            ob.loc[after, col] = pd.NaT
    if "status" in ob:
        ob["status"] = ob["status"].astype("object").where(~later & (ob["target_date"] <= cut).to_numpy(), None)
    return ob


# ---------------------------------------------------------------------------
# the dataset


#: dataset.yml is a few lines; anything larger is not a dataset description.
_MAX_METADATA_BYTES = 64 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases: a few bytes of nested aliases can expand to gigabytes."""

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in dataset.yml", mark)
        return super().compose_node(parent, index)


def _load_metadata_yaml(text: str):
    """Parse dataset.yml text: no aliases, at most :data:`_MAX_METADATA_BYTES`."""
    if len(text.encode("utf-8")) > _MAX_METADATA_BYTES:
        raise yaml.YAMLError(f"the file is larger than {_MAX_METADATA_BYTES // 1024} KB; dataset.yml holds a few keys")
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass


def _read_metadata(folder: Path, problems: list[Violation]) -> tuple[str, pd.Timestamp | None, str | None, dict]:
    meta_path = folder / "dataset.yml"
    name, extracted_at, description, meta = folder.name, None, None, {}
    if meta_path.is_dir() or (meta_path.is_symlink() and not meta_path.exists()):
        what = "a folder" if meta_path.is_dir() else "a symbolic link to a missing file"
        problems.append(Violation("dataset.yml", None, "readable", 0, f"dataset.yml is {what}; make it a YAML file"))
        return name, extracted_at, description, meta
    if not meta_path.is_file():
        problems.append(
            Violation(
                "dataset.yml",
                None,
                "file_missing",
                0,
                f"create {meta_path} with at least 'name:' and 'extracted_at: YYYY-MM-DD' (the day the data was pulled)",
            )
        )
        return name, extracted_at, description, meta
    try:
        text = meta_path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        problems.append(Violation("dataset.yml", None, "readable", 0,
                                  f"dataset.yml could not be read ({exc.strerror or type(exc).__name__}); check that it is a "
                                  "file this user may read"))
        return name, extracted_at, description, {}
    try:
        meta = _load_metadata_yaml(text) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Violation("dataset.yml", None, "parse", 0, f"dataset.yml is not valid YAML ({exc}); fix its syntax"))
        return name, extracted_at, description, {}
    if not isinstance(meta, dict):
        problems.append(Violation("dataset.yml", None, "parse", 0, "dataset.yml must be a mapping with keys name and extracted_at"))
        return name, extracted_at, description, {}
    for key in ("name", "description"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            problems.append(Violation("dataset.yml", key, "type", 0,
                                      f"{key} must be text, not {type(meta[key]).__name__} {str(meta[key])[:40]!r}; quote it"))
    name = meta["name"] if isinstance(meta.get("name"), str) and meta["name"].strip() else folder.name
    description = meta.get("description") if isinstance(meta.get("description"), str) else None
    raw = meta.get("extracted_at")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(
            Violation("dataset.yml", "extracted_at", "not_null", 0, "add 'extracted_at: YYYY-MM-DD', the day the data was pulled")
        )
    else:
        try:
            if not isinstance(raw, (str, dt.date)):  # a bare number would be read as nanoseconds since 1970
                raise TypeError(raw)
            parsed = pd.Timestamp(raw)
            if pd.isna(parsed):
                raise ValueError(raw)
            extracted_at = (parsed.tz_localize(None) if parsed.tz else parsed).as_unit("ns")
        except (ValueError, TypeError):
            problems.append(
                Violation(
                    "dataset.yml",
                    "extracted_at",
                    "type",
                    0,
                    f"extracted_at must be an ISO-8601 date such as 2025-06-30, not {raw!r}",
                )
            )
    return name, extracted_at, description, meta


def _derive_usage(tables: dict[str, pd.DataFrame], problems: list[Violation], source: EventsSource | None) -> set[str]:
    """Build usage_monthly from the events (in place) when only events are given; return the derived table names.

    The build runs in DuckDB over the files (:meth:`EventsSource.usage_monthly`)
    and is shared through the usage cache of a run (:mod:`csresearch.usage_cache`).
    Events that lack a required column or cannot be read are left to the
    validator's report (a file that cannot be read is reported here).
    """
    if "usage_monthly" in tables or source is None:
        return set()
    import duckdb

    from .usage_cache import cached_usage

    try:
        with source.connect() as con:
            columns = source.columns(con)
    except duckdb.Error as exc:
        problems.append(Violation("events", None, "readable", 0,
                                  f"the events could not be read ({undecodable_hint(str(exc))}); save them again as UTF-8 "
                                  "CSV with a header row, or as Parquet"))
        return set()
    if not {"account_id", "user_id", "timestamp", "event_type"} <= set(columns):
        return set()
    tables["usage_monthly"] = cached_usage(source)
    return {"usage_monthly"}


def _requested_encodings(meta: dict, problems: list[Violation]) -> dict[str, str]:
    """Table -> Python codec from dataset.yml's ``encoding`` (one name for every CSV table but events, or table -> name).

    ``auto`` (or no entry) leaves a table to detection; an unknown name or
    table is a ``dataset.yml`` violation and is detected too.
    """
    raw = meta.get("encoding")
    if raw is None:
        return {}
    if isinstance(raw, str):  # the events file is read by DuckDB, as UTF-8 only: named per table or detected
        raw = dict.fromkeys((t for t in contract.TABLES if t != "events"), raw)
    if not isinstance(raw, dict):
        problems.append(Violation("dataset.yml", "encoding", "type", 0,
                                  "encoding must be one name (encoding: cp932) or one per table "
                                  "(encoding: {accounts: cp932}), not " + type(raw).__name__))
        return {}
    out = {}
    for table, name in raw.items():
        if table not in contract.TABLES:
            problems.append(Violation("dataset.yml", "encoding", "type", 0,
                                      f"encoding names an unknown table {str(table)!r}; tables: {', '.join(contract.TABLES)}"))
        elif str(name).strip().lower() != "auto":
            try:
                out[table] = normalise_encoding(str(name))
            except LookupError:
                problems.append(Violation("dataset.yml", "encoding", "type", 0,
                                          f"unknown encoding {str(name)!r} for {table}; use utf-8, utf-8-sig, cp932 "
                                          "(Shift_JIS as Excel writes it) or auto"))
    return out


def _csv_encoding(file: Path, table: str, requested: dict[str, str]) -> tuple[str, str]:
    """(codec, label) of a CSV table file: dataset.yml's choice, else detected (may raise EncodingError)."""
    if table in requested:
        return requested[table], f"{encoding_label(requested[table])}, from dataset.yml"
    codec = detect_encoding(file, EVENTS_SNIFF_BYTES if table == "events" else None)
    return codec, f"{encoding_label(codec)}, detected"


def _events_encoding(file: Path, requested: dict[str, str]) -> tuple[str | None, str | None]:
    """(label, problem) of a CSV events file, which DuckDB reads as UTF-8 only; (None, None) for Parquet."""
    if file.is_dir() or file.suffix.lower() != ".csv" or not file.is_file():
        return None, None
    try:
        codec, label = _csv_encoding(file, "events", requested)
    except EncodingError as exc:
        return None, str(exc)
    if codec in ("utf-8", "utf-8-sig"):
        return label, None
    return label, (f"{file.name} is {encoding_label(codec)}; the events table is read by DuckDB, which reads "
                   "UTF-8 only: save it again as CSV UTF-8 (iconv -f CP932 -t UTF-8, say) or as Parquet")


def _read_tables(folder: Path, problems: list[Violation], requested: dict[str, str] | None = None
                 ) -> tuple[dict[str, pd.DataFrame], dict[str, Path], dict[str, dict[str, np.ndarray]], dict[str, str]]:
    """Read and type every contract table found in ``folder``; append what cannot be read to ``problems``.

    Parameters
    ----------
    folder : Path
    problems : list of Violation
        Appended to.
    requested : dict of str to str, optional
        Table -> codec named in dataset.yml (:func:`_requested_encodings`); other CSV tables are detected.

    Returns
    -------
    tables, files, failures, encodings : dict
        Table -> typed frame, table -> file read, table -> column -> row positions that did not parse,
        CSV table -> encoding label.
    """
    tables: dict[str, pd.DataFrame] = {}
    files: dict[str, Path] = {}
    failures: dict[str, dict[str, np.ndarray]] = {}
    encodings: dict[str, str] = {}
    requested = requested or {}
    for table in contract.TABLES.values():
        file, ignored = find_table_file(folder, table.name)
        if ignored:
            problems.append(
                Violation(
                    table.name,
                    None,
                    "one_file_per_table",
                    0,
                    f"both {file.name} and {ignored[0].name} exist; keep only one file per table (Parquet is read)",
                )
            )
        if file is None:
            continue
        if table.name == "events":  # read lazily, in DuckDB: see EventsSource
            label, problem = _events_encoding(file, requested)
            if problem is not None:
                problems.append(Violation("events", None, "encoding", 0, problem))
                continue
            if label is not None:
                encodings["events"] = label
            problems += [Violation("events", column, "duplicate_column", 0,
                                   f"the header of {file.name} names '{column}' more than once; keep one column of each name")
                         for column in duplicate_csv_columns(file)]
            files["events"] = file
            continue
        try:
            readable_csv = file.suffix == ".csv" and file.is_file()  # else read_table_file says what is wrong
            codec, label = _csv_encoding(file, table.name, requested) if readable_csv else (None, None)
            raw = read_table_file(file, encoding=codec)
        except EncodingError as exc:
            problems.append(Violation(table.name, None, "encoding", 0, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - any reader failure is a data problem to report
            problems.append(
                Violation(
                    table.name,
                    None,
                    "readable",
                    0,
                    f"{file.name} could not be read ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                    "save it again as UTF-8 CSV with a header row, or as Parquet",
                )
            )
            continue
        if label is not None:
            encodings[table.name] = label
        for column in duplicate_csv_columns(file, codec):
            problems.append(Violation(table.name, column, "duplicate_column", 0,
                                      f"the header of {file.name} names '{column}' more than once; keep one column of "
                                      "each name (a copy would be ignored)"))
        typed, table_problems, failures[table.name] = typed_table(raw, table)
        problems.extend(table_problems)
        tables[table.name] = typed
        files[table.name] = file
    return tables, files, failures, encodings


def load_dataset(path: str | Path, *, validate: bool = False) -> Dataset:
    """Load a contract dataset folder.

    Parameters
    ----------
    path : str or Path
        Folder holding ``dataset.yml`` and one file per table
        (``accounts.csv`` or ``accounts.parquet``, ...). ``events`` may also be
        a folder of Parquet files.
    validate : bool, default False
        When True, check every contract rule and raise
        :class:`~csresearch.errors.DataContractError` listing all violations.

    Returns
    -------
    Dataset
        Typed tables. When ``usage_monthly`` is absent but ``events`` is
        present, ``usage_monthly`` is built from the events.

    Raises
    ------
    DatasetNotFoundError
        When ``path`` is not an existing folder.
    DataContractError
        With ``validate=True``, when any rule is broken.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetNotFoundError(
            f"dataset folder {str(folder)!r} does not exist or is not a folder; "
            "a dataset is a folder with dataset.yml and one file per table"
        )
    problems: list[Violation] = []
    name, extracted_at, description, meta = _read_metadata(folder, problems)
    tables, files, failures, encodings = _read_tables(folder, problems, _requested_encodings(meta, problems))
    source = EventsSource.from_path(files["events"]) if "events" in files else None
    derived = _derive_usage(tables, problems, source)
    ds = Dataset(
        name=name,
        extracted_at=extracted_at,
        tables=tables,
        path=folder,
        files=files,
        description=description,
        load_problems=problems,
        derived_tables=derived,
        metadata=meta,
        parse_failures=failures,
        events_source=source,
        encodings=encodings,
    )
    if validate:
        ds.validate().raise_if_invalid()
    return ds


def as_of_cut(date: str | pd.Timestamp | None, extracted_at: pd.Timestamp | None) -> pd.Timestamp | None:
    """``date`` as the day :meth:`Dataset.as_of` cuts at (None for None), checked against ``extracted_at``.

    Raises
    ------
    ParameterError
        When ``date`` is not a date or is after ``extracted_at`` (nothing is known then).
    """
    if date is None:
        return None
    try:
        cut = pd.Timestamp(date).as_unit("ns").normalize()
    except (ValueError, TypeError):
        raise ParameterError(f"as_of={date!r} is not a date; write it as YYYY-MM-DD") from None
    if extracted_at is not None and cut > extracted_at:
        raise ParameterError(f"as_of={cut.date()} is after the dataset's extracted_at {extracted_at.date()}; "
                             "nothing is known then")
    return cut
