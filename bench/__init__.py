"""Benchmarks for odc-pipeline: polling cadence, multi-asset scheduling and overhead.

Run with ``python -m bench`` from the repository root (or ``python3 tools/dev.py bench``).
Each benchmark prints a markdown table and the whole set is written to ``bench/results.md``;
every figure sits beside a baseline measured in the same process, so ratios survive a noisy
machine even when absolute times do not.
"""
