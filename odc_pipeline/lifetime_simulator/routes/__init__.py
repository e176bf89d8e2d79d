"""Route handlers, one module per domain; importing this package registers them all."""

from odc_pipeline.lifetime_simulator.routes import (  # noqa: F401
    applications,
    deployments,
    environments,
    modules,
    properties,
)
