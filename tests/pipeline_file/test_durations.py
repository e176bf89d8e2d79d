from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odc_pipeline.pipeline_file.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("20m", 1200.0),
        ("1h30m", 5400.0),
        ("1h 30m", 5400.0),
        ("1.5h", 5400.0),
        ("2m30s", 150.0),
        ("45", 45.0),
        (45, 45.0),
        (2.5, 2.5),
        ("24h", 86400.0),
    ],
)
def test_parses_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must be a duration"),
        ("30 minutes", "must be a duration"),
        ("5x", "must be a duration"),
        ("30s20m", "must be a duration"),  # units out of order
        ("h", "must be a duration"),
        (True, "must be a duration"),
        (None, "must be a duration"),
        ([1], "must be a duration"),
        ("0s", "longer than zero"),
        (-5, "longer than zero"),
        (float("nan"), "longer than zero"),
        ("25h", "at most 24h"),
    ],
)
def test_rejects_bad_durations(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(5400, "1h30m"), (1200, "20m"), (10, "10s"), (2.5, "2.5s")])
def test_formats_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@settings(max_examples=60)
@given(st.integers(min_value=1, max_value=86400))
def test_format_then_parse_is_identity(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
