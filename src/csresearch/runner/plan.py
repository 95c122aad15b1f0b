"""Step 1 of a run, *plan*: check the options, the parameters and the dataset; decide what runs.

:func:`plan_run` does every cheap check of the user's options first (output
folder, notebooks, parameters, ``--only``), then loads and validates the
dataset; no notebook runs before all pass. It resolves the value of every
parameter and returns a :class:`RunPlan`; :func:`build_tasks` turns the plan
into one :class:`~csresearch.runner.execute.ExecTask` per selected notebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from .. import i18n
from ..dataset import Dataset, as_of_cut, load_dataset
from ..errors import ParameterError
from ..health import load_definition
from ..study.definitions import definition_files
from ..report.index import scope_line
from ..report.privacy import ID_COLUMNS, dataset_identifiers, identifying_columns
from ..violations import ValidationReport
from .execute import ExecTask
from .notebooks import (
    RUNNER_PARAMETERS,
    NotebookSpec,
    discover_notebooks,
    parse_parameters,
    select_notebooks,
)
from .outdir import check_out_dir
from .parameters import check_parameters

__all__ = [
    "PATH_PARAMETERS", "InvalidDataset", "RunPlan", "RunRequest",
    "build_tasks", "dataset_scope", "plan_run", "resolve_parameters", "shareable",
]

#: Parameters holding machine paths: shared output shows only their last component.
PATH_PARAMETERS = ("data_dir", "output_dir", "scorecard", "definitions")


@dataclass(frozen=True)
class RunRequest:
    """The options of ``csresearch run`` as given (see :func:`csresearch.runner.run_suite`)."""

    data_dir: Path
    out_dir: str | Path
    params: Sequence[str] = ()
    params_file: str | Path | None = None
    only: Sequence[str] = ()
    jobs: int = 1
    show_code: bool = False
    include_ids: bool = False
    notebooks_dir: str | Path | None = None
    timeout_s: int | None = None
    lang: str = "en"


@dataclass(frozen=True)
class RunPlan:
    """What a run does, decided before any notebook runs.

    Attributes
    ----------
    request : RunRequest
        The options the plan was made from.
    out : Path
        The resolved output folder (checked by :func:`~csresearch.runner.outdir.check_out_dir`).
    specs : list of NotebookSpec
        Every notebook of the suite; ``selected`` those that run (``--only``).
    dataset : Dataset
        The loaded, valid dataset.
    given : dict
        Parameter values set by the user or the runner.
    recorded : dict
        Every parameter with the value the run used (``{"per_notebook": ...}``
        when notebooks' defaults differ).
    dataset_info : dict
        The ``dataset`` block of findings.json (name, folder, scope...).
    identifiers : frozenset of str
        Dataset identifiers no shared output may show (empty with ``--include-ids``).
    id_columns : frozenset of str
        Identifying column names (account_id, user_id and identifying extra columns of accounts).
    """

    request: RunRequest
    out: Path
    specs: list[NotebookSpec]
    selected: list[NotebookSpec]
    dataset: Dataset
    given: dict[str, Any]
    recorded: dict[str, Any]
    dataset_info: dict[str, Any]
    identifiers: frozenset[str]
    id_columns: frozenset[str] = frozenset(ID_COLUMNS)

    @property
    def subtitle(self) -> str:
        """The line under every report's title: what the run analyses."""
        return scope_line(self.dataset_info)


class InvalidDataset(Exception):
    """The dataset breaks its contract: the run stops before any notebook (exit 2).

    Parameters
    ----------
    report : ValidationReport
        What the validation found.
    """

    def __init__(self, report: ValidationReport):
        super().__init__("the dataset is invalid")
        self.report = report

    def tell(self, stream: TextIO) -> int:
        """Write the validation report and why nothing ran to ``stream``; return exit code 2."""
        stream.write(self.report.format_text() + "\n")
        stream.write("No notebook was run: fix the dataset first (csresearch validate DATA_DIR).\n")
        return 2


def plan_run(request: RunRequest) -> RunPlan:
    """Check the options, then the dataset, and resolve every parameter.

    Parameters
    ----------
    request : RunRequest

    Returns
    -------
    RunPlan

    Raises
    ------
    InputError
        Bad output folder, notebooks or parameters (checked before the dataset is read).
    InvalidDataset
        The dataset does not pass validation.
    """
    out = check_out_dir(request.out_dir, request.data_dir)
    specs = discover_notebooks(request.notebooks_dir)
    user = _user_parameters(specs, request)
    selected = select_notebooks(specs, request.only)
    ds = load_dataset(request.data_dir)
    report = ds.validate()
    if not report.is_valid:
        raise InvalidDataset(report)
    given, recorded = resolve_parameters(specs, user, ds, request.data_dir, out, request.include_ids)
    info = {
        "name": ds.name,
        "folder": request.data_dir.resolve().name,
        "extracted_at": str(ds.extracted_at.date()) if ds.extracted_at is not None else None,
        "n_accounts": ds.n_accounts,
        "fingerprint": ds.fingerprint(),
        **dataset_scope(ds, given.get("as_of")),
    }
    ids = frozenset() if request.include_ids else frozenset(dataset_identifiers(ds))
    columns = frozenset((*ID_COLUMNS, *identifying_columns(ds.accounts)))
    return RunPlan(request, out, specs, selected, ds, given, recorded, info, ids, columns)


def _user_parameters(specs: Sequence[NotebookSpec], request: RunRequest) -> dict[str, Any]:
    """Parse ``-p``/``--params-file``, type- and range-check them, make a scorecard path absolute.

    Raises
    ------
    ParameterError
        For every bad value at once, or a scorecard file that does not exist.
    """
    known = {k for s in specs for k in s.defaults} | set(RUNNER_PARAMETERS)
    user = parse_parameters(request.params, request.params_file, dict.fromkeys(known))
    kinds: dict[str, Any] = {}
    for s in specs:
        for name, kind in s.kinds.items():
            kinds[name] = kinds.get(name) or kind
    check_parameters(user, kinds, include_ids=request.include_ids)
    user = dict(user)
    if user.get("lang") is not None and str(user["lang"]) not in i18n.languages():
        raise ParameterError(f"lang: expects one of {', '.join(i18n.languages())} (docs/i18n.md); got {user['lang']!r}")
    if user.get("scorecard"):
        path = Path(str(user["scorecard"])).expanduser().resolve()
        if not path.is_file():
            raise ParameterError(f"-p scorecard: file {user['scorecard']} not found (relative paths are read from the current folder)")
        user["scorecard"] = str(path)
    if user.get("definitions"):
        user["definitions"] = _definition_files(user["definitions"])
    return user


def _definition_files(value: Any) -> str:
    """The ``definitions`` parameter as absolute paths, each file read and validated before any notebook runs.

    Raises
    ------
    ParameterError
        A file is missing.
    InputError
        A file is not a valid scorecard or health rule (every problem at once).
    """
    paths = [Path(p).expanduser().resolve() for p in definition_files(value)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ParameterError(f"-p definitions: file(s) not found: {', '.join(missing)} "
                             "(comma-separated; relative paths are read from the current folder)")
    for path in paths:
        load_definition(path)
    return ",".join(str(p) for p in paths)


def resolve_parameters(
    specs: Sequence[NotebookSpec], user: dict[str, Any], ds: Dataset, data_dir: Path, out: Path, include_ids: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (values set by user or runner, every parameter with the value the run used).

    Raises
    ------
    ParameterError
        ``as_of`` is not a date or lies after the dataset's ``extracted_at``.
    """
    given: dict[str, Any] = dict(user)
    given.update(data_dir=str(data_dir.resolve()), output_dir=str(out), include_ids=bool(include_ids))
    given.setdefault("lang", i18n.current())
    given.setdefault("min_group_size", 1 if include_ids else 5)
    if any("as_of" in s.defaults for s in specs) and given.get("as_of") is None and ds.extracted_at is not None:
        given["as_of"] = str(ds.extracted_at.date())
    as_of_cut(given.get("as_of"), ds.extracted_at)  # the Dataset.as_of check, before any notebook runs
    recorded: dict[str, Any] = {}
    for name in sorted({k for s in specs for k in s.defaults} | set(given)):
        if name in given:
            recorded[name] = given[name]
            continue
        values = {s.name: s.defaults[name] for s in specs if name in s.defaults}
        distinct = {repr(v) for v in values.values()}
        recorded[name] = next(iter(values.values())) if len(distinct) == 1 else {"per_notebook": values}
    return given, recorded


def dataset_scope(ds: Dataset, as_of: str | None) -> dict[str, Any]:
    """What the run analyses: as_of, whether it is a back-test, and the accounts known then."""
    extracted = str(ds.extracted_at.date()) if ds.extracted_at is not None else None
    when = str(pd.Timestamp(as_of).date()) if as_of is not None else extracted
    back_test = when is not None and extracted is not None and when < extracted
    analysed = ds.as_of(when).n_accounts if back_test else ds.n_accounts
    return {"as_of": when, "back_test": back_test, "n_accounts_analysed": int(analysed)}


def shareable(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as shown in shared output: paths reduced to their last component (no machine paths)."""
    out = dict(parameters)
    for name in PATH_PARAMETERS:
        if isinstance(out.get(name), str) and out[name]:
            out[name] = ",".join(Path(p).name for p in out[name].split(",")) if name == "definitions" \
                else Path(out[name]).name
    return out


def build_tasks(plan: RunPlan, staging: Path) -> list[ExecTask]:
    """One task per selected notebook, writing into ``staging``.

    Each notebook gets the parameters it declares plus the runner's
    (:data:`~csresearch.runner.notebooks.RUNNER_PARAMETERS`); its report shows
    them without machine paths.
    """
    request, tasks = plan.request, []
    for s in plan.selected:
        names = [k for k in plan.recorded if k in s.defaults or k in RUNNER_PARAMETERS]
        inject = {k: (plan.given[k] if k in plan.given else s.defaults[k]) for k in names}
        shown = shareable(inject)
        inject["output_dir"] = str(staging)
        tasks.append(ExecTask(s.name, s.path, staging / f"{s.name}.ipynb", staging / f"{s.name}.html",
                              inject, shown, request.show_code, staging, request.timeout_s, plan.subtitle))
    return tasks
