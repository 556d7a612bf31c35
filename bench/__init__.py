"""Touchbase's benchmark suite: ``python -m bench [name ...]`` runs it and writes bench/results.md.

Every figure is a ratio, or times measured within one run on one machine, never an absolute
goal checked by a test. Each benchmark is a module with ``run() -> list[Row]`` registered in
``BENCHMARKS``; it prints its figures as it goes and returns the rows for the results table.
"""

BENCHMARKS = {
    "streak_history": "bench.streak_history",
    "streak_rebuild": "bench.streak_rebuild",
    "load_touches": "bench.load_touches",
    "kill9": "bench.kill9",
    "push_outage": "bench.push_outage",
    "today_throughput": "bench.today_throughput",
    "nudge_scan": "bench.nudge_scan",
    "push_rate": "bench.push_rate",
    "lighthouse": "bench.lighthouse",
    "trends": "bench.trends",
}
