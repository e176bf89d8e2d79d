"""Vendored contracts: the official ODC OpenAPI specs (see odc_pipeline.openapi), the official LifeTime API v2
swagger and our UNDOC reconstruction of the Properties API (see odc_pipeline.swagger)."""
