"""PIIE's dated list of US-China tariff events with both sides' average tariffs.

`piie_trade_war_chart/tariffs_bown_timeline.csv` (Chad P. Bown, "US-China Trade War Tariffs: An
Up-to-Date Chart", chart data, Panel a): 77 events from 2018-01-01 to 2025-11-14. Columns
`tariff_action` (PIIE's one-line description), `date` (effective date, ISO), then four average
tariffs in percent: `cn_tariff_on_row`, `cn_tariff_on_us` (China's average tariff on US goods,
weighted by US exports to the world in the year before the war), `us_tariff_on_cn`,
`us_tariff_on_row`. Each row is the state *after* that day's events, so the file is a step
function; it names what happened but lists no product lines.

Raw dataset `piie_tariff_events`, one row per event: `event_date`, `tariff_action` (as in the
file: mixed apostrophes, one trailing space and one typo are kept) and the four rates with a
`_pct` suffix. A row whose date is not an ISO date, whose rate is blank, not a number or outside
0-1000%, whose date repeats an earlier row's or comes before the previous row's date is
quarantined with its file, line and field (the file's 77 dates are ascending and unique); any
such row fails the ingest, since the series is only meaningful in the file's order.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    check_header,
    csv_records,
    parse_rate,
    read_csv_rows,
    with_lineage,
)

DATASET = "piie_tariff_events"
COLUMNS = [
    "tariff_action",
    "date",
    "cn_tariff_on_row",
    "cn_tariff_on_us",
    "us_tariff_on_cn",
    "us_tariff_on_row",
]
RATE_COLUMNS = COLUMNS[2:]
MAX_RATE_PCT = 1000.0

SCHEMA = with_lineage(
    ("event_date", pa.date32()),
    ("tariff_action", pa.string()),
    ("cn_tariff_on_row_pct", pa.float64()),
    ("cn_tariff_on_us_pct", pa.float64()),
    ("us_tariff_on_cn_pct", pa.float64()),
    ("us_tariff_on_row_pct", pa.float64()),
)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowRejected("date", value, "bad_date", "date is not a YYYY-MM-DD date") from None


def _rate(value: str, column: str) -> float:
    rate = parse_rate(value, column, allow_blank=False)
    assert rate is not None  # allow_blank=False raises on a blank
    if not 0.0 <= rate <= MAX_RATE_PCT:
        raise RowRejected(column, value, "bad_rate", f"{column} is not 0-{MAX_RATE_PCT:g}%")
    return rate


def load_events(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = read_csv_rows(src)
    check_header(src, None, rows[0] if rows else [], COLUMNS)
    out = RawDataset(DATASET, SCHEMA, sources=[src])
    seen: dict[date, int] = {}
    previous: tuple[date, int] | None = None
    for line_no, rec in csv_records(src, out, rows, COLUMNS):
        try:
            if not rec["tariff_action"]:
                raise RowRejected(
                    "tariff_action", "", "missing_description", "tariff_action is empty"
                )
            when = _date(rec["date"])
            if when in seen:
                raise RowRejected(
                    "date", rec["date"], "duplicate_key", f"{when} already on line {seen[when]}"
                )
            if previous is not None and when < previous[0]:
                raise RowRejected(
                    "date",
                    rec["date"],
                    "not_ascending",
                    f"{when} comes before {previous[0]} on line {previous[1]}: the events are "
                    "a series in date order",
                )
            rates = {f"{c}_pct": _rate(rec[c], c) for c in RATE_COLUMNS}
        except RowRejected as err:
            out.reject(src, None, line_no, err)
            continue
        seen[when] = line_no
        previous = (when, line_no)
        out.add(
            src,
            None,
            line_no,
            # the description keeps the file's text (csv_records strips the cell's spaces)
            {"event_date": when, "tariff_action": rows[line_no - 1][0], **rates},
            loaded_at,
        )
    out.notes.update(
        first_date=min(seen).isoformat() if seen else None,
        last_date=max(seen).isoformat() if seen else None,
    )
    return [out]
