"""Query and path binding as an ASP.NET Core server does it, so the simulator is never kinder.

ODC's ProblemDetails and ``traceId`` format are ASP.NET Core's, so its model binding is the
best guess of what an independent tenant does with a request:

* a scalar parameter (``type: string``/``integer``/...) bound from repeated keys keeps the
  **first** value (``SimpleTypeModelBinder`` reads ``ValueProviderResult.FirstValue``): a client
  sending ``key=A&key=B`` for a string typed "comma separated" silently filters on A alone;
* an array parameter takes one item per key; ``a=1,2`` is one item ``"1,2"``;
* a value that cannot bind to its declared type (int32 overflow, ``yes`` for a boolean, a
  malformed date-time or uuid, a name outside an enum) answers 400 ProblemDetails;
* undeclared query names are ignored, as model binding ignores what no parameter asks for.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from odc_pipeline import openapi


def bind_query(operation: openapi.Operation, query: str) -> tuple[dict[str, list[str]], list[str]]:
    """The query as the handler sees it (scalars: first value only) and the binding errors."""
    raw: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        raw.setdefault(name, []).append(value)
    declared = openapi.query_parameters(operation.spec_file, operation.method, operation.template)
    bound: dict[str, list[str]] = {}
    errors: list[str] = []
    for name, values in raw.items():
        parameter = declared.get(name)
        if parameter is None:
            bound[name] = values
            continue
        kept = values if parameter.is_array else values[:1]
        for value in kept:
            if value == "":
                continue
            _, error = openapi.bind_value(value, parameter.schema)
            if error:
                errors.append(f"{name}: {error}")
        bound[name] = kept
    return bound, errors


def bind_path(operation: openapi.Operation) -> list[str]:
    """Binding errors of the path parameters against their declared types."""
    declared = openapi.path_parameters(operation.spec_file, operation.method, operation.template)
    errors = []
    for name, value in operation.path_params.items():
        parameter = declared.get(name)
        if parameter is None:
            continue
        _, error = openapi.bind_value(unquote(value), parameter.schema)
        if error:
            errors.append(f"{name}: {error}")
    return errors
