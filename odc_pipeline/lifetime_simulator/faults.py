"""The LifeTime simulator's fault names, on the ODC simulator's switchboard (one mechanism for both).

Same options (``path``, ``method``, ``times``, ``after``, ``status``, ``seconds``) and syntax
(``--fault NAME[:opt=value,...]``); the default ``path`` is every request (``/``), because the
LifeTime and Properties APIs have different prefixes. What differs is what a fault does:

* ``token-expiry``: the service accounts' tokens are revoked, as "Generate new Authentication
  Token" in LifeTime does: every later request with an old token gets 401 (fires once by default;
  ``RunningLifeTimeSimulator.tokens`` has the new ones);
* ``permission-denied``: 403 in the swagger's ``Exception`` shape;
* ``drop-connection`` closes the socket before the request is handled (nothing changed), while
  ``drop-response`` handles it and then closes the socket without answering: the outcome a client
  cannot know, which is where at-most-once is tested (a plan created, its key lost);
* ``server-error`` (500/502/503), ``slow-response``, ``rate-limit-storm``
  (429; LifeTime documents no rate limit, but a gateway in front of it may answer one).
"""

from __future__ import annotations

from odc_pipeline.simulator.faults import (
    DROP_CONNECTION,
    RATE_LIMIT_STORM,
    SERVER_ERROR,
    SLOW_RESPONSE,
    TOKEN_EXPIRY,
    Fault,
    Faults,
    make_fault,
    parse_fault,
)

PERMISSION_DENIED = "permission-denied"
DROP_RESPONSE = "drop-response"
LIFETIME_FAULT_NAMES = (
    SERVER_ERROR,
    DROP_CONNECTION,
    DROP_RESPONSE,
    SLOW_RESPONSE,
    TOKEN_EXPIRY,
    RATE_LIMIT_STORM,
    PERMISSION_DENIED,
)
DEFAULT_PATH = "/"


def switchboard() -> Faults:
    return Faults(known=LIFETIME_FAULT_NAMES, default_path=DEFAULT_PATH)


def lifetime_fault(name: str, **options: object) -> Fault:
    return make_fault(name, known=LIFETIME_FAULT_NAMES, default_path=DEFAULT_PATH, **options)


def parse_lifetime_fault(text: str) -> Fault:
    return parse_fault(text, known=LIFETIME_FAULT_NAMES, default_path=DEFAULT_PATH)
