"""China Ministry of Finance list of 2 April 2018 (retaliation against US s.232 tariffs).

Sheet `128项产品清单0328`: title rows, then the header 序号 | 税则号列 | 商品名称 | 加征关税税率(%)
on row 5, then one row per tariff line.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from etl.errors import SourceFormatError
from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    parse_hs_code,
    parse_rate,
    read_xlsx_sheet,
    with_lineage,
)

SHEET = "128项产品清单0328"
HEADER = ["序号", "税则号列", "商品名称", "加征关税税率(%)"]
EFFECTIVE = date(2018, 4, 2)
LIST_ID = "MOF-2018-04-02-s232"

MOF_SCHEMA = with_lineage(
    ("list_id", pa.string()),
    ("item_no", pa.int32()),
    ("hs8_code", pa.string()),
    ("description_zh", pa.string()),
    ("additional_rate_pct", pa.float64()),
    ("effective_date", pa.date32()),
)


def find_header(
    src: SourceFile, rows: list[list], expected: list[str], sheet: str, within: int = 15
) -> int:
    """Index of the header row among the first `within` rows (title rows come before it)."""
    for i, row in enumerate(rows[:within]):
        if [str(c).strip() for c in row[: len(expected)]] == expected:
            return i
    raise SourceFormatError(
        src.display_name, f"no header row {expected} in the first {within} rows", sheet=sheet
    )


def load_mof_list(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = read_xlsx_sheet(src, SHEET)
    start = find_header(src, rows, HEADER, SHEET)
    out = RawDataset("mof_retaliation_list_2018", MOF_SCHEMA, sources=[src])
    seen: dict[str, int] = {}
    for index, row in enumerate(rows[start + 1 :], start=start + 2):
        out.rows_read += 1
        if all(cell in (None, "") for cell in row):
            out.reject_blank(src, SHEET, index)
            continue
        try:
            code = parse_hs_code(row[1], 8, HEADER[1])
            if code in seen:
                raise RowRejected(
                    HEADER[1], code, "duplicate_key", f"{code} already on row {seen[code]}"
                )
            rate = parse_rate(row[3], HEADER[3], allow_blank=False)
            try:
                item_no = int(float(row[0]))
            except (TypeError, ValueError):
                raise RowRejected(
                    HEADER[0], row[0], "bad_value", "item number is not a number"
                ) from None
        except RowRejected as err:
            out.reject(src, SHEET, index, err)
            continue
        seen[code] = index
        out.add(
            src,
            SHEET,
            index,
            {
                "list_id": LIST_ID,
                "item_no": item_no,
                "hs8_code": code,
                "description_zh": str(row[2]).strip(),
                "additional_rate_pct": rate,
                "effective_date": EFFECTIVE,
            },
            loaded_at,
        )
    return [out]
