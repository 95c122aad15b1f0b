"""Runs that are killed, run twice at once, or cannot write (issue 15, items 5-7).

The runs use a tiny dataset and notebooks of their own (a sleeping one to be
killed in the middle of), so a kernel is the slow part.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from csresearch.cli import main as cli
from csresearch.runner.outdir import MARKER, output_lock, remove_stale_staging
from test_runner import DATASET, write_files

pytestmark = pytest.mark.xdist_group("faults")

SLEEPER = '''\
    # %% [markdown]
    # # Sleeper

    # %% tags=["parameters"]
    data_dir = None
    output_dir = None
    seconds = 0

    # %%
    import time

    time.sleep(seconds)
    '''
QUICK = '''\
    # %% [markdown]
    # # Quick

    # %% tags=["parameters"]
    data_dir = None
    output_dir = None

    # %%
    from csresearch.report.findings import write_section

    write_section("quick", {"ok": True}, output_dir)
    '''


@pytest.fixture
def workspace(tmp_path):
    write_files(tmp_path / "data", DATASET)
    write_files(tmp_path / "nbs", {"00_quick.py": QUICK, "01_sleep_a.py": SLEEPER, "02_sleep_b.py": SLEEPER})
    return tmp_path


def _cli(workspace: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "csresearch.cli", "run", str(workspace / "data"), "-o", str(out), *extra]


def _env(workspace: Path) -> dict[str, str]:
    return dict(os.environ, CSRESEARCH_NOTEBOOKS=str(workspace / "nbs"))


def _staging(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.new-*"))


def _start_sleeping_run(workspace: Path, out: Path) -> tuple[subprocess.Popen, list[int]]:
    """A --jobs 2 run whose two sleeping notebooks are running; returns it and its worker/kernel pids."""
    proc = subprocess.Popen(_cli(workspace, out, "--jobs", "2", "--only", "01", "--only", "02", "-p", "seconds=120"),
                            env=_env(workspace), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    children: list[int] = []
    while time.monotonic() < deadline:
        kids = psutil.Process(proc.pid).children(recursive=True)
        kernels = [k for k in kids if "ipykernel" in " ".join(k.cmdline())]
        if len(kernels) >= 2:
            time.sleep(5)  # let the kernels finish starting: one killed while IPython starts prints its own traceback
            children = [k.pid for k in psutil.Process(proc.pid).children(recursive=True)]
            break
        time.sleep(0.5)
    assert children, "the two sleeping notebooks never started"
    return proc, children


def _all_gone(pids: list[int], within_s: float = 30) -> list[int]:
    deadline = time.monotonic() + within_s
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.5)
    return alive


def test_a_second_run_into_the_same_folder_exits_2(workspace, tmp_path):
    out = tmp_path / "out"
    with output_lock(out):
        result = CliRunner().invoke(cli, ["run", str(workspace / "data"), "-o", str(out)], env=_env(workspace))
    assert result.exit_code == 2
    assert "another csresearch run is writing" in result.output


def test_stale_staging_of_dead_runs_is_removed_and_live_ones_kept(tmp_path):
    out = tmp_path / "out"
    dead, live = tmp_path / ".out.new-dead", tmp_path / ".out.new-live"
    for folder, pid in ((dead, 2**22 + 12345), (live, os.getppid())):
        folder.mkdir()
        (folder / MARKER).write_text(f"made by csresearch run (pid {pid}); ...")
    old = tmp_path / ".out.old-x1"
    old.mkdir()
    assert sorted(p.name for p in remove_stale_staging(out)) == [".out.new-dead", ".out.old-x1"]
    assert live.exists() and not dead.exists()


@pytest.mark.slow
def test_sigterm_cleans_up_stops_workers_and_keeps_the_previous_output(workspace, tmp_path):
    out = tmp_path / "out"
    first = subprocess.run(_cli(workspace, out, "--only", "00"), env=_env(workspace), capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = (out / "findings.json").read_bytes()
    proc, children = _start_sleeping_run(workspace, out)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "interrupted (SIGTERM)" in err and "Traceback" not in err
    assert not _all_gone(children), "worker or kernel processes outlived the run"
    assert _staging(out) == []
    assert (out / "findings.json").read_bytes() == before


@pytest.mark.slow
def test_sigkill_workers_die_with_the_parent_and_the_next_run_removes_its_staging(workspace, tmp_path):
    out = tmp_path / "out"
    proc, children = _start_sleeping_run(workspace, out)
    proc.kill()
    proc.wait(timeout=30)
    assert not _all_gone(children), "worker or kernel processes outlived a killed run"
    assert len(_staging(out)) == 1
    again = subprocess.run(_cli(workspace, out, "--only", "00"), env=_env(workspace), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert _staging(out) == [] and json.loads((out / "findings.json").read_text())["quick"] == {"ok": True}


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8); not available here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}): no CAP_SYS_ADMIN")


@pytest.fixture
def mounts():
    made: list[Path] = []
    yield made
    for where in reversed(made):
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_output_folder_that_is_a_mount_point_is_written_into(workspace, tmp_path, mounts):
    out = tmp_path / "volume"
    _mount_tmpfs(out, "size=64m")
    mounts.append(out)
    for _ in range(2):  # a fresh mount, then replacing an earlier run's output
        result = CliRunner().invoke(cli, ["run", str(workspace / "data"), "-o", str(out), "--only", "00"], env=_env(workspace))
        assert result.exit_code == 0, result.output
    assert json.loads((out / "findings.json").read_text())["quick"] == {"ok": True}
    assert (out / MARKER).is_file() and not [p for p in out.iterdir() if ".new-" in p.name]


def test_read_only_location_exits_2_with_a_clear_message(workspace, tmp_path, mounts):
    parent = tmp_path / "ro"
    _mount_tmpfs(parent, "ro,size=1m")
    mounts.append(parent)
    result = CliRunner().invoke(cli, ["run", str(workspace / "data"), "-o", str(parent / "out"), "--only", "00"],
                                env=_env(workspace))
    assert result.exit_code == 2, result.output
    assert "cannot write the reports into" in result.output and "Traceback" not in result.output


def test_full_disk_mid_run_exits_1_and_keeps_the_previous_output(workspace, tmp_path, mounts):
    parent = tmp_path / "small"
    _mount_tmpfs(parent, "size=256k")
    mounts.append(parent)
    out = parent / "out"
    first = CliRunner().invoke(cli, ["run", str(workspace / "data"), "-o", str(out), "--only", "00"], env=_env(workspace))
    assert first.exit_code == 0, first.output
    before = (out / "findings.json").read_bytes()
    filler = parent / "filler"
    try:
        with open(filler, "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
    except OSError:
        pass
    result = CliRunner().invoke(cli, ["run", str(workspace / "data"), "-o", str(out), "--only", "00"], env=_env(workspace))
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output and ("could not write" in result.output or "cannot write" in result.output)
    assert (out / "findings.json").read_bytes() == before and _staging(out) == []
