"""HS nomenclature (datasets/harmonized-system CSV: section, hscode, description, parent, level)."""

from __future__ import annotations

import csv
from datetime import datetime

import pyarrow as pa

from etl.errors import SourceFormatError
from etl.ingest.common import RawDataset, RowRejected, SourceFile, check_header, with_lineage

NOMENCLATURE_SCHEMA = with_lineage(
    ("hs_revision", pa.string()),
    ("hs_code", pa.string()),
    ("level", pa.int8()),
    ("parent_code", pa.string()),
    ("description", pa.string()),
    ("section", pa.string()),
)
SECTIONS_SCHEMA = with_lineage(
    ("hs_revision", pa.string()),
    ("section", pa.string()),
    ("section_name", pa.string()),
)
# The file's grand-total row (`TOTAL`, level 5) is not an HS code; it is quarantined as
# `aggregate_row` and that reason is tolerated: it carries no classification.
TOLERATED = frozenset({"aggregate_row", "blank_row"})


def _read_csv(src: SourceFile) -> list[list[str]]:
    try:
        # utf-8-sig: the HS2017 file starts with a BOM; newline='' lets csv handle CRLF
        with open(src.path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise SourceFormatError(src.display_name, f"is not UTF-8 text ({exc.reason})") from exc


def load_nomenclature(src: SourceFile, hs_revision: str, loaded_at: datetime) -> RawDataset:
    rows = _read_csv(src)
    expected = ["section", "hscode", "description", "parent", "level"]
    check_header(src, None, rows[0] if rows else [], expected)
    out = RawDataset(
        "hs_nomenclature", NOMENCLATURE_SCHEMA, sources=[src], tolerated_reasons=TOLERATED
    )
    seen: dict[str, int] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        out.rows_read += 1
        if not any(cell.strip() for cell in row):
            out.reject_blank(src, None, line_no)
            continue
        try:
            if len(row) != len(expected):
                raise RowRejected(
                    "row",
                    ",".join(row),
                    "field_count",
                    f"{len(row)} fields, header has {len(expected)}",
                )
            section, code, description, parent, level = (cell.strip() for cell in row)
            if code == "TOTAL":
                raise RowRejected(
                    "hscode", code, "aggregate_row", "grand-total row, not an HS code"
                )
            if level not in {"2", "4", "6"} or not code.isdigit() or len(code) != int(level):
                raise RowRejected(
                    "hscode",
                    code,
                    "bad_code",
                    f"hscode {code!r} does not have level {level!r} digits",
                )
            if code in seen:
                raise RowRejected(
                    "hscode", code, "duplicate_key", f"hscode {code} already on line {seen[code]}"
                )
        except RowRejected as err:
            out.reject(src, None, line_no, err)
            continue
        seen[code] = line_no
        out.add(
            src,
            None,
            line_no,
            {
                "hs_revision": hs_revision,
                "hs_code": code,
                "level": int(level),
                "parent_code": None if parent == "TOTAL" else parent,
                "description": description,
                "section": None if section == "TOTAL" else section,
            },
            loaded_at,
        )
    return out


def load_sections(src: SourceFile, hs_revision: str, loaded_at: datetime) -> RawDataset:
    rows = _read_csv(src)
    check_header(src, None, rows[0] if rows else [], ["section", "name"])
    out = RawDataset("hs_sections", SECTIONS_SCHEMA, sources=[src])
    for line_no, row in enumerate(rows[1:], start=2):
        out.rows_read += 1
        if not any(cell.strip() for cell in row):
            out.reject_blank(src, None, line_no)
            continue
        if len(row) != 2 or not row[0].strip():
            out.reject(
                src,
                None,
                line_no,
                RowRejected("row", ",".join(row), "field_count", "expected section,name"),
            )
            continue
        out.add(
            src,
            None,
            line_no,
            {"hs_revision": hs_revision, "section": row[0].strip(), "section_name": row[1].strip()},
            loaded_at,
        )
    return out
