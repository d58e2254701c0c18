"""Reviewed reference data: product categories as HS prefix rules per HS revision."""

from __future__ import annotations

import re
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

COLUMNS = ["category", "subcategory", "hs_revision", "hs_prefix", "match", "basis"]
CATEGORIES_SCHEMA = with_lineage(
    ("category", pa.string()),
    ("subcategory", pa.string()),
    ("hs_revision", pa.string()),
    ("hs_prefix", pa.string()),
    ("match", pa.string()),
    ("basis", pa.string()),
)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def read_categories(src: SourceFile) -> list[list[str]]:
    return read_csv_rows(src)


def load_product_categories(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = read_categories(src)
    check_header(src, None, rows[0] if rows else [], COLUMNS)
    out = RawDataset("product_categories", CATEGORIES_SCHEMA, sources=[src])
    seen: dict[tuple[str, ...], int] = {}
    for line_no, record in csv_records(src, out, rows, COLUMNS):
        try:
            for name in ("category", "subcategory"):
                if not _NAME.match(record[name]):
                    raise RowRejected(name, record[name], "bad_value", f"{name} is not snake_case")
            if record["hs_revision"] not in {"HS2017", "HS2022"}:
                raise RowRejected(
                    "hs_revision",
                    record["hs_revision"],
                    "bad_value",
                    "hs_revision must be HS2017 or HS2022",
                )
            prefix = record["hs_prefix"]
            if not prefix.isdigit() or len(prefix) not in (2, 4, 6, 8):
                raise RowRejected(
                    "hs_prefix", prefix, "bad_code", "hs_prefix must be 2, 4, 6 or 8 digits"
                )
            if record["match"] not in {"include", "exclude"}:
                raise RowRejected(
                    "match", record["match"], "bad_value", "match must be include or exclude"
                )
            key = (record["category"], record["hs_revision"], prefix, record["match"])
            if key in seen:
                raise RowRejected(
                    "hs_prefix", prefix, "duplicate_key", f"same rule already on line {seen[key]}"
                )
        except RowRejected as err:
            out.reject(src, None, line_no, err)
            continue
        seen[key] = line_no
        out.add(src, None, line_no, record, loaded_at)
    return [out]


def known_categories(src: SourceFile) -> set[str]:
    """Category names of the reference file (scenario validation needs them before ingest)."""
    rows = read_categories(src)
    check_header(src, None, rows[0] if rows else [], COLUMNS)
    return {row[0].strip() for row in rows[1:] if row and row[0].strip()}
