from datetime import date, datetime

import pytest

from odc_pipeline.engine.values import ValueConversionError, convert_value, normalise


@pytest.mark.parametrize(
    ("value", "data_type", "expected"),
    [
        (30, "Integer", "30"),
        ("  42 ", "Integer", "42"),
        (3.0, "Integer", "3"),
        (2**40, "LongInteger", str(2**40)),
        (True, "Boolean", "True"),
        ("no", "Boolean", "False"),
        ("1.50", "Decimal", "1.5"),
        (10, "Currency", "10"),
        ("1e2", "Decimal", "100"),
        (datetime(2026, 1, 31, 13, 45), "DateTime", "2026-01-31 13:45:00"),
        ("2026-01-31T13:45:00Z", "DateTime", "2026-01-31 13:45:00"),
        (date(2026, 1, 31), "Date", "2026-01-31"),
        (49500, "Time", "13:45:00"),
        ("08:00", "Time", "08:00:00"),
        ("ops@example.com", "Email", "ops@example.com"),
        ("+351 210 000 000", "PhoneNumber", "+351 210 000 000"),
        (True, "Text", "True"),
        ("anything", "SomethingNew", "anything"),
    ],
)
def test_values_convert_to_odc_strings(value, data_type, expected):
    assert convert_value(value, data_type) == expected


@pytest.mark.parametrize(
    ("value", "data_type"),
    [
        ("thirty", "Integer"),
        (2**31, "Integer"),
        (True, "Integer"),
        (1.5, "Integer"),
        ("maybe", "Boolean"),
        ("abc", "Decimal"),
        ("NaN", "Decimal"),
        ("31/01/2026", "Date"),
        ("not-an-email", "Email"),
        ("call me", "PhoneNumber"),
        ({"a": 1}, "Text"),
    ],
)
def test_bad_values_are_refused_with_a_reason(value, data_type):
    with pytest.raises(ValueConversionError, match=r"expected|outside|single"):
        convert_value(value, data_type)


def test_normalise_makes_equivalent_spellings_equal():
    assert normalise("true", "Boolean") == convert_value(True, "Boolean")
    assert normalise("030", "Integer") == "30"
    assert normalise(None, "Integer") is None
    assert normalise("garbage", "Integer") == "garbage"
