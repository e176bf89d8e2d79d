"""Check every simulator answer against the spec's response schema for its status."""

from __future__ import annotations

from typing import Any

import jsonschema
import requests

from odc_pipeline import openapi

# Statuses a spec may omit but a real tenant still answers (odc-api-notes §7.5); their bodies
# must still be the domain's ProblemDetails.
UNDECLARED_BUT_REAL = {401, 403, 404, 429}


class ContractChecker:
    """Sends requests through ``api`` and fails on any answer the spec does not describe."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.seen: set[tuple[str, str, str]] = set()
        self.answers: list[tuple[str, str, int]] = []

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.api(method, path, **kwargs)
        operation = openapi.find_operation(method, path)
        assert operation is not None, f"{method} {path} is not in any spec"
        self.seen.add((method, operation.base_path, operation.template))
        self.answers.append((method, operation.endpoint, response.status_code))
        check_response(operation, response)
        return response


def check_response(operation: openapi.Operation, response: requests.Response) -> None:
    spec = openapi.load_spec(operation.spec_file)
    status = response.status_code
    declared = openapi.declared_statuses(spec, operation.method, operation.template)
    where = f"{operation.endpoint} answered {status}"
    takes_input = bool(operation.definition.get("parameters") or operation.definition.get("requestBody"))
    allowed = str(status) in declared or status in UNDECLARED_BUT_REAL or "default" in declared
    allowed = allowed or (status == 400 and takes_input)  # a request the spec refuses must be refused
    assert allowed, f"{where}: not declared ({declared})"
    if str(status) in declared:
        schema = openapi.response_schema(spec, operation.method, operation.template, status)
    elif status >= 400:
        schema = problem_schema(spec)  # undeclared errors carry the domain's ProblemDetails
    else:
        schema = openapi.response_schema(spec, operation.method, operation.template, status)
    if schema is None:
        assert not response.content, f"{where}: the spec declares no body, got {response.text[:200]!r}"
        return
    assert response.headers.get("Content-Type", "").startswith("application/json"), where
    body = response.json()
    errors = openapi.validate(body, schema)
    assert not errors, f"{where}: {errors}"
    jsonschema.Draft202012Validator(schema).validate(body)


def problem_schema(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec["components"]["schemas"]
    name = "ProblemDetails" if "ProblemDetails" in schemas else "Microsoft.AspNetCore.Mvc.ProblemDetails"
    return openapi.to_json_schema({"$ref": f"#/components/schemas/{name}"}, spec)
