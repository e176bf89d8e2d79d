"""Issue #14 benchmark row: our poller vs the official scripts' 20 s sleep on LifeTime plans."""

from __future__ import annotations

import random

from bench.lifetime_polling import official, ours, run


def test_the_official_waiter_reads_at_start_then_every_20_seconds() -> None:
    assert official(45.0) == (15.0, 4)  # GETs at 0, 20, 40, 60 s; noticed 15 s late
    assert official(20.0) == (0.0, 2)


def test_ours_runs_the_real_poller_and_notices_every_plan() -> None:
    lag, calls = ours(200.0, random.Random(1))
    assert lag >= 0.0
    assert 1 <= calls < 200


def test_the_table_compares_both_waiters_in_one_run() -> None:
    (table,) = run(quick=True)
    assert [row[0] for row in table.rows] == ["official scripts (20 s sleep)", "odc-pipeline poller"]
    assert table.rows[0][4] == "1.00×"  # the baseline is the official scripts, same run
    assert table.rows[1][4].endswith("×")
