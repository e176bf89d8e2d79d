"""The ODC simulator: a stateful, spec-faithful ODC tenant served over HTTP on loopback.

Users rehearse pipelines against it (``odc-pipeline simulator``, ``odc-pipeline run
--simulate``) and the test suite drives the real client through it. Public surface:
:func:`start_simulator`, :class:`RunningSimulator`, :func:`load_tenant`, :class:`Tenant`,
:class:`TenantFileError` and the fault names in :mod:`odc_pipeline.simulator.faults`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DEFAULT_TENANT": "odc_pipeline.simulator.app",
    "RunningSimulator": "odc_pipeline.simulator.app",
    "start_simulator": "odc_pipeline.simulator.app",
    "FAULT_NAMES": "odc_pipeline.simulator.faults",
    "Fault": "odc_pipeline.simulator.faults",
    "FaultError": "odc_pipeline.simulator.faults",
    "parse_fault": "odc_pipeline.simulator.faults",
    "Tenant": "odc_pipeline.simulator.tenant",
    "TenantFileError": "odc_pipeline.simulator.tenant",
    "load_tenant": "odc_pipeline.simulator.tenant",
    "parse_tenant": "odc_pipeline.simulator.tenant",
}


def __getattr__(name: str) -> Any:
    """Import on first use: ``odc-pipeline --version`` registers the ``simulator`` command
    through this package and should not pay for pydantic models it never uses."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_TENANT",
    "FAULT_NAMES",
    "Fault",
    "FaultError",
    "RunningSimulator",
    "Tenant",
    "TenantFileError",
    "load_tenant",
    "parse_fault",
    "parse_tenant",
    "start_simulator",
]
