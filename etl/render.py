"""Show data as it is: tables, CSV and JSON that never reinterpret what they print.

- Tables (rich): every cell and header is a `rich.text.Text`, so `[red]` or `[/]` in the data
  is shown, never taken as markup; control characters (ANSI escapes, bidi overrides, newlines)
  are shown escaped (`\\x1b[31m`), so data cannot drive the terminal.
- JSON: valid for every DuckDB type (`json.dumps(allow_nan=False)`): dates and times ISO 8601,
  intervals ISO 8601 durations, blobs base64, UUIDs as text, decimals as numbers, NaN and
  infinities as null; C1 controls and bidi overrides escaped as `\\uXXXX` too.
- CSV: RFC 4180 (comma, CRLF line ends, fields quoted when needed, quotes doubled) with the
  same value conversion as JSON (NULL is an empty field); the data is written unchanged.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from etl.errors import escape_control

# what json.dumps(ensure_ascii=False) leaves raw but a terminal may act on
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def iso_duration(delta: timedelta) -> str:
    """An interval as an ISO 8601 duration: `P32DT3H`, `-PT1S`, `PT0S`."""
    sign = "-" if delta < timedelta(0) else ""
    delta = abs(delta)
    days, seconds, micros = delta.days, delta.seconds, delta.microseconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{sign}P{days}D" if days else f"{sign}P"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if secs or micros:
        clock += f"{secs}.{micros:06d}".rstrip("0").rstrip(".") + "S"
    if clock:
        out += "T" + clock
    return out if out not in ("P", "-P") else "PT0S"


def plain(value: Any) -> Any:
    """A query value as a JSON-compatible Python value (None for NULL, NaN and infinities)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return iso_duration(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):  # STRUCT (str keys) and MAP (any keys)
        return {_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return str(value)


def _key(key: Any) -> str:
    converted = plain(key)
    return converted if isinstance(converted, str) else json.dumps(converted)


def to_json(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as a JSON array of objects (valid JSON whatever the values)."""
    payload = [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, indent=1)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as RFC 4180 CSV with a header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    converted = plain(value)
    if converted is None:
        return ""
    if isinstance(converted, (dict, list)):
        return json.dumps(converted, ensure_ascii=False, allow_nan=False)
    if isinstance(converted, bool):
        return "true" if converted else "false"
    return str(converted)


def cell_text(value: Any) -> str:
    """A value as one safe line for a terminal table (NULL is empty)."""
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # nan / inf are what the data holds; shown, not hidden
    converted = plain(value)
    if isinstance(converted, (dict, list)):
        converted = json.dumps(converted, ensure_ascii=False, allow_nan=False)
    return escape_control(str(converted))


def safe(text: Any) -> Any:
    """Text for `console.print`: a `rich.text.Text` (no markup), control characters escaped."""
    from rich.text import Text

    return Text(escape_control(str(text)))


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str | None = None,
    justify: dict[str, str] | None = None,
    **column_options: Any,
) -> Any:
    """A rich Table whose headers and cells are literal text."""
    from rich.table import Table
    from rich.text import Text

    out = Table(title=Text(escape_control(title)) if title else None)
    for column in columns:
        out.add_column(
            Text(escape_control(str(column))),
            justify=(justify or {}).get(column, "left"),  # type: ignore[arg-type]
            **column_options,
        )
    for row in rows:
        out.add_row(*(Text(cell_text(v)) for v in row))
    return out


def console(stderr: bool = False) -> Any:
    """A console that neither highlights nor interprets emoji codes in data."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, emoji=False)
