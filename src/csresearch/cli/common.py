"""What every sub-command shares: CsResearchError -> message on stderr and exit code."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from ..errors import CsResearchError

__all__ = ["friendly_errors"]


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command so that a CsResearchError prints ``error: ...`` and exits with its exit code.

    Parameters
    ----------
    func : callable
        The command callback.

    Returns
    -------
    callable
        The wrapped callback; other exceptions pass through (they are bugs).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CsResearchError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper
