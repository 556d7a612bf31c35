"""Touchbase's benchmark suite: ``python -m bench [name ...]`` runs it and writes bench/results.md.

Every figure is a ratio, or times measured within one run on one machine, never an absolute
goal checked by a test. Each benchmark is a module with ``run() -> list[Row]`` registered in
``BENCHMARKS``; it prints its figures as it goes and returns the rows for the results table.
"""

BENCHMARKS = {
    "streak_history": "bench.streak_history",
    "streak_rebuild": "bench.streak_rebuild",
}
