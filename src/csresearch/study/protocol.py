"""The step protocol: every analysis step of the study is declared once and run the same way.

A :class:`Step` names its findings section, the question it answers, the
notebook it belongs to, the function that computes it and the function that
writes its headline from the findings section. :func:`run` computes a step on a
:class:`StudyContext` (what the notebook's parameters say), writes its findings
section and returns a :class:`StepResult`, or an :class:`Unavailable` when the
data cannot answer, which renders itself and ignores plot and table calls, so a
notebook cell never needs a guard. The runner, the findings schema check and the
index read the registry (:func:`steps`) instead of spelling section names out.

To add a step: write its compute function and result view next to its
neighbours (``study/onboarding.py`` ...), declare it in ``study/registry.py`` and
call ``study.run("name", ctx)`` from a notebook.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import i18n
from ..dataset import Dataset
from ..errors import ParameterError
from ..features import reuse_feature_contexts
from ..i18n import label, t
from .common import SOFT_ERRORS, load_study_dataset, resolve_path, soft_reason
from .sections import write_section
from .suppression import MIN_SHARED_GROUP_SIZE, account_group_sizes, suppress_findings

__all__ = [
    "Shown",
    "Step",
    "StepResult",
    "StudyContext",
    "Unavailable",
    "answer_steps",
    "get_step",
    "headline_steps",
    "open_study",
    "published",
    "register",
    "run",
    "section_headline",
    "sections_of",
    "step_text",
    "steps",
]


@dataclass
class StudyContext:
    """The dataset and parameters one notebook analyses, plus a cache of intermediate tables and results.

    Attributes
    ----------
    ds : Dataset
        The dataset cut at ``as_of`` (only what was known then).
    params : dict
        The notebook's parameters (lead_days, horizon_years, months_after,
        unhealthy_threshold, seed, ...), with ``scorecard`` resolved to a path.
    output_dir : Path or None
        Where findings sections go; None in an interactive session.
    min_group_size : int
        Groups smaller than this are suppressed in displayed tables.
    include_ids : bool
        An internal report: nothing is suppressed.
    """

    ds: Dataset
    params: dict[str, Any] = field(default_factory=dict)
    output_dir: Path | None = None
    min_group_size: int = 5
    include_ids: bool = False
    cache: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        """A parameter's value, ``default`` when the notebook did not give it."""
        value = self.params.get(name)
        return default if value is None else value

    def group_sizes(self) -> dict[str, int]:
        """Accounts per level of each categorical column of the accounts (``segment[smb]``), computed once."""
        return self.cached("group_sizes", lambda: account_group_sizes(self.ds.accounts) if self.ds.accounts is not None else {})

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()`` once per context; later calls return the same object.

        While it builds, canonical features reuse one feature context per dataset (the usage panel and
        engagement indexes are built once per notebook, not once per table; the dataset is never modified).
        """
        if key not in self.cache:
            with reuse_feature_contexts(self.cache.setdefault("_feature_contexts", {})):
                self.cache[key] = build()
        return self.cache[key]


@dataclass(frozen=True)
class Step:
    """One analysis step, declared once.

    Attributes
    ----------
    name : str
        The findings section it writes (``onboarding_vs_churn``).
    heading : str
        Short heading on the index (``Onboarding and churn``); empty: no headline.
    question : str
        The question it answers, in a leader's words.
    notebook : str
        Stem of the notebook that runs it (``01_onboarding_vs_churn``).
    compute : callable
        ``compute(step, ctx) -> StepResult``; may raise one of
        :data:`~csresearch.study.common.SOFT_ERRORS` when the data cannot answer.
    headline : callable, optional
        ``headline(section) -> list of str``: plain-language sentences from the
        findings section (the index and the notebook show the same words).
    required : bool
        findings.json must hold the section or say why it is missing.
    answer : callable, optional
        ``answer(section, *used_sections) -> dict`` with ``verdict`` and
        ``answer``: the step's line in the executive summary (one per study
        question); None: the step answers no question of its own.
    actions : callable, optional
        ``actions(section, *used_sections) -> list of dict`` (``action``,
        ``because``): recommended actions the step's findings support.
    uses : tuple of str
        Other sections ``answer`` and ``actions`` read, passed after the
        step's own section in this order (None when missing).
    figure : callable, optional
        ``figure(section, ax=None) -> Axes or None``: the small figure the
        executive summary shows next to the answer.
    segments : callable, optional
        ``segments(section) -> {column heading: {segment: text}}``: the step's
        headline numbers by segment for the index's segment view.
    """

    name: str
    heading: str
    question: str
    notebook: str
    compute: Callable[["Step", StudyContext], "StepResult"]
    headline: Callable[[Any], list[str]] | None = None
    required: bool = True
    answer: Callable[..., dict[str, Any]] | None = None
    actions: Callable[..., list[dict[str, Any]]] | None = None
    uses: tuple[str, ...] = ()
    figure: Callable[..., Any] | None = None
    segments: Callable[[Any], dict[str, dict[str, str]]] | None = None


_REGISTRY: dict[str, Step] = {}


def register(step: Step) -> Step:
    """Add ``step`` to the registry (replacing a step of the same name) and return it."""
    if not step.name or not step.name.replace("_", "").isalnum():
        raise ParameterError(f"step name {step.name!r} must be letters, digits and '_' (it names a findings section)")
    _REGISTRY[step.name] = step
    return step


def steps() -> list[Step]:
    """Every registered step, in registration order (the suite's own first, declared when ``csresearch.study`` loads)."""
    return list(_REGISTRY.values())


def get_step(name: str) -> Step:
    """The step called ``name``.

    Raises
    ------
    ParameterError
        When no step has that name (the message lists the known ones).
    """
    known = {s.name: s for s in steps()}
    if name not in known:
        raise ParameterError(f"no study step {name!r}; known steps: {', '.join(known)}")
    return known[name]


@dataclass
class StepResult:
    """Base of what a step returns: findings, a headline, an answer in words, tables and plots.

    Subclasses are dataclasses that add the results they hold and implement
    :meth:`to_findings`; they may override :meth:`story` (the detailed paragraph
    under the headline) and :meth:`table` (the main table shown with the answer)
    and add plot methods taking ``ax=None`` and returning the Axes.

    Attributes
    ----------
    step : Step
        The registered step this is the result of.
    ctx : StudyContext
        The notebook's dataset and parameters (suppression settings included).
    """

    step: Step
    ctx: StudyContext

    def to_findings(self) -> Any:
        """The findings section content (a dict; ``kpis`` is a list)."""
        raise NotImplementedError

    def headline(self) -> list[str]:
        """The plain-language sentences the index shows, from :meth:`to_findings`."""
        return self.step.headline(self.to_findings()) if self.step.headline is not None else []

    def story(self) -> str:
        """The detailed answer in words (default: the headline)."""
        return " ".join(self.headline())

    def table(self) -> Any:
        """The main table shown under the answer, or None."""
        return None

    def _repr_markdown_(self) -> str:
        return self.story()

    def _repr_html_(self) -> str:
        table = self.table()
        shown = table._repr_html_() if table is not None and hasattr(table, "_repr_html_") else ""
        return f"<p>{html.escape(self.story())}</p>{shown}"


class Shown:
    """Several displayable things shown as one output (tables, results, sentences).

    Parameters
    ----------
    *parts : object
        Objects with ``_repr_html_`` (DataFrames, results) or plain text (shown in the current
        language when the catalogue's ``labels`` translate it: :func:`csresearch.i18n.label`).
    """

    def __init__(self, *parts: Any) -> None:
        self.parts = [p for p in parts if p is not None]

    def _repr_html_(self) -> str:
        return "\n".join(p._repr_html_() if hasattr(p, "_repr_html_") else f"<p>{html.escape(label(str(p)))}</p>"
                         for p in self.parts)


@dataclass
class Unavailable:
    """A step the data cannot answer, with the reason; renders itself and ignores plot and table calls.

    Attributes
    ----------
    step : Step
    reason : str
    """

    step: Step
    reason: str

    def to_findings(self) -> dict[str, str]:
        """``{"reason": ...}``: the section says why it is missing."""
        return {"reason": self.reason}

    def headline(self) -> list[str]:
        """One sentence saying why there is no answer."""
        return [t("study.not_computable", reason=i18n.label_text(str(self.reason)))]

    def story(self) -> str:
        """The same sentence."""
        return self.headline()[0]

    def _repr_markdown_(self) -> str:
        return self.story()

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.story())}</p>"

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("_"):
            raise AttributeError(name)
        return _nothing


