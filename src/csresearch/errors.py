"""Exceptions raised by csresearch.

Every error that csresearch raises on purpose derives from :class:`CsResearchError`,
so that callers (and the CLI) can tell a problem with the data or the parameters
from a bug. The CLI turns these into a clear message and a non-zero exit code,
never a Python traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .violations import ValidationReport


class CsResearchError(Exception):
    """Base class of every error csresearch raises on purpose.

    Attributes
    ----------
    exit_code : int
        Exit code the CLI uses for this error (2 = bad input, 1 = failed run).
    """

    exit_code = 1


class InputError(CsResearchError):
    """Bad input from the user: a missing path, a malformed file, a bad option."""

    exit_code = 2


class DatasetNotFoundError(InputError):
    """The dataset folder does not exist or is not a folder."""


class DataContractError(InputError):
    """A dataset breaks the data contract.

    Parameters
    ----------
    report : ValidationReport
        Every violation found, so that the caller can show them all at once.
    """

    def __init__(self, report: "ValidationReport"):
        self.report = report
        super().__init__(report.format_text())


class ParameterError(InputError):
    """An unknown or invalid analysis parameter."""


class EngineUnavailableError(InputError):
    """An optional engine (Spark) or what it needs (pyspark, Java 17) is not installed or cannot start."""


class AnalysisError(CsResearchError):
    """An analysis could not be computed on the given data."""


class RunInterrupted(CsResearchError):
    """A run stopped before it finished (a signal, a full disk); its output was not written, the previous one is intact."""

    exit_code = 1
