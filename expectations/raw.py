"""Raw suites: the columns are there, there are rows, codes parse, rates are numbers."""

from __future__ import annotations

from expectations._common import (
    between,
    columns_exist,
    hs_code,
    in_set,
    not_null,
    rows_at_least,
    suite,
)

LINEAGE = ("_source_file", "_source_sha256", "_source_row", "_loaded_at")
MEASURE_KINDS = [
    "mfn_level",
    "mfn_change",
    "retaliation",
    "retaliation_change",
    "suspension",
    "exclusion",
    "exemption",
]


def tariff_measures():
    return suite(
        "raw.tariff_measures",
        [
            *columns_exist("measure_id", "kind", "effective_date", *LINEAGE),
            rows_at_least(2),
            *not_null("measure_id", "kind", "effective_date", *LINEAGE),
            in_set("kind", MEASURE_KINDS),
        ],
    )


def tariff_lines():
    return suite(
        "raw.tariff_lines",
        [
            *columns_exist("national_line_code", "hs_revision", "description", *LINEAGE),
            rows_at_least(1000),
            *not_null("national_line_code", *LINEAGE),
            hs_code("national_line_code", 10, suffix=True),
        ],
    )


def tariff_line_rates():
    return suite(
        "raw.tariff_line_rates",
        [
            *columns_exist("national_line_code", "measure_id", "rate_pp", *LINEAGE),
            rows_at_least(1000),
            *not_null("national_line_code", "measure_id", *LINEAGE),
            between("rate_pp", -100, 1000),
        ],
    )


def trade_flows():
    return suite(
        "raw.trade_flows",
        [
            *columns_exist(
                "reporter_iso3",
                "partner_iso3",
                "flow",
                "hs_code",
                "hs_level",
                "period",
                "trade_value_usd",
                *LINEAGE,
            ),
            rows_at_least(1),
            *not_null(
                "reporter_iso3", "partner_iso3", "flow", "hs_code", "trade_value_usd", *LINEAGE
            ),
            in_set("flow", ["import", "export"]),
            between("trade_value_usd", 0, None),
        ],
    )


def piie_sectors():
    return suite(
        "raw.piie_sectors",
        [
            *columns_exist("hs8_code", "sector", *LINEAGE),
            rows_at_least(1),
            *not_null("hs8_code", "sector"),
            hs_code("hs8_code", 8),
        ],
    )


def hs_nomenclature():
    return suite(
        "raw.hs_nomenclature",
        [
            *columns_exist("hs_revision", "hs_code", "level", "description", *LINEAGE),
            rows_at_least(1000),
            *not_null("hs_revision", "hs_code", "level"),
            in_set("level", [2, 4, 6]),
            in_set("hs_revision", ["HS2017", "HS2022"]),
        ],
    )


def hs_sections():
    return suite(
        "raw.hs_sections",
        [
            *columns_exist("hs_revision", "section", "section_name", *LINEAGE),
            rows_at_least(21),
            *not_null("section", "section_name"),
        ],
    )


BUILDERS = [
    tariff_measures,
    tariff_lines,
    tariff_line_rates,
    trade_flows,
    piie_sectors,
    hs_nomenclature,
    hs_sections,
]
