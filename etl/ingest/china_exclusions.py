"""China's exclusion lists (排除清单) for its retaliatory tariffs, hand-built from public pages.

`exclusion_announcements.csv` -> raw `exclusion_announcements` plus one measure of kind
`exclusion` per announcement with full start and end dates; `exclusion_items.csv` -> raw
`exclusion_items`. An extension announcement names the list it extends in `scope`
("Extends 税委会公告〔2019〕6号 items; ..."): those ids are kept so the models can give the
extension the items of the list it extends. A list whose item rows are fewer than its stated
`item_count` is incomplete, and the models say so wherever it is used.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pyarrow as pa

from etl.ingest import piie
from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    check_header,
    csv_records,
    parse_hs_code,
    read_csv_rows,
    with_lineage,
)

ANNOUNCEMENT_COLUMNS = [
    "announcement_id",
    "title_zh",
    "title_en",
    "published_date",
    "effective_from",
    "effective_to",
    "item_count",
    "scope",
    "refund",
    "source_url",
    "notes",
]
ITEM_COLUMNS = [
    "announcement_id",
    "sub_list",
    "item_no",
    "ex_flag",
    "hs8",
    "hs10",
    "description_zh",
    "description_en",
    "refund",
    "note",
    "source_url",
    "corroborating_url",
]
# ids appear with or without the 税委会公告 prefix: "Extends the items of 〔2020〕8号 and ..."
_ANNOUNCEMENT_ID = re.compile(r"(?:税委会公告)?(〔\d{4}〕\d+号|\d{4}年第\d+号)")

ANNOUNCEMENTS_SCHEMA = with_lineage(
    ("announcement_id", pa.string()),
    ("measure_id", pa.string()),
    ("title_en", pa.string()),
    ("published_date_text", pa.string()),
    ("effective_from_date", pa.date32()),
    ("effective_to_date", pa.date32()),
    ("stated_item_count", pa.int32()),
    ("extends_announcement_ids", pa.string()),
    ("is_unofficial", pa.bool_()),
    ("scope", pa.string()),
    ("refund", pa.string()),
    ("source_url", pa.string()),
)
ITEMS_SCHEMA = with_lineage(
    ("announcement_id", pa.string()),
    ("sub_list", pa.string()),
    ("item_no", pa.string()),
    ("is_ex_line", pa.bool_()),
    ("hs8_code", pa.string()),
    ("description_en", pa.string()),
    ("refund", pa.string()),
    ("source_url", pa.string()),
)


def _read(src: SourceFile, columns: list[str]) -> list[list[str]]:
    rows = read_csv_rows(src)
    check_header(src, None, rows[0] if rows else [], columns)
    return rows


def _full_date(value: str, field: str) -> date | None:
    """ISO date, or None where the source knows only the month or nothing."""
    text = value.strip()
    if not text or re.fullmatch(r"\d{4}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowRejected(
            field, value, "bad_date", f"{field} is not YYYY-MM-DD or YYYY-MM"
        ) from None


def extended_ids(scope: str) -> list[str]:
    """Ids of the announcements an extension extends (only where `scope` says 'Extends ...')."""
    if not scope.strip().startswith("Extends"):
        return []
    return [f"税委会公告{number}" for number in _ANNOUNCEMENT_ID.findall(scope.split(";")[0])]


def load_announcements(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = _read(src, ANNOUNCEMENT_COLUMNS)
    out = RawDataset("exclusion_announcements", ANNOUNCEMENTS_SCHEMA, sources=[src])
    measures = RawDataset("tariff_measures", piie.MEASURES_SCHEMA, sources=[src])
    seen: dict[str, int] = {}
    for line_no, rec in csv_records(src, out, rows, ANNOUNCEMENT_COLUMNS):
        try:
            announcement_id = rec["announcement_id"].strip()
            if announcement_id in seen:
                raise RowRejected(
                    "announcement_id",
                    announcement_id,
                    "duplicate_key",
                    f"already on line {seen[announcement_id]}",
                )
            start = _full_date(rec["effective_from"], "effective_from")
            end = _full_date(rec["effective_to"], "effective_to")
            if start and end and end < start:
                raise RowRejected(
                    "effective_to",
                    rec["effective_to"],
                    "bad_date",
                    "effective_to is before effective_from",
                )
            count = rec["item_count"].strip()
            if count and not count.isdigit():
                raise RowRejected("item_count", count, "bad_value", "item_count is not a number")
        except RowRejected as err:
            out.reject(src, None, line_no, err)
            continue
        seen[announcement_id] = line_no
        unofficial = announcement_id.upper().startswith("UNOFFICIAL")
        measure_id = None
        if start and end and not unofficial:
            measure_id = f"CHN-{start:%Y%m%d}-exclusion-{len(measures.rows) + 1:02d}"
            measures.rows_read += 1
            measures.add(
                src,
                None,
                line_no,
                {
                    "measure_id": measure_id,
                    "schedule_id": piie.SCHEDULE_ID,
                    "reporter_iso3": "CHN",
                    "target_partner_iso3": "USA",
                    "kind": "exclusion",
                    "retaliation_basis": "s301",
                    "effective_date": start,
                    # the source gives the last day in force; windows exclude their end
                    "end_date": end + timedelta(days=1),
                    "sequence": 100 + len(measures.rows),
                    "description": rec["title_en"].strip() or rec["scope"].strip()[:200],
                    "legal_reference": announcement_id,
                    "source_column": None,
                },
                loaded_at,
            )
        out.add(
            src,
            None,
            line_no,
            {
                "announcement_id": announcement_id,
                "measure_id": measure_id,
                "title_en": rec["title_en"].strip(),
                "published_date_text": rec["published_date"].strip() or None,
                "effective_from_date": start,
                "effective_to_date": end,
                "stated_item_count": int(count) if count else None,
                "extends_announcement_ids": ",".join(extended_ids(rec["scope"])) or None,
                "is_unofficial": unofficial,
                "scope": rec["scope"].strip(),
                "refund": rec["refund"].strip(),
                "source_url": rec["source_url"].strip(),
            },
            loaded_at,
        )
    return [out, measures]


def load_items(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = _read(src, ITEM_COLUMNS)
    out = RawDataset("exclusion_items", ITEMS_SCHEMA, sources=[src])
    seen: dict[tuple[str, ...], int] = {}
    for line_no, rec in csv_records(src, out, rows, ITEM_COLUMNS):
        try:
            code = parse_hs_code(rec["hs8"], 8, "hs8")
            # the source's key: two lines share an hs8 with different product scope
            key = (rec["announcement_id"], rec["sub_list"], rec["item_no"], code)
            if key in seen:
                raise RowRejected("hs8", code, "duplicate_key", f"already on line {seen[key]}")
        except RowRejected as err:
            out.reject(src, None, line_no, err)
            continue
        seen[key] = line_no
        out.add(
            src,
            None,
            line_no,
            {
                "announcement_id": rec["announcement_id"],
                "sub_list": rec["sub_list"] or None,
                "item_no": rec["item_no"] or None,
                "is_ex_line": rec["ex_flag"] == "ex",
                "hs8_code": code,
                "description_en": rec["description_en"],
                "refund": rec["refund"] or None,
                "source_url": rec["source_url"],
            },
            loaded_at,
        )
    return [out]
