"""What went over the wire, checked against the spec operation it claims to call.

One checker for every recorded request — the API stub's ``Seen`` calls and the simulator's
request log alike — so the client's contract is judged by the specs, not by our simulator
(which binds repeated scalar keys silently, as ASP.NET Core does). For each request:

* the operation exists in a spec, and is not the deprecated Portfolio v1;
* every query name is declared with exactly that spelling, and required ones are present;
* a parameter the spec types as a scalar is sent **once** (repeated keys are for ``type: array``
  only: a server keeps one of them), and every value binds to its declared type, enum and the
  "Allowed: …" list its description writes;
* every path parameter binds to its declared type;
* the JSON body validates against the request schema; an operation without one gets no body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest

from odc_pipeline import openapi
from odc_pipeline.simulator.requestlog import LoggedRequest, RequestLog

ALLOWED_IN_DESCRIPTION = re.compile(
    r"(?:Allowed(?: values)?|Currently supported sort values)\s*:\s*([^\n]+)", re.IGNORECASE
)
NO_BODY = object()


def allowed_by_description(spec_file: str, method: str, template: str, name: str) -> set[str] | None:
    spec = openapi.load_spec(spec_file)
    item = spec["paths"][template]
    for parameter in (*item.get("parameters", ()), *item[method.lower()].get("parameters", ())):
        if parameter.get("name") == name and parameter.get("in") == "query":
            match = ALLOWED_IN_DESCRIPTION.search(parameter.get("description") or "")
            if not match:
                return None
            return {w.strip(" .'\"") for w in re.split(r"[,|]", match.group(1)) if w.strip(" .")}
    return None


def request_problems(
    method: str, path: str, query: str | Sequence[tuple[str, str]], body: Any = NO_BODY
) -> list[str]:
    """Every way one request departs from its spec operation (empty = it is what the spec says)."""
    operation = openapi.find_operation(method, path)
    if operation is None:
        return [f"{method} {path} is in no spec"]
    if operation.base_path == "/api/portfolios/v1":
        return [f"{operation.endpoint} uses the deprecated Portfolio v1"]
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    return [
        *_query_problems(operation, pairs),
        *_path_problems(operation),
        *([] if body is NO_BODY else _body_problems(operation, body)),
    ]


def _query_problems(operation: openapi.Operation, pairs: list[tuple[str, str]]) -> list[str]:
    declared = openapi.query_parameters(operation.spec_file, operation.method, operation.template)
    problems = []
    counts: dict[str, int] = {}
    for name, raw in pairs:
        counts[name] = counts.get(name, 0) + 1
        parameter = declared.get(name)
        if parameter is None:
            near = [p for p in declared if p.lower() == name.lower()]
            hint = f" (the spec spells it {near[0]!r})" if near else ""
            problems.append(f"{operation.endpoint}: query {name!r} is not declared{hint}")
            continue
        value, error = openapi.bind_value(raw, parameter.schema)
        if error:
            problems.append(f"{operation.endpoint}: {name}={raw!r}: {error}")
            continue
        for problem in openapi.validate(value, parameter.schema):
            problems.append(f"{operation.endpoint}: {name}={raw!r}: {problem}")
        allowed = allowed_by_description(operation.spec_file, operation.method, operation.template, name)
        if allowed and isinstance(value, str):
            for part in value.split(","):
                if part.lstrip("-") not in allowed:
                    problems.append(f"{operation.endpoint}: {name}={raw!r} is not one of {sorted(allowed)}")
    for name, count in counts.items():
        parameter = declared.get(name)
        if parameter is not None and not parameter.is_array and count > 1:
            kind = openapi.resolved(parameter.schema).get("type", "scalar")
            problems.append(
                f"{operation.endpoint}: query {name!r} sent {count} times, but the spec types it as "
                f"one {kind} (a server binds one of them); send it once, comma-joined"
            )
    for name, parameter in declared.items():
        if parameter.required and name not in counts:
            problems.append(f"{operation.endpoint}: required query {name!r} is missing")
    return problems


def _path_problems(operation: openapi.Operation) -> list[str]:
    declared = openapi.path_parameters(operation.spec_file, operation.method, operation.template)
    problems = []
    for name, raw in operation.path_params.items():
        parameter = declared.get(name)
        if parameter is None:
            problems.append(f"{operation.endpoint}: path parameter {name!r} is not declared")
            continue
        value, error = openapi.bind_value(unquote(raw), parameter.schema)
        errors = [error] if error else openapi.validate(value, parameter.schema)
        problems.extend(f"{operation.endpoint}: path {name}={raw!r}: {e}" for e in errors)
    return problems


def _body_problems(operation: openapi.Operation, body: Any) -> list[str]:
    schema = operation.request_schema()
    spec = openapi.load_spec(operation.spec_file)
    if schema is None:
        return [] if body is None else [f"{operation.endpoint}: sends a body the spec does not declare"]
    if body is None:
        required = openapi.request_body_required(spec, operation.method, operation.template)
        return [f"{operation.endpoint}: the spec requires a body"] if required else []
    return [f"{operation.endpoint}: body {e}" for e in openapi.validate(body, schema)]


def logged_problems(entries: Iterable[Any]) -> list[str]:
    """Problems of every API request in a simulator request log (token and internal calls skipped)."""
    problems = []
    for entry in entries:
        if not entry.path.startswith("/api/"):
            continue
        problems.extend(request_problems(entry.method, entry.path, entry.query, entry.body))
    return problems


@pytest.fixture(autouse=True)
def wire_contract(monkeypatch) -> Iterator[list[LoggedRequest]]:
    """Autouse where imported: every request a simulator logs during the test must pass.

    Imported by ``tests/engine/conftest.py`` (every end-to-end run) and by the simulator tests
    that drive the real client; not by simulator tests that send malformed requests on purpose.
    """
    seen: list[LoggedRequest] = []
    original = RequestLog.append

    def append(self: RequestLog, entry: LoggedRequest) -> None:
        seen.append(entry)
        original(self, entry)

    monkeypatch.setattr(RequestLog, "append", append)
    yield seen
    problems = sorted(set(logged_problems(seen)))
    assert problems == [], "requests the specs do not describe:\n" + "\n".join(problems)