def _nothing(*args: Any, **kwargs: Any) -> None:
    """What a plot or table call on an :class:`Unavailable` step does: nothing."""
    return None


def run(name: str, ctx: StudyContext) -> StepResult | Unavailable:
    """Compute step ``name`` on ``ctx`` (once per context), write its findings section, return the result.

    Parameters
    ----------
    name : str
        A registered step (see :func:`steps`).
    ctx : StudyContext
        From :func:`csresearch.study.open`.

    Returns
    -------
    StepResult or Unavailable
        Unavailable when the data cannot answer (the section then holds the reason).
    """
    step = get_step(name)

    def compute() -> StepResult | Unavailable:
        try:
            return step.compute(step, ctx)
        except SOFT_ERRORS as exc:
            return Unavailable(step, soft_reason(exc))

    result = ctx.cached(f"step:{name}", compute)
    if ctx.output_dir is not None:
        write_section(name, published(result.to_findings(), ctx), ctx.output_dir)
    return result


def published(section: Any, ctx: StudyContext) -> Any:
    """A findings section as shared: groups smaller than ``ctx.min_group_size`` suppressed (nothing when ``include_ids``).

    The one place the minimum group size applies to findings.json: counts
    (``n``) below it, values of small named groups (``segment[tiny]``) and
    sentences about them (:func:`~csresearch.study.suppression.suppress_findings`).
    """
    if ctx.include_ids:
        return section
    return suppress_findings(section, ctx.min_group_size, ctx.group_sizes())


