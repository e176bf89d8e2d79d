"""The ODC simulator: a stateful, spec-faithful ODC tenant served over HTTP on loopback.

Users rehearse pipelines against it (``odc-pipeline simulator``, ``odc-pipeline run
--simulate``) and the test suite drives the real client through it. Public surface:
:func:`start_simulator`, :class:`RunningSimulator`, :func:`load_tenant`, :class:`Tenant`,
:class:`TenantFileError` and the fault names in :mod:`odc_pipeline.simulator.faults`.
"""

from odc_pipeline.simulator.app import DEFAULT_TENANT, RunningSimulator, start_simulator
from odc_pipeline.simulator.faults import FAULT_NAMES, Fault, FaultError, parse_fault
from odc_pipeline.simulator.tenant import Tenant, TenantFileError, load_tenant, parse_tenant

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
