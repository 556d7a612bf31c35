"""Run the benchmarks (all, or those named) and write bench/results.md."""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

from . import BENCHMARKS
from .common import Row

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"  # the latest rows of each benchmark (not committed)
TABLE = HERE / "results.md"
README = HERE.parent / "README.md"
README_TABLE_HEAD = "| benchmark | figure | goal | measured | machine |"


def write_table() -> str:
    """Render every benchmark's latest rows into bench/results.md; return the table.

    A benchmark without rows in bench/results/ (a fresh checkout runs only some) keeps the rows
    bench/results.md has for it.
    """
    kept = _rows_in_table()
    lines = ["| benchmark | figure | goal | measured | machine |", "|---|---|---|---|---|"]
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            lines += kept.get(name, [])
            continue
        for row in json.loads(path.read_text()):
            lines.append("| {benchmark} | {figure} | {goal} | {measured} | {note} |".format(**row))
    table = "\n".join(lines) + "\n"
    TABLE.write_text(
        "# Benchmark results\n\n"
        "Written by `make bench` (`python -m bench`); each figure is a ratio, or times measured in one\n"
        "run on the machine named in the last column.\n\n" + table
    )
    _update_readme(table)
    return table


def _rows_in_table() -> dict[str, list[str]]:
    """Return the lines of bench/results.md's table, by benchmark."""
    rows: dict[str, list[str]] = {}
    if not TABLE.exists():
        return rows
    for line in TABLE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in BENCHMARKS:
            rows.setdefault(cells[0], []).append(line)
    return rows


def _update_readme(table: str) -> None:
    """Replace the results table in README.md, so the README always shows the latest run."""
    text = README.read_text()
    start = text.find(README_TABLE_HEAD)
    if start < 0:
        return
    end = start
    while end < len(text):
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end + 1
        if not text[end:line_end].startswith("|"):
            break
        end = line_end
    README.write_text(text[:start] + table + text[end:])


def main(argv: list[str]) -> int:
    """Run the benchmarks named in *argv* (default: all), keep their rows, rewrite the table."""
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        rows: list[Row] = importlib.import_module(BENCHMARKS[name]).run()
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        (RESULTS / f"{name}.json").write_text(json.dumps([r.as_dict() for r in rows], indent=1, ensure_ascii=False))
    print(write_table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
