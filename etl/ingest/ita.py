"""US ITA "Retaliation Product Matrix" (28 March 2025), flattened to CSV.

Every country's lines go to the raw `retaliation_matrix`; China's become a tariff schedule
(`ita_matrix_2025`, CN 8-digit codes on HS2022) with one measure: the cumulative additional
retaliatory duty in force on 2025-03-28, as ITA estimates it.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from etl.errors import SourceFormatError
from etl.ingest import piie
from etl.ingest.common import (
    RawDataset,
    RowRejected,
    SourceFile,
    csv_records,
    parse_rate,
    read_csv_rows,
    with_lineage,
)

SCHEDULE_ID = "ita_matrix_2025"
MATRIX_DATE = date(2025, 3, 28)
MEASURE_ID = "CHN-20250328-retaliation_state"
HS_REVISION = "HS2022"
# the header as it is in the file: note the leading space of the first column
COLUMNS = [
    " Foreign National Tariff Line",
    "Country",
    "Foreign Tariff Line Description",
    "Current Total Estimated Retaliatory Tariff",
    "Source.Name",
    "HS Subheading",
    "Tariff Line",
]
COUNTRIES = {"China": "CHN", "Canada": "CAN", "Russia": "RUS", "India": "IND", "Turkey": "TUR"}

MATRIX_SCHEMA = with_lineage(
    ("reporter_iso3", pa.string()),
    ("country", pa.string()),
    ("national_line_code", pa.string()),
    ("hs6_code", pa.string()),
    ("line_description", pa.string()),
    ("rate_pct", pa.float64()),
    ("source_name", pa.string()),
)


def _code(value: str, field: str, *, china: bool) -> str:
    text = value.strip()
    if not text.isdigit():
        raise RowRejected(field, value, "bad_code", f"{field.strip()} is not all digits")
    if china and len(text) != 8:
        raise RowRejected(
            field, value, "bad_code_length", f"China line has {len(text)} digits, not 8"
        )
    if not 4 <= len(text) <= 12:
        raise RowRejected(field, value, "bad_code_length", f"code has {len(text)} digits")
    return text


def load_retaliation_matrix(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    rows = read_csv_rows(src)
    # compare the header exactly, leading space included, so a "fixed" file is noticed too
    header = rows[0] if rows else []
    for i, name in enumerate(COLUMNS):
        got = header[i] if i < len(header) else None
        if got != name:
            raise SourceFormatError(
                src.display_name,
                f"expected column {name!r} at position {i + 1}",
                row=1,
                field=name,
                value=got,
            )
    matrix = RawDataset("retaliation_matrix", MATRIX_SCHEMA, sources=[src])
    lines = RawDataset("tariff_lines", piie.TARIFF_LINES_SCHEMA, sources=[src])
    rates = RawDataset("tariff_line_rates", piie.LINE_RATES_SCHEMA, sources=[src])
    seen: dict[tuple[str, str], int] = {}
    for line_no, rec in csv_records(src, matrix, rows, COLUMNS):
        row = [rec[name] for name in COLUMNS]
        try:
            country = row[1]
            iso3 = COUNTRIES.get(country)
            if iso3 is None:
                raise RowRejected(
                    "Country",
                    country,
                    "unknown_country",
                    f"country {country!r} has no ISO3 mapping",
                )
            code = _code(row[0], COLUMNS[0], china=iso3 == "CHN")
            if (iso3, code) in seen:
                raise RowRejected(
                    COLUMNS[0],
                    code,
                    "duplicate_key",
                    f"{country} line {code} already on line {seen[iso3, code]}",
                )
            rate = parse_rate(row[3], COLUMNS[3], allow_blank=False)
            if not 0 <= rate <= 1000:
                raise RowRejected(
                    COLUMNS[3], row[3], "rate_out_of_bounds", f"rate {rate}% outside [0, 1000]"
                )
        except RowRejected as err:
            matrix.reject(src, None, line_no, err)
            continue
        seen[iso3, code] = line_no
        description = row[2]
        matrix.add(
            src,
            None,
            line_no,
            {
                "reporter_iso3": iso3,
                "country": country,
                "national_line_code": code,
                "hs6_code": row[5] or None,
                "line_description": description,
                "rate_pct": rate,
                "source_name": row[4],
            },
            loaded_at,
        )
        if iso3 == "CHN":
            lines.rows_read += 1
            lines.add(
                src,
                None,
                line_no,
                {
                    "schedule_id": SCHEDULE_ID,
                    "national_line_code": code,
                    "reporter_iso3": "CHN",
                    "hs_revision": HS_REVISION,
                    "description": description,
                },
                loaded_at,
            )
            rates.rows_read += 1
            rates.add(
                src,
                None,
                line_no,
                {
                    "schedule_id": SCHEDULE_ID,
                    "national_line_code": code,
                    "measure_id": MEASURE_ID,
                    "rate_pp": rate,
                },
                loaded_at,
            )
    measures = RawDataset("tariff_measures", piie.MEASURES_SCHEMA, sources=[src], rows_read=1)
    measures.add(
        src,
        None,
        1,
        {
            "measure_id": MEASURE_ID,
            "schedule_id": SCHEDULE_ID,
            "reporter_iso3": "CHN",
            "target_partner_iso3": "USA",
            "kind": "retaliation_state",
            "retaliation_basis": "mixed",
            "effective_date": MATRIX_DATE,
            "end_date": None,
            "sequence": 1,
            "description": "Cumulative additional retaliatory duty on US goods in force on "
            "2025-03-28 (2018-19 lists after the Feb 2020 halving, plus the Feb and "
            "Mar 2025 rounds), as estimated by the US ITA",
            "legal_reference": "US Commerce/ITA Retaliation Product Matrix, 28 March 2025",
            "source_column": "Current Total Estimated Retaliatory Tariff",
        },
        loaded_at,
    )
    return [matrix, measures, lines, rates]
