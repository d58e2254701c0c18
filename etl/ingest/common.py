"""What every adapter shares: lineage, quarantine records, HS code and rate parsing, xlsx access."""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from etl.errors import ReconciliationError, SourceFormatError

QUARANTINE_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("source_file", pa.string()),
        ("source_sha256", pa.string()),
        ("source_sheet", pa.string()),
        ("source_row", pa.int64()),
        ("field", pa.string()),
        ("value", pa.string()),
        ("reason_code", pa.string()),
        ("reason", pa.string()),
    ]
)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class SourceFile:
    """A landing file and its identity; every raw row carries these as lineage columns."""

    path: Path
    display_name: str
    sha256: str

    @classmethod
    def open(cls, path: Path, landing_dir: Path) -> SourceFile:
        path = Path(path)
        if not path.exists():
            raise SourceFormatError(str(path), "file not found")
        if path.stat().st_size == 0:
            raise SourceFormatError(str(path), "file is empty")
        try:
            name = str(path.resolve().relative_to(landing_dir))
        except ValueError:
            name = str(path)
        return cls(path=path, display_name=name, sha256=sha256_file(path))


class RowRejected(Exception):
    """Raised by a field parser: the row goes to quarantine with this reason."""

    def __init__(self, field: str, value: Any, reason_code: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.value, self.reason_code, self.reason = field, value, reason_code, reason


@dataclass
class RawDataset:
    """One raw dataset produced from one or more source files, plus what was quarantined."""

    name: str
    schema: pa.Schema
    rows: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    sources: list[SourceFile] = field(default_factory=list)
    # quarantine reason codes this dataset may carry without failing the run (documented tolerance)
    tolerated_reasons: frozenset[str] = frozenset({"blank_row"})
    notes: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        src: SourceFile,
        sheet: str | None,
        row_number: int,
        record: dict[str, Any],
        loaded_at: datetime,
    ) -> None:
        record.update(
            _source_file=src.display_name,
            _source_sha256=src.sha256,
            _source_sheet=sheet,
            _source_row=row_number,
            _loaded_at=loaded_at,
        )
        self.rows.append(record)

    def reject(self, src: SourceFile, sheet: str | None, row_number: int, err: RowRejected) -> None:
        self.quarantine.append(
            {
                "dataset": self.name,
                "source_file": src.display_name,
                "source_sha256": src.sha256,
                "source_sheet": sheet,
                "source_row": row_number,
                "field": err.field,
                "value": None if err.value is None else str(err.value),
                "reason_code": err.reason_code,
                "reason": err.reason,
            }
        )

    def reject_blank(self, src: SourceFile, sheet: str | None, row_number: int) -> None:
        """An empty row inside the file: counted and quarantined (tolerated), never dropped."""
        self.reject(src, sheet, row_number, RowRejected("row", None, "blank_row", "row is empty"))

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=self.schema)

    def quarantine_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.quarantine, schema=QUARANTINE_SCHEMA)

    def check_reconciled(self) -> None:
        """Rows read must equal rows loaded + rows quarantined: nothing silently dropped."""
        loaded, quarantined = len(self.rows), len(self.quarantine)
        if self.rows_read != loaded + quarantined:
            raise ReconciliationError(
                f"dataset {self.name}: {self.rows_read} rows read but {loaded} loaded + "
                f"{quarantined} quarantined = {loaded + quarantined}"
            )

    @property
    def blocking_quarantine(self) -> list[dict[str, Any]]:
        return [q for q in self.quarantine if q["reason_code"] not in self.tolerated_reasons]


LINEAGE_FIELDS = [
    ("_source_file", pa.string()),
    ("_source_sha256", pa.string()),
    ("_source_sheet", pa.string()),
    ("_source_row", pa.int64()),
    ("_loaded_at", pa.timestamp("us", tz="UTC")),
]


