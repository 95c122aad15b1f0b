"""Write one benchmark's section of benchmarks/RESULTS.md, keeping the other sections.

Each script owns the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``;
a section that is not there yet is appended.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nEach section is written by the script it names; see benchmarks/README.md.\n"


def write_section(name: str, text: str, path: Path = RESULTS) -> Path:
    """Replace (or append) section ``name`` of RESULTS.md with ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{text.strip()}\n{end}"
    current = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    new = pattern.sub(lambda _: block, current) if pattern.search(current) else current.rstrip() + "\n\n" + block + "\n"
    path.write_text(new)
    return path


def machine() -> dict:
    """CPU model, cores, RAM (GB), OS and Python version of this machine."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024**2, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }

