"""Every request any end-to-end test sends through the simulator is checked against the specs.

The simulator binds what it gets as an ASP.NET Core server would, so a request it serves can
still be one the specs do not describe (repeated keys for a scalar bind its first value). The
autouse fixture below records every request the simulator logs during a test and fails the
test when one departs from its spec operation (``tests/wire_contract.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from wire_contract import logged_problems

from odc_pipeline.simulator.requestlog import LoggedRequest, RequestLog


@pytest.fixture(autouse=True)
def wire_contract(monkeypatch) -> Iterator[list[LoggedRequest]]:
    seen: list[LoggedRequest] = []
    original = RequestLog.append

    def append(self: RequestLog, entry: LoggedRequest) -> None:
        seen.append(entry)
        original(self, entry)

    monkeypatch.setattr(RequestLog, "append", append)
    yield seen
    problems = sorted(set(logged_problems(seen)))
    assert problems == [], "requests the specs do not describe:\n" + "\n".join(problems)