def with_lineage(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema(list(fields) + LINEAGE_FIELDS)


_DIGITS = re.compile(r"^\d+$")


def parse_hs_code(value: Any, digits: int, field_name: str, *, suffix: bool = False) -> str:
    """Return an HS / national tariff code as text with its leading zeros.

    Excel stores codes as numbers and drops the leading zero of chapters 01-09
    (`1012100` is `01012100`): exactly one missing digit is restored, anything else is
    rejected. With `suffix=True` a single trailing capital letter (PIIE's `8521101100A`) is kept.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise RowRejected(field_name, value, "missing_code", f"{field_name} is empty")
    if isinstance(value, bool):
        raise RowRejected(field_name, value, "bad_code", f"{field_name} is not a code")
    if isinstance(value, (int, float)):
        if float(value) != int(value) or value < 0:
            raise RowRejected(field_name, value, "bad_code", f"{field_name} is not an integer code")
        text = str(int(value))
    else:
        text = str(value).strip()
    tail = ""
    if suffix and text and text[-1].isalpha() and text[-1].isupper():
        text, tail = text[:-1], text[-1]
    if not _DIGITS.match(text):
        raise RowRejected(field_name, value, "bad_code", f"{field_name} is not all digits")
    if len(text) == digits - 1:
        text = "0" + text
    if len(text) != digits:
        raise RowRejected(
            field_name,
            value,
            "bad_code_length",
            f"{field_name} has {len(text)} digits, not {digits}",
        )
    return text + tail


_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$")


def parse_rate(value: Any, field_name: str, *, allow_blank: bool) -> float | None:
    """A rate in percent / percentage points: numbers, or strings such as `25.0%`."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if allow_blank:
            return None
        raise RowRejected(field_name, value, "missing_rate", f"{field_name} is empty")
    if isinstance(value, bool):
        raise RowRejected(field_name, value, "bad_rate", f"{field_name} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _PERCENT.match(str(value))
        if not match:
            raise RowRejected(field_name, value, "bad_rate", f"{field_name} is not a number")
        number = float(match.group(1))
    if math.isnan(number) or math.isinf(number):
        raise RowRejected(field_name, value, "bad_rate", f"{field_name} is not a finite number")
    return number


def parse_amount(value: Any, field_name: str) -> float:
    """A non-negative trade value."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        raise RowRejected(field_name, value, "missing_value", f"{field_name} is empty")
    try:
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise RowRejected(field_name, value, "bad_value", f"{field_name} is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise RowRejected(field_name, value, "bad_value", f"{field_name} is not a finite number")
    if number < 0:
        raise RowRejected(field_name, value, "negative_value", f"{field_name} is negative")
    return number


def read_xlsx_sheet(src: SourceFile, sheet: str) -> list[list[Any]]:
    """All rows of one sheet as Python values; a missing sheet is a SourceFormatError."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(src.path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise SourceFormatError(src.display_name, f"cannot be read as xlsx: {exc}") from exc
    if sheet not in workbook.sheet_names:
        raise SourceFormatError(
            src.display_name,
            "sheet is missing",
            sheet=sheet,
            expected=f"one of the sheets; found {workbook.sheet_names}",
        )
    return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def check_header(
    src: SourceFile, sheet: str | None, header: list[Any], expected: list[str]
) -> None:
    """The first len(expected) header cells must equal `expected` (after trimming)."""
    found = [str(h).strip() if h is not None else "" for h in header]
    for i, name in enumerate(expected):
        got = found[i] if i < len(found) else None
        if got != name:
            raise SourceFormatError(
                src.display_name,
                f"expected column {name!r} at position {i + 1} of the header",
                sheet=sheet,
                row=1,
                field=name,
                value=got,
                expected=f"header starting {expected}",
            )


def read_csv_rows(src: SourceFile) -> list[list[str]]:
    """All rows of a UTF-8 CSV (a BOM is dropped; csv handles CRLF and quoting)."""
    try:
        with open(src.path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise SourceFormatError(src.display_name, f"is not UTF-8 text ({exc.reason})") from exc


def csv_records(
    src: SourceFile, out: RawDataset, rows: list[list[str]], columns: list[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows after the header as stripped {column: text}, with their line numbers.

    Every row is counted as read; blank rows and rows with the wrong number of fields are
    quarantined here, so adapters only see rows of the right shape.
    """
    for line_no, row in enumerate(rows[1:], start=2):
        out.rows_read += 1
        if not any(cell.strip() for cell in row):
            out.reject_blank(src, None, line_no)
            continue
        if len(row) != len(columns):
            out.reject(
                src,
                None,
                line_no,
                RowRejected(
                    "row",
                    ",".join(row),
                    "field_count",
                    f"{len(row)} fields, header has {len(columns)}",
                ),
            )
            continue
        yield line_no, dict(zip(columns, (cell.strip() for cell in row), strict=True))
