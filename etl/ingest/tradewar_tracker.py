"""PIIE's December 2019 China tariff update, at HS6, as published by tradewar-tracker.

`new_tariff_list_2020.csv`: `time_of_tariff` (ISO date), `hs6` (text), `tariff` (China's total
applied tariff on US goods in percent, MFN + retaliation, the maximum over the HS10 lines of the
HS6). 64,644 rows = 5,387 HS6 x 12 dates, 2018-01-01 to 2019-12-26: the only line-derived
source for the 1 September 2019 round. Each row becomes one row of the raw `action_line_lists`
with `list_id` `tradewar_tracker_hs6_2019`, `item_no` = the data row number (1 = the first row
after the header), `as_of_date` = `time_of_tariff` and `rate_pct` = `tariff` (a level, not an
increment: subtract an earlier date's level to get a change).

Nomenclature: HS2017. PIIE's file is built from China's 2018/2019 national tariff lines, which
follow HS2017 (China moved to HS2022 with its 2022 tariff), and every one of the 5,387 codes is
an HS2017 subheading of `harmonized_system/hs2017` while 145 of them do not exist in HS2022.

Quirks: the codes keep their leading zeros in the file (6,732 rows start with `0`); a code
that lost one anyway (5 digits) is restored by `parse_hs_code`, like the project's xlsx codes.
`tariff` is blank on 16 rows (HS6 370252/53/54/97 on 2018-01-01, 05-01, 07-01 and 11-01): the
same photographic-film lines have no ad valorem rate in the PIIE June 2019 workbook, so the
blank is kept as NULL (never read as 0), as the PIIE adapter does.
"""

from __future__ import annotations

from datetime import date, datetime

from etl.ingest.china_annex_2025 import ACTION_LINE_LISTS, ACTION_LINE_LISTS_SCHEMA
from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    check_header,
    csv_records,
    parse_hs_code,
    parse_rate,
    read_csv_rows,
)

LIST_ID = "tradewar_tracker_hs6_2019"
NOMENCLATURE = "HS2017"
COLUMNS = ["time_of_tariff", "hs6", "tariff"]


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowRejected(
            COLUMNS[0], value, "bad_date", f"{COLUMNS[0]} is not a YYYY-MM-DD date"
        ) from None


def load_tariff_list(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = read_csv_rows(src)
    check_header(src, None, rows[0] if rows else [], COLUMNS)
    out = RawDataset(ACTION_LINE_LISTS, ACTION_LINE_LISTS_SCHEMA, sources=[src])
    seen: dict[tuple[str, date], int] = {}
    restored = 0
    for line_no, rec in csv_records(src, out, rows, COLUMNS):
        try:
            as_of = _date(rec["time_of_tariff"])
            code = parse_hs_code(rec["hs6"], 6, "hs6")
            key = (code, as_of)
            if key in seen:
                raise RowRejected(
                    "hs6", code, "duplicate_key", f"{code} on {as_of} already on line {seen[key]}"
                )
            rate = parse_rate(rec["tariff"], "tariff", allow_blank=True)
            if rate is not None and not 0.0 <= rate <= 1000.0:
                raise RowRejected("tariff", rec["tariff"], "bad_rate", "tariff is not 0-1000%")
        except RowRejected as err:
            out.reject(src, None, line_no, err)
            continue
        seen[key] = line_no
        restored += code != rec["hs6"]
        out.add(
            src,
            None,
            line_no,
            {
                "list_id": LIST_ID,
                "item_no": line_no - 1,
                "code": code,
                "code_level": 6,
                "nomenclature": NOMENCLATURE,
                "description": None,
                "as_of_date": as_of,
                "rate_pct": rate,
            },
            loaded_at,
        )
    out.notes.update(codes_with_leading_zero_restored=restored)
    return [out]
