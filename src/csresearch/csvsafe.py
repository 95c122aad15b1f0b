"""CSV cells that a spreadsheet would run as a formula are written as text.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel and LibreOffice when the file is opened
(``=HYPERLINK(...)`` in an account id, say). Every CSV csresearch writes passes
its text columns through :func:`neutralise_formulas`, which prefixes such cells
with a single quote, the spreadsheet convention for "this is text".
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise_formulas"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts like a formula prefixed by ``'`` (a copy when anything changes).

    Numbers are left alone (a negative number is not a formula); only text
    columns (object, string, category) are looked at.
    """
    out = frame
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)
                or isinstance(values.dtype, pd.CategoricalDtype)):
            continue
        text = values.astype("str")
        risky = values.notna() & text.str.startswith(FORMULA_PREFIXES)
        if risky.any():
            if out is frame:
                out = frame.copy()
            out[column] = values.astype("object").where(~risky, "'" + text)
    return out
