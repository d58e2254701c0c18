"""Staging suites: keys unique and not null, HS codes well formed, rates and values plausible."""

from __future__ import annotations

from datetime import datetime

from expectations._common import (
    between,
    hs_code,
    in_set,
    not_null,
    rows_at_least,
    suite,
    unique_key,
)


def stg_piie__tariff_measures():
    return suite(
        "staging.stg_piie__tariff_measures",
        [
            rows_at_least(2),
            unique_key("measure_id"),
            *not_null("measure_id", "measure_kind", "effective_date", "is_mfn_component"),
            between("effective_date", datetime(1990, 1, 1), datetime(2100, 1, 1)),
        ],
    )


def stg_piie__tariff_lines():
    return suite(
        "staging.stg_piie__tariff_lines",
        [
            rows_at_least(1000),
            unique_key("national_line_code"),
            *not_null("national_line_code", "hs8_code", "hs6_code"),
            hs_code("national_line_code", 10, suffix=True),
            hs_code("hs8_code", 8),
            hs_code("hs6_code", 6),
        ],
    )


def stg_piie__tariff_line_rates():
    return suite(
        "staging.stg_piie__tariff_line_rates",
        [
            rows_at_least(1000),
            unique_key("national_line_code", "measure_id"),
            *not_null("national_line_code", "measure_id"),
            between("rate_pp", -100, 1000),
        ],
    )


def stg_customs__trade_flows():
    return suite(
        "staging.stg_customs__trade_flows",
        [
            rows_at_least(1),
            unique_key("trade_flow_id"),
            *not_null(
                "trade_flow_id", "reporter_iso3", "partner_iso3", "hs_code", "trade_value_usd"
            ),
            in_set("flow_direction", ["import", "export"]),
            between("trade_value_usd", 0, 1e12),
            in_set("hs_level", [2, 4, 6, 8, 10]),
        ],
    )


def stg_piie__sectors():
    return suite(
        "staging.stg_piie__sectors",
        [
            rows_at_least(1),
            unique_key("hs8_code"),
            *not_null("hs8_code", "sector"),
            hs_code("hs8_code", 8),
        ],
    )


def stg_reference__hs_nomenclature():
    return suite(
        "staging.stg_reference__hs_nomenclature",
        [
            rows_at_least(1000),
            unique_key("hs_revision", "hs_code"),
            *not_null("hs_revision", "hs_code", "hs_level", "hs_description"),
            in_set("hs_level", [2, 4, 6]),
        ],
    )


BUILDERS = [
    stg_piie__tariff_measures,
    stg_piie__tariff_lines,
    stg_piie__tariff_line_rates,
    stg_customs__trade_flows,
    stg_piie__sectors,
    stg_reference__hs_nomenclature,
]