def sections_of(notebook: str) -> tuple[str, ...]:
    """The findings sections the registered steps of ``notebook`` write."""
    return tuple(s.name for s in steps() if s.notebook == notebook)


def step_text(step: Step, field_name: str) -> str:
    """The step's ``heading`` or ``question`` in the current language.

    The registry's words are the English source; another language translates
    them under ``steps.<name>.<field>`` in its catalogue (a step it does not
    list keeps the source words).
    """
    key = f"steps.{step.name}.{field_name}"
    source = getattr(step, field_name)
    return t(key) if source and i18n.current() != i18n.DEFAULT and i18n.has(key) else source


def answer_steps() -> list[Step]:
    """Steps that answer a study question in the executive summary, in registry order."""
    return [s for s in steps() if s.answer is not None]


def headline_steps() -> list[Step]:
    """Steps with a heading on the index, in registry order."""
    return [s for s in steps() if s.heading]


def section_headline(step: Step, section: Any, missing: Mapping[str, str]) -> list[str]:
    """The index sentences of one step from its findings section (or why it is missing)."""
    if section is None:
        return [t("study.not_available", reason=i18n.label_text(str(missing.get(step.name, t("study.not_produced")))))]
    if isinstance(section, Mapping) and set(section) == {"reason"}:
        return [t("study.not_computed", reason=i18n.label_text(str(section["reason"])))]
    try:
        return step.headline(section) if step.headline is not None else []
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        return [t("study.malformed", section=step.name, error=f"{type(exc).__name__}: {exc}")]


def open_study(
    data_dir: str | Path,
    as_of: str | None = None,
    *,
    output_dir: str | Path | None = None,
    min_group_size: int = 5,
    include_ids: bool = False,
    scorecard: str | Path | None = None,
    lang: str | None = None,
    **params: Any,
) -> StudyContext:
    """Load the dataset a notebook analyses (cut at ``as_of``) and bundle it with the notebook's parameters.

    Parameters
    ----------
    data_dir : path
        The dataset folder; a relative path is looked up from the working
        directory upwards (:func:`~csresearch.study.common.resolve_path`).
    as_of : str, optional
        Analyse the data as known on this day (None: ``extracted_at``).
    output_dir : path, optional
        Where findings sections go (set by ``csresearch run``); None writes nothing.
    min_group_size : int, default 5
        Groups smaller than this are suppressed in the tables a step shows and
        in its findings section; at least 5 unless ``include_ids``.
    include_ids : bool, default False
        An internal report: suppress nothing.
    scorecard : path, optional
        Scorecard YAML (None: the built-in DEAR scorecard).
    lang : str, optional
        Language of every sentence, table header and figure label from now on
        in this session (:func:`csresearch.i18n.set_language`; None: English).
    **params
        The step parameters the notebook declares (``lead_days``,
        ``horizon_years``, ``months_after``, ``unhealthy_threshold``, ``seed``).

    Returns
    -------
    StudyContext
    """
    if int(min_group_size) < MIN_SHARED_GROUP_SIZE and not include_ids:
        raise ParameterError(f"min_group_size={min_group_size}: shared output needs a minimum group size of at least "
                             f"{MIN_SHARED_GROUP_SIZE} (smaller groups can identify accounts); a smaller value needs "
                             "include_ids=True (an internal report)")
    i18n.set_language(lang)
    from ..plots import use_report_style  # every figure of the notebook, analysis plots too: sizes and fonts

    use_report_style()
    ds = load_study_dataset(data_dir, as_of)
    out = resolve_path(output_dir) if output_dir is not None else None
    return StudyContext(ds, dict(params, scorecard=resolve_path(scorecard)), out, int(min_group_size), bool(include_ids))
