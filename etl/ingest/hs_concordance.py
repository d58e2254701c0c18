"""UN Statistics Division HS2022 -> HS2017 correlation table (xlsx; title row before the header)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from etl.ingest.china_mof import find_header
from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    parse_hs_code,
    read_xlsx_sheet,
    with_lineage,
)

SHEET = "HS2022-HS2017 Correlations"
HEADER = ["HS2022", "HS2017", "Relationship"]  # the file writes " HS2017": compared trimmed
RELATIONSHIPS = {"1:1", "n:1", "1:n", "n:n"}

CONCORDANCE_SCHEMA = with_lineage(
    ("from_revision", pa.string()),
    ("from_hs6", pa.string()),
    ("to_revision", pa.string()),
    ("to_hs6", pa.string()),
    ("relationship", pa.string()),
)


def load_concordance(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = read_xlsx_sheet(src, SHEET)
    start = find_header(src, rows, HEADER, SHEET)
    out = RawDataset("hs_concordance", CONCORDANCE_SCHEMA, sources=[src])
    seen: dict[tuple[str, str], int] = {}
    for index, row in enumerate(rows[start + 1 :], start=start + 2):
        out.rows_read += 1
        if all(cell in (None, "") for cell in row):
            out.reject_blank(src, SHEET, index)
            continue
        try:
            from_hs6 = parse_hs_code(row[0], 6, "HS2022")
            to_hs6 = parse_hs_code(row[1], 6, "HS2017")
            relationship = str(row[2]).strip()
            if relationship not in RELATIONSHIPS:
                raise RowRejected(
                    "Relationship",
                    relationship,
                    "bad_value",
                    f"relationship not one of {sorted(RELATIONSHIPS)}",
                )
            if (from_hs6, to_hs6) in seen:
                raise RowRejected(
                    "HS2022",
                    f"{from_hs6}->{to_hs6}",
                    "duplicate_key",
                    f"pair already on row {seen[from_hs6, to_hs6]}",
                )
        except RowRejected as err:
            out.reject(src, SHEET, index, err)
            continue
        seen[from_hs6, to_hs6] = index
        out.add(
            src,
            SHEET,
            index,
            {
                "from_revision": "HS2022",
                "from_hs6": from_hs6,
                "to_revision": "HS2017",
                "to_hs6": to_hs6,
                "relationship": relationship,
            },
            loaded_at,
        )
    return [out]
