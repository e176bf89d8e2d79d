"""Which spec operations the simulator serves, and the README's list of those it does not.

The simulator only answers paths a spec describes; an operation no route implements answers
``501`` ("The simulator does not implement …"). README lists them (kept current by a test), so
nobody rehearses a call against the simulator that it cannot answer.
"""

from __future__ import annotations

from itertools import groupby

from odc_pipeline import openapi


def unserved_operations() -> list[tuple[str, str, str]]:
    """``(base path, METHOD, template)`` of every spec operation without a simulator route."""
    from odc_pipeline.simulator import routes  # noqa: F401  (registers every handler)
    from odc_pipeline.simulator.routing import ROUTES

    missing = []
    for base, spec_file in openapi.SPEC_FILES.items():
        for method, template, _ in openapi.iter_operations(spec_file):
            if (method, base, template) not in ROUTES:
                missing.append((base, method, template))
    return missing


def unserved_markdown() -> str:
    """One README line per API domain: the operations the simulator answers 501 for."""
    lines = []
    for base, ops in groupby(unserved_operations(), key=lambda op: op[0]):
        listed = ", ".join(f"`{method} {template}`" for _, method, template in ops)
        lines.append(f"- `{base}`: {listed}")
    return "\n".join(lines) + "\n"
