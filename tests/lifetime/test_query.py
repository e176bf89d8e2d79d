"""Query arguments become exactly the strings the swagger declares, decided in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from odc_pipeline import swagger
from odc_pipeline.lifetime import LIFETIME_V2, PROPERTIES_V1, QueryArgumentError
from odc_pipeline.lifetime.query import query_pairs, serialize

COMMAND = "/deployments/{DeploymentKey}/{Command}/"


def test_booleans_are_lower_case_whatever_python_calls_them():
    pairs = query_pairs(
        LIFETIME_V2, "GET", "/applications/", {"IncludeModules": True, "IncludeEnvStatus": False}
    )
    assert pairs == [("IncludeModules", "true"), ("IncludeEnvStatus", "false")]


def test_none_is_not_sent_and_nothing_gives_no_query():
    assert query_pairs(LIFETIME_V2, "GET", "/applications/", {"IncludeModules": None}) is None
    assert query_pairs(LIFETIME_V2, "GET", "/environments/", None) is None


def test_dates_are_dates():
    pairs = query_pairs(LIFETIME_V2, "GET", "/deployments/", {"MinDate": date(2026, 3, 9)})
    assert pairs == [("MinDate", "2026-03-09")]
    with pytest.raises(QueryArgumentError, match="YYYY-MM-DD"):
        query_pairs(LIFETIME_V2, "GET", "/deployments/", {"MinDate": datetime(2026, 3, 9, tzinfo=UTC)})
    with pytest.raises(QueryArgumentError, match="date"):
        query_pairs(LIFETIME_V2, "GET", "/deployments/", {"MinDate": "last week"})


def test_integers_are_int32():
    template = "/applications/{ApplicationKey}/versions/"
    assert query_pairs(LIFETIME_V2, "GET", template, {"MaximumVersionsToReturn": 10}) == [
        ("MaximumVersionsToReturn", "10")
    ]
    with pytest.raises(QueryArgumentError, match="int32"):
        query_pairs(LIFETIME_V2, "GET", template, {"MaximumVersionsToReturn": 2**31})
    with pytest.raises(QueryArgumentError, match="integer"):
        query_pairs(LIFETIME_V2, "GET", template, {"MaximumVersionsToReturn": True})
    with pytest.raises(QueryArgumentError, match="integer"):
        query_pairs(LIFETIME_V2, "GET", template, {"MaximumVersionsToReturn": "10"})


def test_booleans_must_be_booleans():
    with pytest.raises(QueryArgumentError, match="boolean"):
        query_pairs(LIFETIME_V2, "POST", COMMAND, {"RedeployOutdated": "True"})


def test_undeclared_parameters_cannot_be_sent():
    """OP sends ContinueWithErrors (notes §5.3); the swagger does not declare it, so we cannot."""
    with pytest.raises(QueryArgumentError, match="declares no such query parameter"):
        query_pairs(LIFETIME_V2, "POST", COMMAND, {"ContinueWithErrors": True})
    with pytest.raises(QueryArgumentError, match="IncludeEnvStatus"):
        query_pairs(
            LIFETIME_V2,
            "GET",
            "/applications/{ApplicationKey}/versions/{VersionKey}/",
            {"IncludeEnvStatus": True},
        )
    with pytest.raises(QueryArgumentError):
        query_pairs(
            PROPERTIES_V1,
            "PUT",
            "/Modules/{ModuleKey}/Environments/{EnvironmentKey}/Timers/{TimerKey}/Schedule/",
            {"x": "1"},
        )


def test_required_parameters_must_be_given():
    template = "/applications/{ApplicationKey}/versions/{VersionKey}/"
    with pytest.raises(QueryArgumentError, match="required"):
        query_pairs(LIFETIME_V2, "GET", template, {})
    with pytest.raises(QueryArgumentError, match="required"):
        query_pairs(LIFETIME_V2, "GET", template, {"IncludeModules": None})


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (None, [("Keys", "a,b,c")]),
        ("csv", [("Keys", "a,b,c")]),
        ("pipes", [("Keys", "a|b|c")]),
        ("ssv", [("Keys", "a b c")]),
        ("multi", [("Keys", "a"), ("Keys", "b"), ("Keys", "c")]),
    ],
)
def test_arrays_follow_their_collection_format(form, expected):
    parameter = {"name": "Keys", "in": "query", "type": "array", "items": {"type": "string"}}
    if form:
        parameter["collectionFormat"] = form
    assert serialize("Keys", ["a", "b", "c"], parameter, where="test") == expected
    with pytest.raises(QueryArgumentError, match="array"):
        serialize("Keys", "a,b", parameter, where="test")


def test_enums_are_checked():
    parameter = {"name": "Type", "in": "query", "type": "string", "enum": ["oap", "apk"]}
    assert serialize("Type", "oap", parameter, where="t") == [("Type", "oap")]
    with pytest.raises(QueryArgumentError, match="not one of"):
        serialize("Type", "exe", parameter, where="t")


@pytest.mark.parametrize(
    ("method", "template", "values"),
    [
        ("GET", "/applications/", {"IncludeModules": True, "IncludeEnvStatus": True}),
        (
            "GET",
            "/deployments/",
            {"MinDate": date(2025, 12, 31), "MaxDate": date(2026, 1, 2), "TargetEnvironmentKey": "e"},
        ),
        ("POST", COMMAND, {"RedeployOutdated": False, "IncludeErrorDetails": True}),
        (
            "GET",
            "/applications/{ApplicationKey}/versions/",
            {"ChangeLogFilter": "x y&z", "MaximumVersionsToReturn": 0},
        ),
        ("GET", "/modules/{ModuleKey}/versions/", {"MaximumVersionsToReturn": 2**31 - 1}),
    ],
)
def test_what_is_sent_binds_back_to_the_same_values(method, template, values):
    """The serializer is the inverse of the binder the simulator uses (``swagger.Operation.bind_query``)."""
    operation = next(
        op for op in swagger.iter_operations() if op.method == method and op.template == template
    )
    assert operation.bind_query(query_pairs(LIFETIME_V2, method, template, values) or []) == values
