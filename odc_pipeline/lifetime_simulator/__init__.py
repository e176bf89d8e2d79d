"""The LifeTime simulator: a stateful OutSystems 11 LifeTime (API v2 + Properties API) on loopback.

It shares the ODC simulator's clock, fault switchboard and request log. Public surface:
:func:`start_lifetime_simulator`, :class:`RunningLifeTimeSimulator`, :data:`DEFAULT_LIFETIME_TENANT`,
:func:`load_lifetime_tenant`, :func:`parse_lifetime_tenant`, :class:`LifeTimeTenant` and
:data:`LIFETIME_FAULT_NAMES`. Imports are lazy, like :mod:`odc_pipeline.simulator`'s.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DEFAULT_LIFETIME_TENANT": "odc_pipeline.lifetime_simulator.app",
    "RunningLifeTimeSimulator": "odc_pipeline.lifetime_simulator.app",
    "start_lifetime_simulator": "odc_pipeline.lifetime_simulator.app",
    "LIFETIME_FAULT_NAMES": "odc_pipeline.lifetime_simulator.faults",
    "parse_lifetime_fault": "odc_pipeline.lifetime_simulator.faults",
    "LifeTimeTenant": "odc_pipeline.lifetime_simulator.tenant",
    "load_lifetime_tenant": "odc_pipeline.lifetime_simulator.tenant",
    "parse_lifetime_tenant": "odc_pipeline.lifetime_simulator.tenant",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_LIFETIME_TENANT",
    "LIFETIME_FAULT_NAMES",
    "LifeTimeTenant",
    "RunningLifeTimeSimulator",
    "load_lifetime_tenant",
    "parse_lifetime_fault",
    "parse_lifetime_tenant",
    "start_lifetime_simulator",
]
