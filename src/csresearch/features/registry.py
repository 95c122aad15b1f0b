"""Turn a vectorised feature kernel into the public ``feature(dataset, *, as_of)`` function.

A *kernel* computes one feature for many points at once:
``kernel(ctx: FeatureContext, points: Points) -> ndarray`` (float64, NaN where it
cannot be computed). :func:`feature` wraps it into the public, Hamilton-style
function named like the kernel: ``name(dataset, *, as_of) -> Series``. The
public function accepts one date (a Series indexed by account_id, for every
account) or a points frame (a Series indexed by (account_id, as_of)). Every
feature is NaN at points before the account's signup_date.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .calendar import Points
from .context import FeatureContext

__all__ = ["feature", "evaluate"]

Kernel = Callable[[FeatureContext, Points], np.ndarray]


def evaluate(kernel: Kernel, ctx: FeatureContext, points: Points) -> np.ndarray:
    """Run ``kernel`` on ``points``; NaN where as_of is before signup_date."""
    values = np.asarray(kernel(ctx, points), dtype="float64")
    signup = ctx.signup_day[points.code]
    return np.where(np.isnan(signup) | (points.day < signup), np.nan, values)


def feature(kernel: Kernel | None = None, *, uses_grace_days: bool = False):
    """Decorate a kernel into a public feature function of the same name and docstring.

    Parameters
    ----------
    kernel : callable
        ``kernel(ctx, points) -> ndarray``.
    uses_grace_days : bool, default False
        Whether the feature depends on the onboarding ``grace_days`` parameter;
        the public function then takes ``grace_days=30`` too.

    Returns
    -------
    callable
        ``name(dataset, *, as_of) -> Series`` (plus ``grace_days`` when used),
        with the kernel available as ``.kernel``.
    """

    def wrap(kernel: Kernel):
        name = kernel.__name__

        def compute(dataset, as_of, grace_days: int) -> pd.Series:
            ctx = FeatureContext(dataset, grace_days=grace_days)
            points = ctx.points(as_of)
            return pd.Series(evaluate(kernel, ctx, points), index=points.index(), name=name, dtype="float64")

        if uses_grace_days:

            def public(dataset, *, as_of, grace_days: int = 30) -> pd.Series:
                return compute(dataset, as_of, grace_days)

        else:

            def public(dataset, *, as_of) -> pd.Series:
                return compute(dataset, as_of, 30)

        public.__name__ = public.__qualname__ = name
        public.__doc__ = kernel.__doc__
        public.__module__ = kernel.__module__
        public.kernel = kernel
        public.uses_grace_days = uses_grace_days
        return public

    return wrap if kernel is None else wrap(kernel)
