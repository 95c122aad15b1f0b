"""Find the suite's notebooks, read their parameters cells, resolve run parameters.

Notebooks are jupytext percent-format ``.py`` files (``00_data_audit.py`` ...)
with exactly one cell tagged ``parameters``. The parameters a run accepts are
the union of the names assigned in those cells plus the ones the runner
injects itself.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .. import i18n
from ..errors import InputError, ParameterError
from ..study.protocol import sections_of
from .parameters import ParameterKind, kind_of

__all__ = [
    "RUNNER_PARAMETERS",
    "NotebookSpec",
    "KERNELSPEC",
    "as_ipynb",
    "default_notebooks_dir",
    "discover_notebooks",
    "export_notebooks",
    "parse_parameters",
    "select_notebooks",
    "markdown_heading",
    "translate_markdown",
]

#: Parameters the runner sets for every notebook; only min_group_size and lang (also ``--lang``) may be overridden.
RUNNER_PARAMETERS = ("data_dir", "output_dir", "include_ids", "min_group_size", "lang")
_USER_SETTABLE_RUNNER = {"min_group_size", "lang"}
_SECTION_CALL = re.compile(r"write_section\(\s*(?:name\s*=\s*)?[\"']([A-Za-z0-9_]+)[\"']")
ENV_VAR = "CSRESEARCH_NOTEBOOKS"
#: Kernel every suite notebook runs on (papermill reads it from the notebook's metadata).
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the suite.

    Attributes
    ----------
    name : str
        File stem, e.g. ``01_onboarding_vs_churn``.
    path : Path
        The jupytext ``.py`` file.
    defaults : dict
        Parameter name -> default value from its parameters cell (the source
        text when the default is not a literal).
    sections : tuple of str
        Findings sections the notebook writes.
    kinds : dict
        Parameter name -> :class:`~csresearch.runner.parameters.ParameterKind`
        (from the annotation, else the default), None when undeclared.
    """

    name: str
    path: Path
    defaults: dict[str, Any] = field(default_factory=dict)
    sections: tuple[str, ...] = ()
    kinds: dict[str, ParameterKind | None] = field(default_factory=dict)


def default_notebooks_dir() -> Path:
    """``$CSRESEARCH_NOTEBOOKS``, else the notebooks shipped inside the package.

    The suite's notebooks are package data (``csresearch/notebooks/*.py``),
    found with :mod:`importlib.resources`, so a wheel installed with pip runs
    the suite from any folder, exactly like a source checkout.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path(str(resources.files("csresearch").joinpath("notebooks")))


def _parameter_defaults(source: str, where: str) -> tuple[dict[str, Any], dict[str, ParameterKind | None]]:
    """Defaults and kinds of the names assigned in a parameters cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise InputError(f"{where}: the cell tagged 'parameters' is not valid Python ({exc.msg}, line {exc.lineno})") from None
    out: dict[str, Any] = {}
    kinds: dict[str, ParameterKind | None] = {}
    for node in tree.body:
        annotation = None
        if isinstance(node, ast.Assign):
            targets, value = [t for t in node.targets if isinstance(t, ast.Name)], node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            targets, value = [node.target], node.value
            annotation = ast.get_source_segment(source, node.annotation)
        else:
            continue
        try:
            default = ast.literal_eval(value)
        except ValueError:
            default = ast.get_source_segment(source, value)
        for t in targets:
            out[t.id] = default
            kinds[t.id] = kind_of(default, annotation)
    return out, kinds


def read_notebook_spec(path: Path) -> NotebookSpec:
    """Read one jupytext notebook's parameters cell and findings sections."""
    import jupytext

    try:
        nb = jupytext.read(path)
    except Exception as exc:  # noqa: BLE001 - a broken notebook file is reported, not raised as a traceback
        raise InputError(f"notebook {path} could not be read by jupytext ({type(exc).__name__}: {exc})") from None
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise InputError(
            f"notebook {path.name} must have exactly one cell tagged 'parameters' (found {len(cells)}); "
            "in the percent format write '# %% tags=[\"parameters\"]' above it"
        )
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    # the registered steps of this notebook, then sections written directly (notebooks of your own)
    sections = tuple(dict.fromkeys([*sections_of(path.stem), *_SECTION_CALL.findall(source)]))
    defaults, kinds = _parameter_defaults(cells[0].source, path.name)
    return NotebookSpec(path.stem, path, defaults, sections, kinds)


def discover_notebooks(notebooks_dir: str | Path | None = None) -> list[NotebookSpec]:
    """Return every notebook (``*.py``, not starting with ``_`` or ``.``) in name order.

    Raises
    ------
    InputError
        When the folder is missing or holds no notebook.
    """
    folder = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks_dir()
    if not folder.is_dir():
        raise InputError(f"notebooks folder {folder} not found; set {ENV_VAR} to the folder holding the suite's notebooks")
    paths = sorted(p for p in folder.glob("*.py") if not p.name.startswith(("_", ".")))
    if not paths:
        raise InputError(f"no notebooks (*.py, jupytext percent format) in {folder}")
    return [read_notebook_spec(p) for p in paths]


def as_ipynb(path: str | Path):
    """The notebook as an nbformat v4 node ready for Jupyter and plain papermill.

    It carries the kernelspec and language metadata papermill needs (so no
    ``-k``/``-l`` flags) and keeps the ``parameters`` tag; jupytext's pairing
    metadata is dropped so the copy stands on its own.
    """
    import jupytext

    nb = jupytext.read(path)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def markdown_heading(source: str) -> str:
    """The first line of a markdown cell without its ``#`` marks: the key of its translation."""
    first = source.strip().splitlines()[0] if source.strip() else ""
    return first.lstrip("#").strip()


def translate_markdown(nb, notebook: str):
    """Replace each markdown cell of ``nb`` by its translation in the current language, in place; return ``nb``.

    The notebooks' markdown is the English source. A language translates a
    cell under ``notebooks.<notebook>.<heading>`` of its catalogue, keyed by the
    cell's first line without ``#`` (:func:`markdown_heading`); a cell it does
    not list keeps its source. English changes nothing (docs/i18n.md).
    """
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            continue
        text = i18n.notebook_cell(notebook, markdown_heading(cell.source))
        if text is not None:
            cell.source = text.rstrip("\n")
    return nb


def export_notebooks(out_dir: str | Path, notebooks_dir: str | Path | None = None, *, force: bool = False,
                     lang: str | None = None) -> list[Path]:
    """Write the suite's notebooks into ``out_dir`` as ``.ipynb`` files.

    Parameters
    ----------
    out_dir : path
        Folder to write into (created when missing).
    notebooks_dir : path, optional
        Source folder of jupytext notebooks (default: the suite's, see
        :func:`default_notebooks_dir`).
    force : bool, default False
        Overwrite notebooks already in ``out_dir``.
    lang : str, optional
        Language of the notebooks: their markdown translated
        (:func:`translate_markdown`) and their ``lang`` parameter set to it
        (None: English, as shipped).

    Returns
    -------
    list of Path
        The files written, in suite order.

    Raises
    ------
    InputError
        When ``out_dir`` is a file, or would overwrite notebooks without ``force``.
    """
    import nbformat

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file; give a folder to write the notebooks into")
    specs = discover_notebooks(notebooks_dir)
    targets = [out / f"{s.name}.ipynb" for s in specs]
    existing = [t.name for t in targets if t.exists()]
    if existing and not force:
        raise InputError(f"{out} already holds {', '.join(existing)}; pass --force to overwrite them")
    out.mkdir(parents=True, exist_ok=True)
    with i18n.language(lang):
        for spec, target in zip(specs, targets):
            nb = translate_markdown(as_ipynb(spec.path), spec.name)
            for cell in nb.cells:
                if "parameters" in cell.get("metadata", {}).get("tags", []):
                    cell.source = re.sub(r'^lang = "[^"]*"', f'lang = "{i18n.current()}"', cell.source, flags=re.M)
            nbformat.write(nb, target)
    return targets


def select_notebooks(specs: Sequence[NotebookSpec], only: Sequence[str]) -> list[NotebookSpec]:
    """Notebooks whose name equals or starts with one of ``only`` (all when empty)."""
    if not only:
        return list(specs)
    chosen, unknown = set(), []
    for want in only:
        hits = [s.name for s in specs if s.name == want or s.name.startswith(want) or s.path.name == want]
        if not hits:
            unknown.append(want)
        chosen.update(hits)
    if unknown:
        raise ParameterError(
            f"--only {', '.join(unknown)}: no such notebook; available: {', '.join(s.name for s in specs)}"
        )
    return [s for s in specs if s.name in chosen]


def _yaml_scalar(text: str) -> Any:
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except (yaml.YAMLError, ValueError):  # ValueError: a date-like scalar that is no date (2024-02-30)
        return text
    return _plain(value)


def _plain(value: Any) -> Any:
    """Dates from YAML become ISO strings (papermill injects only plain Python literals)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def parse_parameters(
    params: Sequence[str],
    params_file: str | Path | None,
    known: Mapping[str, Any],
) -> dict[str, Any]:
    """Parse ``-p name=value`` strings and a YAML file into a parameter dict.

    Parameters
    ----------
    params : sequence of str
        ``name=value`` strings; values are YAML scalars (``3``, ``0.5``,
        ``null``, ``true``, ``2024-06-30``); they override the file.
    params_file : path, optional
        YAML mapping of parameters.
    known : mapping
        Every accepted parameter name (the union of the notebooks' parameters
        cells and the runner's own).

    Returns
    -------
    dict
        Name -> value as given by the user.

    Raises
    ------
    ParameterError
        For a malformed entry, an unknown name or a runner-owned name.
    """
    out: dict[str, Any] = {}
    if params_file is not None:
        try:
            loaded = yaml.safe_load(Path(params_file).read_text(encoding="utf-8")) or {}
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise ParameterError(f"--params {params_file}: cannot read it as YAML ({exc})") from None
        if not isinstance(loaded, dict):
            raise ParameterError(f"--params {params_file}: must be a YAML mapping of name: value")
        out.update({str(k): _plain(v) for k, v in loaded.items()})
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"-p {item!r}: write parameters as NAME=VALUE, e.g. -p lead_days=60")
        out[name.strip()] = _yaml_scalar(value)
    unknown = sorted(set(out) - set(known))
    if unknown:
        raise ParameterError(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; known parameters: "
            + ", ".join(sorted(k for k in known if k not in RUNNER_PARAMETERS or k in _USER_SETTABLE_RUNNER))
        )
    owned = sorted(set(out) & (set(RUNNER_PARAMETERS) - _USER_SETTABLE_RUNNER))
    if owned:
        raise ParameterError(f"parameter {', '.join(owned)} is set by the runner (DATA_DIR, -o, --include-ids), not by -p")
    return out
