"""PIIE (Bown, Jung & Zhang 2019) workbook: China's tariff lines, 2017 imports from the US, sectors.

Sheets read as they are: `China Tariff Rates` (wide: one MFN level column then one column per
dated change), `Imports Value` (HS8, thousand USD, codes may have lost leading zeros) and
`Sector Definition` (truncated sector labels, resolved against the full names of `Figure 2`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from etl.errors import SourceFormatError
from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    check_header,
    parse_amount,
    parse_hs_code,
    parse_rate,
    read_xlsx_sheet,
    with_lineage,
)

TARIFF_SHEET = "China Tariff Rates"
IMPORTS_SHEET = "Imports Value"
SECTOR_SHEET = "Sector Definition"
FIGURE2_SHEET = "Figure 2"
IMPORTS_VALUE_COLUMN = "2017 China's Imports from US (000USD)"
HS_REVISION = "HS2017"  # China's 2018 schedule is built on HS2017
WEIGHT_YEAR = 2017

SCHEDULE_ID = "piie_2019_06"  # China's schedule as PIIE compiled it, through 1 June 2019

MEASURES_SCHEMA = pa.schema(
    [
        ("measure_id", pa.string()),
        ("schedule_id", pa.string()),
        ("reporter_iso3", pa.string()),
        ("target_partner_iso3", pa.string()),
        ("kind", pa.string()),
        ("retaliation_basis", pa.string()),
        ("effective_date", pa.date32()),
        ("end_date", pa.date32()),
        ("sequence", pa.int32()),
        ("description", pa.string()),
        ("legal_reference", pa.string()),
        ("source_column", pa.string()),
        ("_source_file", pa.string()),
        ("_source_sha256", pa.string()),
        ("_source_sheet", pa.string()),
        ("_source_row", pa.int64()),
        ("_loaded_at", pa.timestamp("us", tz="UTC")),
    ]
)
TARIFF_LINES_SCHEMA = with_lineage(
    ("schedule_id", pa.string()),
    ("national_line_code", pa.string()),
    ("reporter_iso3", pa.string()),
    ("hs_revision", pa.string()),
    ("description", pa.string()),
)
LINE_RATES_SCHEMA = with_lineage(
    ("schedule_id", pa.string()),
    ("national_line_code", pa.string()),
    ("measure_id", pa.string()),
    ("rate_pp", pa.float64()),
)
TRADE_FLOWS_SCHEMA = with_lineage(
    ("reporter_iso3", pa.string()),
    ("partner_iso3", pa.string()),
    ("flow", pa.string()),
    ("hs_code", pa.string()),
    ("hs_level", pa.int8()),
    ("hs_revision", pa.string()),
    ("period", pa.string()),
    ("period_year", pa.int16()),
    ("trade_value_usd", pa.float64()),
    ("source_value", pa.float64()),
    ("source_unit", pa.string()),
    ("valuation", pa.string()),
    ("source", pa.string()),
    ("description", pa.string()),
)
SECTORS_SCHEMA = with_lineage(
    ("hs8_code", pa.string()),
    ("sector_label", pa.string()),
    ("sector", pa.string()),
)

# Kind of a measure, from the words of its column header. Order matters: first match wins.
_KIND_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^MFN tariff rates$", re.I), "mfn_level"),
    (re.compile(r"suspension of retaliation", re.I), "suspension"),
    (re.compile(r"change of retaliation", re.I), "retaliation_change"),
    (re.compile(r"^retaliation", re.I), "retaliation"),
    (re.compile(r"MFN", re.I), "mfn_change"),
]
_HEADER = re.compile(r"^\s*([A-Z][a-z]+ \d{1,2}, \d{4})\s*\n\s*(.+?)\s*$", re.S)


def retaliation_basis(kind: str, description: str) -> str | None:
    """Which US action a retaliatory measure answers: exclusions lift only the s301 part."""
    if kind.startswith("mfn"):
        return None
    if "232" in description:
        return "s232"
    if "301" in description or "$60 billion" in description:
        return "s301"
    return "unknown"


def parse_measure_header(src: SourceFile, column: int, text: Any) -> tuple[date, str, str]:
    """`'July 6, 2018\\nRetaliation to US Section 301 ...'` -> (date, kind, description)."""
    match = _HEADER.match(str(text or ""))
    if not match:
        raise SourceFormatError(
            src.display_name,
            "measure column header is not '<Month d, yyyy>\\n<description>'",
            sheet=TARIFF_SHEET,
            row=1,
            field=f"column {column}",
            value=text,
        )
    try:
        effective = datetime.strptime(match.group(1), "%B %d, %Y").date()
    except ValueError as exc:
        raise SourceFormatError(
            src.display_name,
            "measure column header has no valid date",
            sheet=TARIFF_SHEET,
            row=1,
            field=f"column {column}",
            value=text,
        ) from exc
    description = " ".join(match.group(2).split())
    for pattern, kind in _KIND_RULES:
        if pattern.search(description):
            return effective, kind, description
    raise SourceFormatError(
        src.display_name,
        "cannot tell the kind of measure from the column header",
        sheet=TARIFF_SHEET,
        row=1,
        field=f"column {column}",
        value=text,
        expected="MFN level / MFN change / retaliation / retaliation change / suspension",
    )


def load_tariff_schedule(
    src: SourceFile, loaded_at: datetime
) -> tuple[RawDataset, RawDataset, RawDataset]:
    """`China Tariff Rates` -> (tariff_measures, tariff_lines, tariff_line_rates)."""
    rows = read_xlsx_sheet(src, TARIFF_SHEET)
    if not rows:
        raise SourceFormatError(src.display_name, "sheet is empty", sheet=TARIFF_SHEET)
    header = rows[0]
    check_header(src, TARIFF_SHEET, header, ["hs10", "description"])
    measure_cols = [i for i in range(2, len(header)) if str(header[i] or "").strip()]
    if not measure_cols:
        raise SourceFormatError(
            src.display_name,
            "no dated measure columns after 'description'",
            sheet=TARIFF_SHEET,
            row=1,
        )

    measures = RawDataset("tariff_measures", MEASURES_SCHEMA, sources=[src])
    measure_ids: dict[int, str] = {}
    for seq, col in enumerate(measure_cols, start=1):
        effective, kind, description = parse_measure_header(src, col + 1, header[col])
        if seq == 1 and kind != "mfn_level":
            raise SourceFormatError(
                src.display_name,
                "the first measure column must be the MFN level",
                sheet=TARIFF_SHEET,
                row=1,
                field=str(header[col]),
            )
        measure_id = f"CHN-{effective:%Y%m%d}-{kind}"
        if measure_id in measure_ids.values():
            raise SourceFormatError(
                src.display_name,
                f"two measure columns give the same measure {measure_id}",
                sheet=TARIFF_SHEET,
                row=1,
                field=str(header[col]),
            )
        measure_ids[col] = measure_id
        measures.rows_read += 1
        measures.add(
            src,
            TARIFF_SHEET,
            1,
            {
                "measure_id": measure_id,
                "schedule_id": SCHEDULE_ID,
                "reporter_iso3": "CHN",
                "target_partner_iso3": "ALL" if kind.startswith("mfn") else "USA",
                "kind": kind,
                "retaliation_basis": retaliation_basis(kind, description),
                "effective_date": effective,
                "end_date": None,
                "sequence": seq,
                "description": description,
                "legal_reference": None,
                "source_column": str(header[col]),
            },
            loaded_at,
        )

    lines = RawDataset("tariff_lines", TARIFF_LINES_SCHEMA, sources=[src])
    rates = RawDataset("tariff_line_rates", LINE_RATES_SCHEMA, sources=[src])
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows[1:], start=2):
        lines.rows_read += 1
        if all(cell in (None, "") for cell in row):
            lines.reject_blank(src, TARIFF_SHEET, offset)
            continue
        try:
            code = parse_hs_code(row[0], 10, "hs10", suffix=True)
            if code in seen:
                raise RowRejected(
                    "hs10", code, "duplicate_key", f"hs10 {code} already on row {seen[code]}"
                )
            values = {
                measure_ids[col]: parse_rate(
                    row[col] if col < len(row) else None,
                    str(header[col]).split("\n")[0],
                    allow_blank=True,
                )
                for col in measure_cols
            }
            for measure_id, value in values.items():
                if value is not None and not -100.0 <= value <= 1000.0:
                    raise RowRejected(
                        measure_id,
                        value,
                        "rate_out_of_bounds",
                        f"rate change {value} pp outside [-100, 1000]",
                    )
        except RowRejected as err:
            lines.reject(src, TARIFF_SHEET, offset, err)
            continue
        seen[code] = offset
        lines.add(
            src,
            TARIFF_SHEET,
            offset,
            {
                "schedule_id": SCHEDULE_ID,
                "national_line_code": code,
                "reporter_iso3": "CHN",
                "hs_revision": HS_REVISION,
                "description": str(row[1] or "").strip(),
            },
            loaded_at,
        )
        for measure_id, value in values.items():
            # a blank cell is kept as NULL: the line has a specific/compound duty with no
            # ad valorem equivalent in the source (e.g. film 3702.52, the B-lines of 8521/8525)
            rates.add(
                src,
                TARIFF_SHEET,
                offset,
                {
                    "schedule_id": SCHEDULE_ID,
                    "national_line_code": code,
                    "measure_id": measure_id,
                    "rate_pp": value,
                },
                loaded_at,
            )
    rates.rows_read = len(rates.rows)  # derived: one record per loaded line and measure column
    rates.notes["records_per_line"] = len(measure_cols)
    return measures, lines, rates


def load_trade_flows(src: SourceFile, loaded_at: datetime) -> RawDataset:
    """`Imports Value` -> trade_flows: China-reported 2017 imports from the US by HS8, in USD."""
    rows = read_xlsx_sheet(src, IMPORTS_SHEET)
    if not rows:
        raise SourceFormatError(src.display_name, "sheet is empty", sheet=IMPORTS_SHEET)
    check_header(src, IMPORTS_SHEET, rows[0], ["hs08", "ProductDescription", IMPORTS_VALUE_COLUMN])
    flows = RawDataset("trade_flows", TRADE_FLOWS_SCHEMA, sources=[src])
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows[1:], start=2):
        flows.rows_read += 1
        if all(cell in (None, "") for cell in row):
            flows.reject_blank(src, IMPORTS_SHEET, offset)
            continue
        try:
            code = parse_hs_code(row[0], 8, "hs08")
            if code in seen:
                raise RowRejected(
                    "hs08", code, "duplicate_key", f"hs08 {code} already on row {seen[code]}"
                )
            thousand_usd = parse_amount(row[2] if len(row) > 2 else None, IMPORTS_VALUE_COLUMN)
        except RowRejected as err:
            flows.reject(src, IMPORTS_SHEET, offset, err)
            continue
        seen[code] = offset
        flows.add(
            src,
            IMPORTS_SHEET,
            offset,
            {
                "reporter_iso3": "CHN",
                "partner_iso3": "USA",
                "flow": "import",
                "hs_code": code,
                "hs_level": 8,
                "hs_revision": HS_REVISION,
                "period": str(WEIGHT_YEAR),
                "period_year": WEIGHT_YEAR,
                "trade_value_usd": thousand_usd * 1000.0,
                "source_value": thousand_usd,
                "source_unit": "thousand USD",
                "valuation": "CIF",
                "source": "piie_itc_trade_map",
                "description": str(row[1] or "").strip(),
            },
            loaded_at,
        )
    return flows


def figure2_sector_names(src: SourceFile) -> list[str]:
    """The full sector names, as PIIE prints them in the sheet `Figure 2`."""
    rows = read_xlsx_sheet(src, FIGURE2_SHEET)
    check_header(src, FIGURE2_SHEET, rows[0] if rows else [], ["Sectors"])
    names = []
    for row in rows[1:]:
        name = str(row[0] or "").strip()
        if not name:
            break  # the sector table ends at the first blank row
        names.append(name)
    return names


def resolve_sector(label: str, full_names: list[str]) -> str:
    """PIIE's sector labels lost their last characters ('Soybean', 'Petroleu'): match by prefix."""
    matches = [name for name in full_names if name.startswith(label)]
    if len(matches) != 1:
        why = "matches no sector" if not matches else f"is ambiguous between {matches}"
        raise RowRejected(
            "sector",
            label,
            "unknown_sector",
            f"sector label {label!r} {why} of sheet '{FIGURE2_SHEET}'",
        )
    return matches[0]


