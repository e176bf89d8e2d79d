"""Every request any end-to-end test sends through the simulator is checked against the specs.

The simulator binds what it gets as an ASP.NET Core server would, so a request it serves can
still be one the specs do not describe (repeated keys for a scalar bind its first value). The
autouse fixture imported below records every request the simulator logs during a test and
fails the test when one departs from its spec operation (``tests/wire_contract.py``).
"""

from __future__ import annotations

from wire_contract import wire_contract

__all__ = ["wire_contract"]
