from __future__ import annotations

from datetime import date

import pytest

from etl.errors import SourceFormatError
from etl.ingest.common import RowRejected, SourceFile, parse_amount, parse_hs_code, parse_rate
from etl.ingest.piie import parse_measure_header, resolve_sector

SRC = SourceFile(path=None, display_name="book.xlsx", sha256="0" * 64)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        ("01012100", 8, "01012100"),
        (1012100, 8, "01012100"),
        (1012100.0, 8, "01012100"),
        ("1012100", 8, "01012100"),
        ("85211011", 8, "85211011"),
        (" 12019010 ", 8, "12019010"),
    ],
)
def test_hs_codes_keep_or_regain_their_leading_zero(value, digits, expected):
    assert parse_hs_code(value, digits, "hs08") == expected


def test_hs10_value_split_suffix_is_kept_only_when_allowed():
    assert parse_hs_code("8521101100A", 10, "hs10", suffix=True) == "8521101100A"
    with pytest.raises(RowRejected, match="not all digits"):
        parse_hs_code("8521101100A", 10, "hs10")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "missing_code"),
        ("", "bad_code"),
        ("12AB", "bad_code"),
        (123, "bad_code_length"),
        (1012100.5, "bad_code"),
        ("101210", "bad_code_length"),
    ],
)
def test_malformed_hs_codes_are_rejected_with_a_reason(value, code):
    with pytest.raises(RowRejected) as err:
        parse_hs_code(value, 8, "hs08")
    assert err.value.reason_code == code
    assert err.value.field == "hs08"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(25.0, 25.0), ("25.0%", 25.0), (" 37.5 % ", 37.5), ("-7.5", -7.5), (0, 0.0)],
)
def test_rates_parse_numbers_and_percent_strings(value, expected):
    assert parse_rate(value, "rate", allow_blank=False) == expected


def test_blank_rate_is_null_only_where_allowed():
    assert parse_rate("", "rate", allow_blank=True) is None
    with pytest.raises(RowRejected, match="empty"):
        parse_rate("", "rate", allow_blank=False)
    for bad in ("25,0 pct", "n/a", float("nan"), True):
        with pytest.raises(RowRejected):
            parse_rate(bad, "rate", allow_blank=True)


def test_amounts_must_be_non_negative_numbers():
    assert parse_amount("1,234.5", "v") == 1234.5
    for bad, code in ((-1.0, "negative_value"), ("abc", "bad_value"), (None, "missing_value")):
        with pytest.raises(RowRejected) as err:
            parse_amount(bad, "v")
        assert err.value.reason_code == code


@pytest.mark.parametrize(
    ("header", "kind", "when"),
    [
        ("January 1, 2018\nMFN Tariff Rates", "mfn_level", date(2018, 1, 1)),
        ("April 2, 2018\nRetaliation to US Section 232 tariffs", "retaliation", date(2018, 4, 2)),
        ("May 1, 2018\nChange of MFN tariffs on pharmeceuticals", "mfn_change", date(2018, 5, 1)),
        (
            "January 1, 2019\nSuspension of retaliation against US auto and parts (Section 301)",
            "suspension",
            date(2019, 1, 1),
        ),
        (
            "June 1, 2019\nChange of retaliation tariffs on some US products (subset)",
            "retaliation_change",
            date(2019, 6, 1),
        ),
    ],
)
def test_measure_headers_give_date_and_kind(header, kind, when):
    effective, got_kind, description = parse_measure_header(SRC, 3, header)
    assert (effective, got_kind) == (when, kind)
    assert "\n" not in description


@pytest.mark.parametrize(
    "header",
    ["Rates 2018", "Februray 30, 2018\nMFN Tariff Rates", "July 6, 2018\nSomething unheard of"],
)
def test_unreadable_measure_headers_name_the_column(header):
    with pytest.raises(SourceFormatError, match=r"book.xlsx.*China Tariff Rates.*column 7"):
        parse_measure_header(SRC, 7, header)


def test_truncated_sector_labels_resolve_to_the_figure_2_names():
    names = ["Soybeans", "Petroleum", "Autos and parts", "All other goods"]
    assert resolve_sector("Soybean", names) == "Soybeans"
    assert resolve_sector("Petroleu", names) == "Petroleum"
    with pytest.raises(RowRejected, match="matches no sector"):
        resolve_sector("Spaceships", names)
    with pytest.raises(RowRejected, match="ambiguous"):
        resolve_sector("A", names)
