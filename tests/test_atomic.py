"""Atomic output writes: all or nothing."""

from __future__ import annotations

import pytest

from csresearch.atomic import atomic_path, write_text_atomic


def test_write_text_atomic_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "out.json"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("previous run")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("disk full")
    assert target.read_text() == "previous run"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
