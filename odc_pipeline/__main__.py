"""Allow ``python -m odc_pipeline`` as well as the ``odc-pipeline`` console script."""

from odc_pipeline.cli import main

raise SystemExit(main())
