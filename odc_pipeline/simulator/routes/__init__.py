"""One module per API domain; importing this package registers every handler."""

from odc_pipeline.simulator.routes import (  # noqa: F401
    assets,
    builds,
    code_quality,
    configurations,
    dependencies,
    deployments,
    external_libraries,
    portfolio,
)