def load_sectors(src: SourceFile, loaded_at: datetime) -> RawDataset:
    """`Sector Definition` -> piie_sectors: HS8 -> PIIE sector (full name)."""
    full_names = figure2_sector_names(src)
    rows = read_xlsx_sheet(src, SECTOR_SHEET)
    if not rows:
        raise SourceFormatError(src.display_name, "sheet is empty", sheet=SECTOR_SHEET)
    check_header(src, SECTOR_SHEET, rows[0], ["hs08", "ProductDescription", "sector"])
    sectors = RawDataset("piie_sectors", SECTORS_SCHEMA, sources=[src])
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows[1:], start=2):
        sectors.rows_read += 1
        if all(cell in (None, "") for cell in row):
            sectors.reject_blank(src, SECTOR_SHEET, offset)
            continue
        try:
            code = parse_hs_code(row[0], 8, "hs08")
            if code in seen:
                raise RowRejected(
                    "hs08", code, "duplicate_key", f"hs08 {code} already on row {seen[code]}"
                )
            label = str(row[2] if len(row) > 2 and row[2] is not None else "").strip()
            full = resolve_sector(label, full_names)
        except RowRejected as err:
            sectors.reject(src, SECTOR_SHEET, offset, err)
            continue
        seen[code] = offset
        sectors.add(
            src,
            SECTOR_SHEET,
            offset,
            {"hs8_code": code, "sector_label": label, "sector": full},
            loaded_at,
        )
    return sectors
