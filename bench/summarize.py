#!/usr/bin/env python3
"""Summarizes perf_suite.sh output: per label, median [min-max] of the main figures.

usage: bench/summarize.py RUNS.jsonl
"""
import json
import statistics
import sys
from collections import OrderedDict

KEYS = [
    "steps_per_s", "steps_per_commit", "p50_step_us", "p99_step_us", "peak_rss_kb",
    "raw_lmdb_puts_per_s", "ratio_to_raw", "cpu_total_pct", "cpu_per_step_us",
    "cpu_workers_per_step_us", "cpu_clock_per_step_us", "cpu_writer_per_step_us",
    "store_busy_pct", "commit_p50_us", "resends", "fsync_probe_p50_us", "loadavg_1m_before",
]


def fmt(v):
    if isinstance(v, float) and abs(v) < 100:
        return f"{v:.2f}"
    return f"{v:,.0f}"


def main():
    runs = OrderedDict()
    with open(sys.argv[1]) as f:
        for line in f:
            j = json.loads(line)
            runs.setdefault(j["label"], []).append(j)
    for label, js in runs.items():
        print(f"## {label} ({len(js)} runs; scheduler {js[0].get('scheduler_policy')} "
              f"x{js[0].get('scheduler_threads')})")
        keys = KEYS if "steps_per_s" in js[0] else [k for k in js[0] if k != "label"]
        for k in keys:
            vals = [j[k] for j in js if isinstance(j.get(k), (int, float))]
            if not vals:
                if k in js[0]:
                    print(f"  {k:44s} {js[0][k]}")
                continue
            med = statistics.median(vals)
            rng = f" [{fmt(min(vals))}-{fmt(max(vals))}]" if len(vals) > 1 else ""
            print(f"  {k:44s} {fmt(med)}{rng}")


if __name__ == "__main__":
    main()
