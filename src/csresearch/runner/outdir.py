"""The output folder: safety checks, one run at a time, and all-or-nothing replacement.

A run builds everything in a temporary sibling folder and swaps it in at the
end (rename the old folder away, rename the new one in, delete the old), so an
output folder never holds a mix of two runs. Only folders that a run made (they
hold :data:`MARKER`) are ever replaced, and never one that is, or contains, or
lies inside the dataset folder.

* One run at a time: :func:`output_lock` takes an exclusive lock beside the
  output folder; a second run exits 2 saying another run holds it.
* Runs that were killed leave staging folders; the next run (holding the lock,
  so no other run can own them) removes them (:func:`remove_stale_staging`).
* An output folder that is a mount point (a Docker volume) cannot be renamed:
  the run stages inside it and moves the files in (:func:`swap_in`).
* A location that cannot be written (read-only, full, no permission) is an
  :class:`~csresearch.errors.InputError` naming the folder, not a traceback.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

__all__ = ["MARKER", "check_out_dir", "make_staging", "output_lock", "remove_stale_staging", "staged", "swap_in"]

#: Errors renaming a folder that mean "it is a mount point or otherwise cannot be renamed": write into it instead.
_CANNOT_RENAME = {errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES, errno.ENOTEMPTY}

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
    own = f".{out.name}."  # staging folders and locks of earlier runs do not make a folder foreign
    if out.is_dir() and any(not e.name.startswith(own) for e in out.iterdir()) and not (out / MARKER).is_file():
        raise InputError(
            f"output folder {out_dir} is not empty and was not made by 'csresearch run' (no {MARKER} file); "
            "choose an empty or new folder so no other files are replaced"
        )
    return out


def _not_writable(where: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write the reports into {where} ({exc.strerror or type(exc).__name__}); "
                      "choose a folder on a writable disk with free space (the previous output is unchanged)")


def _staging_parent(out: Path) -> Path:
    """Where a run stages: beside the output folder, or inside it when it is a mount point (it cannot be renamed)."""
    return out if out.is_dir() and os.path.ismount(out) else out.parent


def make_staging(out: Path) -> Path:
    """Create the temporary folder a run writes into (with the marker and this process's id).

    Raises
    ------
    InputError
        When the location cannot be written (read-only, full, no permission).
    """
    parent = _staging_parent(out)
    staging = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
        staging.chmod(0o755)
        (staging / MARKER).write_text(f"made by csresearch run (pid {os.getpid()}); this whole folder is replaced by the "
                                      "next run\n", encoding="utf-8")
    except OSError as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise _not_writable(parent, exc) from None
    return staging


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for the whole run; refuse at once when another run holds it.

    The lock is a hidden file beside the output folder (``.NAME.lock``), locked
    with ``flock``: the operating system releases it when the process ends,
    however it ends.

    Raises
    ------
    InputError
        When another run holds the lock, or the lock file cannot be created.
    """
    path = out.parent / f".{out.name}.lock"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held for the duration of the block
    except OSError as exc:
        raise _not_writable(out.parent, exc) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"another csresearch run is writing {out}; wait for it to finish or choose another folder") from None
        yield
    finally:
        handle.close()


def remove_stale_staging(out: Path) -> list[Path]:
    """Remove staging folders of ``out`` left by runs that were killed; return what was removed.

    Call it while holding :func:`output_lock`: no live run can then own a
    staging folder of ``out``. A folder whose marker names a process that is
    still alive is kept all the same.
    """
    removed = []
    for parent in {out.parent, _staging_parent(out)}:
        for folder in parent.glob(f".{out.name}.*-*"):
            if folder.is_dir() and folder.name.split(".")[-1].startswith(("new-", "old-")) and not _owner_alive(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _owner_alive(folder: Path) -> bool:
    try:
        text = (folder / MARKER).read_text(encoding="utf-8")
        pid = int(text.split("(pid ", 1)[1].split(")", 1)[0])
    except (OSError, IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield a new staging folder for ``out`` (see :func:`make_staging`); delete it when the block raises.

    The block is expected to :func:`swap_in` the folder when it succeeds.
    Staging folders of earlier runs that were killed are removed first (call
    it while holding :func:`output_lock`).
    """
    remove_stale_staging(out)
    staging = make_staging(out)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` by ``staging`` as a whole: old away, new in, old deleted.

    When ``out`` cannot be renamed (a mount point), its contents are replaced
    instead (:func:`_replace_contents`).

    Raises
    ------
    InputError
        When the new output cannot be put in place (the previous output is kept).
    """
    if staging.parent == out:
        _replace_contents(staging, out)
        return
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        try:
            os.replace(out, old)
        except OSError as exc:
            if exc.errno not in _CANNOT_RENAME:
                raise _not_writable(out.parent, exc) from None
            _replace_contents(staging, out)
            return
    try:
        os.replace(staging, out)
    except BaseException as exc:
        if old is not None:
            os.replace(old, out)
        if isinstance(exc, OSError):
            raise _not_writable(out.parent, exc) from None
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _replace_contents(staging: Path, out: Path) -> None:
    """Write into ``out`` instead of renaming it: remove its entries, move the new ones in, the marker last.

    Used when ``out`` is a mount point. Entries are moved with ``os.replace``
    when staging lies inside ``out`` (same file system), else copied.
    """
    keep = {staging.name} if staging.parent == out else set()
    for entry in list(out.iterdir()):
        if entry.name not in keep and not entry.name.startswith(f".{out.name}."):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for entry in sorted(staging.iterdir(), key=lambda e: e.name == MARKER):
        target = out / entry.name
        if staging.parent == out:
            os.replace(entry, target)
        elif entry.is_dir():
            shutil.copytree(entry, target)
        else:
            shutil.copy2(entry, target)
    shutil.rmtree(staging, ignore_errors=True)
