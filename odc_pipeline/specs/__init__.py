"""Vendored copies of the official ODC OpenAPI specs (the contract); see odc_pipeline.openapi."""
