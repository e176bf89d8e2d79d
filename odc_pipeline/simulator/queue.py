"""The per-stage deployment queue (odc-api-notes §11.6).

ODC accepts several deployment operations on one stage at the same time and queues them. How
many run at once is not documented, so it is the tenant file's ``deployment_queue.per_stage``
(``None``: no limit). Durations are fixed when an operation is accepted, so the whole
schedule is decided at POST time, first come first served, and every status stays a pure
function of the clock.
"""

from __future__ import annotations


class StageQueues:
    """When each stage's deployment slots free up; hands out start times."""

    def __init__(self, per_stage: int | None) -> None:
        self.per_stage = per_stage
        self._slots: dict[str, list[float]] = {}

    def start_time(self, stage_key: str, now: float, duration: float) -> float:
        """When an operation accepted at ``now`` starts: at once, or when the first slot frees."""
        if self.per_stage is None:
            return now
        slots = self._slots.setdefault(stage_key, [float("-inf")] * self.per_stage)
        index = min(range(len(slots)), key=slots.__getitem__)
        start = max(now, slots[index])
        slots[index] = start + duration
        return start
