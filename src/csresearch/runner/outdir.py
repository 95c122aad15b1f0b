"""The output folder: safety checks and all-or-nothing replacement.

A run builds everything in a temporary sibling folder and swaps it in at the
end (rename the old folder away, rename the new one in, delete the old), so an
output folder never holds a mix of two runs. Only folders that a run made (they
hold :data:`MARKER`) are ever replaced, and never one that is, or contains, or
lies inside the dataset folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

__all__ = ["MARKER", "check_out_dir", "make_staging", "staged", "swap_in"]

#: File a run writes into its output folder; a non-empty folder without it is never replaced.
MARKER = ".csresearch-run"


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_out_dir(out_dir: str | Path, data_dir: str | Path) -> Path:
    """Refuse an output folder that could overwrite input data or foreign files.

    Parameters
    ----------
    out_dir, data_dir : path
        Output and dataset folders.

    Returns
    -------
    Path
        The resolved output folder.

    Raises
    ------
    InputError
        When OUT_DIR equals DATA_DIR, lies inside it or contains it, is a file,
        or is a non-empty folder not made by ``csresearch run``.
    """
    out, data = Path(out_dir).resolve(), Path(data_dir).resolve()
    if _inside(out, data):
        raise InputError(f"output folder {out_dir} is inside the dataset folder {data_dir}; choose a folder outside it (input data is never written)")
    if _inside(data, out):
        raise InputError(f"output folder {out_dir} contains the dataset folder {data_dir}; replacing it would delete the data, choose another folder")
    if out.exists() and not out.is_dir():
        raise InputError(f"output path {out_dir} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise InputError(
            f"output folder {out_dir} is not empty and was not made by 'csresearch run' (no {MARKER} file); "
            "choose an empty or new folder so no other files are replaced"
        )
    return out


def make_staging(out: Path) -> Path:
    """Create the temporary sibling folder a run writes into, with the marker file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    staging.chmod(0o755)
    (staging / MARKER).write_text("made by csresearch run; this whole folder is replaced by the next run\n", encoding="utf-8")
    return staging


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield a new staging folder for ``out`` (see :func:`make_staging`); delete it when the block raises.

    The block is expected to :func:`swap_in` the folder when it succeeds.
    """
    staging = make_staging(out)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` as a whole: old away, new in, old deleted."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
    try:
        os.replace(staging, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
