"""Write a synthetic dataset to a folder, byte-for-byte reproducibly.

CSV files have sorted rows, ISO dates, ``\\n`` line ends and floats rounded
per column; Parquet files are written by pyarrow without any timestamp of
"now", so the same seed gives the same bytes in both formats. The writer never
touches a folder holding anything other than an earlier synth output, and it
replaces such an output completely (written to a temporary sibling first).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from .. import contract
from ..errors import InputError, ParameterError
from ..csvsafe import neutralise_formulas
from .truth import GENERATOR

__all__ = ["check_target", "write_synthetic", "is_synth_output"]

#: Decimals kept per float column when writing.
DECIMALS = {("contracts", "quota"): 0, ("contracts", "arr"): 0, ("usage_monthly", "quota_used"): 0,
            ("engagement", "value"): 0, ("roi", "value"): 1, ("events", "quantity"): 3}
_FORMATS = ("csv", "parquet")


def is_synth_output(folder: Path) -> bool:
    """Whether ``folder`` holds a dataset written by this generator (truth.json names it)."""
    truth = folder / "truth.json"
    if not truth.is_file() or not (folder / "dataset.yml").is_file():
        return False
    try:
        return json.loads(truth.read_text(encoding="utf-8")).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def _synth_names() -> set[str]:
    names = {"dataset.yml", "truth.json", "events"}
    return names | {f"{t}.{ext}" for t in contract.TABLES for ext in _FORMATS}


def check_target(out: Path) -> None:
    """Refuse a target folder that is not new, empty or an earlier synth output (nothing else in it).

    Raises
    ------
    InputError
        When ``out`` is a file, a folder of someone else's files, or an earlier
        output holding other files too.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"{str(out)!r} exists and is not a folder; choose a new folder for the synthetic dataset")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not is_synth_output(out):
        raise InputError(
            f"{str(out)!r} is not empty and is not an earlier csresearch synth output; "
            "refusing to overwrite it: choose an empty or new folder"
        )
    foreign = sorted(p.name for p in out.iterdir() if p.name not in _synth_names())
    if foreign:
        raise InputError(
            f"{str(out)!r} is an earlier synth output but also holds other files ({', '.join(foreign[:5])}); "
            "move them away or choose another folder"
        )


def _rounded(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == "float64":
            out[col] = out[col].round(DECIMALS.get((name, col), 4))
    return out


def _write_table(name: str, frame: pd.DataFrame, path: Path, fmt: str) -> None:
    frame = _rounded(name, frame)
    if fmt == "parquet":
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, path, compression="zstd", write_statistics=True)
        return
    date_format = "%Y-%m-%dT%H:%M:%S.%fZ" if name == "events" else "%Y-%m-%d"
    neutralise_formulas(frame).to_csv(path, index=False, lineterminator="\n", date_format=date_format, encoding="utf-8")


def write_synthetic(data, out_dir: str | Path, fmt: str = "csv") -> Path:
    """Write ``data`` (a SyntheticData) into ``out_dir``.

    Parameters
    ----------
    data : SyntheticData
        The generated dataset.
    out_dir : str or Path
        Target folder: new, empty, or an earlier synth output (replaced completely).
    fmt : {"csv", "parquet"}
        Table file format.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    InputError
        When ``out_dir`` holds anything but an earlier synth output.
    ParameterError
        For an unknown format.
    """
    if fmt not in _FORMATS:
        raise ParameterError(f"format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    out = Path(out_dir)
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.synth-tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        meta = {k: data.metadata[k] for k in ("name", "extracted_at", "description") if data.metadata.get(k) is not None}
        meta["extracted_at"] = pd.Timestamp(meta["extracted_at"]).date()  # unquoted YAML date
        (tmp / "dataset.yml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
        for name, frame in data.tables.items():
            _write_table(name, frame, tmp / f"{name}.{fmt}", fmt)
        (tmp / "truth.json").write_text(json.dumps(data.truth, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
