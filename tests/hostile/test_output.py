"""Output shows data as it is: no markup interpretation, control characters escaped, JSON valid
for every DuckDB type, CSV per RFC 4180."""

from __future__ import annotations

import csv
import io
import json

import pytest

# case -> (select list, what the table must show literally)
TABLE_CASES = {
    "closing_markup_tag": ("select '[/]' as v", "[/]"),
    "markup_in_data": ("select '[bold red]x[/]' as v", "[bold red]x[/]"),
    "markup_in_a_header": ('select 1 as "[blink]h[/]"', "[blink]h[/]"),
    "ansi_escape": ("select chr(27) || '[31mred' as v", "\\x1b[31mred"),
    "bidi_override": ("select 'abc' || chr(8238) || 'fed' as v", "abc\\u202efed"),
    "newline_in_a_cell": ("select 'a' || chr(10) || 'b' as v", "a\\nb"),
    "emoji_code": ("select ':thumbs_up:' as v", ":thumbs_up:"),
}


@pytest.mark.parametrize("case", list(TABLE_CASES))
def test_table_shows_data_literally(published, run_cli, case):
    settings, _ = published
    query, shown = TABLE_CASES[case]
    result = run_cli(settings.warehouse, "sql", query)
    assert result.code == 0, result.err
    assert shown in result.out
    assert "\x1b" not in result.out and "\u202e" not in result.out


def test_a_description_with_brackets_is_shown_whole(published, run_cli):
    settings, _ = published
    result = run_cli(
        settings.warehouse,
        "sql",
        "select line_description from fct_exemption_eligibility "
        "where national_line_code = '1904900000' and line_description like '%[%' limit 1",
        "--format",
        "csv",
    )
    assert result.code == 0 and "[other than maize (corn) ]" in result.out
    table = run_cli(
        settings.warehouse,
        "sql",
        "select '[other than maize (corn) ]' as v",
    )
    assert "[other than maize (corn) ]" in table.out


def test_json_is_valid_for_every_duckdb_type(published, run_cli):
    settings, _ = published
    query = (
        "select time '12:34:56.5' as t, interval '1 month 2 days 3 hours' as i, "
        "'\\x00\\xff'::blob as b, '00000000-0000-0000-0000-00000000002a'::uuid as u, "
        "'nan'::double as n, 'inf'::float as f, '-inf'::double as g, 1.5::decimal(10, 2) as d, "
        "date '2019-06-01' as dt, timestamptz '2020-01-01 00:00:00+00' as ts, "
        "{'a': [1, 2]} as s, map([1], ['x']) as m, chr(155) || 'x' as c1, 2::hugeint as h"
    )
    result = run_cli(settings.warehouse, "sql", query, "--format", "json")
    assert result.code == 0, result.err
    assert "NaN" not in result.out and "Infinity" not in result.out
    (row,) = json.loads(result.out)
    assert row == {
        "t": "12:34:56.500000",
        "i": "P32DT3H",
        "b": "AP8=",
        "u": "00000000-0000-0000-0000-00000000002a",
        "n": None,
        "f": None,
        "g": None,
        "d": 1.5,
        "dt": "2019-06-01",
        "ts": row["ts"],
        "s": {"a": [1, 2]},
        "m": {"1": "x"},
        "c1": "\x9bx",
        "h": 2,
    }
    assert row["ts"].startswith("20") and "T" in row["ts"]
    assert "\\u009b" in result.out  # C1 control escaped in the text, not raw


def test_csv_follows_rfc_4180(published, run_cli):
    settings, _ = published
    query = (
        "select 'a,b' as comma, 'say \"hi\"' as quote, null as nothing, "
        "'l1' || chr(10) || 'l2' as newline, 'nan'::double as n"
    )
    result = run_cli(settings.warehouse, "sql", query, "--format", "csv")
    assert result.code == 0, result.err
    assert (
        result.out.endswith("\r\n")
        and result.out.split("\r\n")[0] == "comma,quote,nothing,newline,n"
    )
    rows = list(csv.reader(io.StringIO(result.out, newline="")))
    assert rows[1] == ["a,b", 'say "hi"', "", "l1\nl2", ""]
