"""HS nomenclature (datasets/harmonized-system CSV: section, hscode, description, parent, level)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    check_header,
    csv_records,
    read_csv_rows,
    with_lineage,
)

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


def load_nomenclature(src: SourceFile, hs_revision: str, loaded_at: datetime) -> RawDataset:
    rows = read_csv_rows(src)
    expected = ["section", "hscode", "description", "parent", "level"]
    check_header(src, None, rows[0] if rows else [], expected)
    out = RawDataset(
        "hs_nomenclature", NOMENCLATURE_SCHEMA, sources=[src], tolerated_reasons=TOLERATED
    )
    seen: dict[str, int] = {}
    for line_no, rec in csv_records(src, out, rows, expected):
        code, level = rec["hscode"], rec["level"]
        try:
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
                "parent_code": None if rec["parent"] == "TOTAL" else rec["parent"],
                "description": rec["description"],
                "section": None if rec["section"] == "TOTAL" else rec["section"],
            },
            loaded_at,
        )
    return out


def load_sections(src: SourceFile, hs_revision: str, loaded_at: datetime) -> RawDataset:
    rows = read_csv_rows(src)
    check_header(src, None, rows[0] if rows else [], ["section", "name"])
    out = RawDataset("hs_sections", SECTIONS_SCHEMA, sources=[src])
    for line_no, rec in csv_records(src, out, rows, ["section", "name"]):
        if not rec["section"]:
            out.reject(
                src, None, line_no, RowRejected("section", "", "missing_value", "section is empty")
            )
            continue
        out.add(
            src,
            None,
            line_no,
            {"hs_revision": hs_revision, "section": rec["section"], "section_name": rec["name"]},
            loaded_at,
        )
    return out
