"""Staging suites: keys unique and not null, HS codes well formed, rates and values plausible."""

from __future__ import annotations

from datetime import datetime

from expectations._common import (
    between,
    gxe,
    hs_code,
    in_set,
    not_null,
    rows_at_least,
    suite,
    unique_key,
)

# a national line: CN 8-digit (2025 matrix) or HS10, with PIIE's A/B value-split suffix
NATIONAL_LINE = r"^\d{8}(?:\d{2}[A-Z]?)?$"


def stg_tariffs__measures():
    return suite(
        "staging.stg_tariffs__measures",
        [
            rows_at_least(2),
            unique_key("measure_id"),
            *not_null("measure_id", "schedule_id", "measure_kind", "effective_date"),
            in_set("retaliation_basis", ["s232", "s301", "mixed", "unknown"]),
            between("effective_date", datetime(1990, 1, 1), datetime(2100, 1, 1)),
        ],
    )


def stg_tariffs__schedule_lines():
    return suite(
        "staging.stg_tariffs__schedule_lines",
        [
            rows_at_least(1000),
            unique_key("schedule_id", "national_line_code"),
            *not_null("schedule_id", "national_line_code", "hs8_code", "hs6_code", "hs_revision"),
            gxe().ExpectColumnValuesToMatchRegex(column="national_line_code", regex=NATIONAL_LINE),
            hs_code("hs8_code", 8),
            hs_code("hs6_code", 6),
            in_set("hs_revision", ["HS2017", "HS2022"]),
        ],
    )


def stg_tariffs__line_rates():
    return suite(
        "staging.stg_tariffs__line_rates",
        [
            rows_at_least(1000),
            unique_key("schedule_id", "national_line_code", "measure_id"),
            *not_null("schedule_id", "national_line_code", "measure_id"),
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
            in_set("hs_level", [0, 2, 4, 6, 8, 10]),  # 0 = grand total (Comtrade TOTAL)
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


def stg_mof__retaliation_list_2018():
    return suite(
        "staging.stg_mof__retaliation_list_2018",
        [
            rows_at_least(1),
            unique_key("hs8_code"),
            hs_code("hs8_code", 8),
            between("additional_rate_pct", 0, 100),
        ],
    )


def stg_reference__hs_concordance():
    return suite(
        "staging.stg_reference__hs_concordance",
        [
            rows_at_least(1000),
            unique_key("from_revision", "from_hs6", "to_revision", "to_hs6"),
            hs_code("from_hs6", 6),
            hs_code("to_hs6", 6),
            in_set("relationship", ["1:1", "n:1", "1:n", "n:n"]),
        ],
    )


def stg_reference__product_categories():
    return suite(
        "staging.stg_reference__product_categories",
        [
            rows_at_least(1),
            unique_key("category", "hs_revision", "hs_prefix", "match_type"),
            *not_null("category", "hs_revision", "hs_prefix", "basis"),
            gxe().ExpectColumnValuesToMatchRegex(column="hs_prefix", regex=r"^(?:\d{2}){1,4}$"),
            in_set("match_type", ["include", "exclude"]),
        ],
    )


def stg_exclusions__announcements():
    return suite(
        "staging.stg_exclusions__announcements",
        [
            rows_at_least(1),
            unique_key("announcement_id"),
            gxe().ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="effective_to_date",
                column_B="effective_from_date",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
        ],
    )


def stg_exclusions__items():
    return suite(
        "staging.stg_exclusions__items",
        [
            rows_at_least(1),
            unique_key("exclusion_item_id"),
            *not_null("announcement_id", "hs8_code"),
            hs_code("hs8_code", 8),
        ],
    )


def stg_scenarios__scenarios():
    return suite(
        "staging.stg_scenarios__scenarios",
        [
            rows_at_least(1),
            unique_key("scenario_id"),
            *not_null("scenario_id", "base_schedule_id", "base_date"),
            gxe().ExpectColumnValuesToMatchRegex(column="scenario_id", regex=r"^[a-z][a-z0-9_]*$"),
        ],
    )


def stg_scenarios__windows():
    return suite(
        "staging.stg_scenarios__windows",
        [
            rows_at_least(1),
            unique_key("scenario_id", "window_months"),
            between("window_months", 1, 120),
        ],
    )


def stg_scenarios__rules():
    return suite(
        "staging.stg_scenarios__rules",
        [
            rows_at_least(1),
            unique_key("scenario_id", "rule_type", "rule_kind", "rule_value"),
            in_set("rule_type", ["include", "exclude"]),
            in_set("rule_kind", ["category", "hs_prefix"]),
        ],
    )


def stg_tariffs__actions():
    return suite(
        "staging.stg_tariffs__actions",
        [
            rows_at_least(20),
            unique_key("action_id"),
            *not_null("action_id", "effective_date", "operation", "scope_kind", "evidence"),
            in_set("operation", ["add", "set", "scale", "suspend", "exclude"]),
            in_set("evidence", ["official_list", "published_dataset", "derived", "blanket"]),
            in_set("retaliation_basis", ["s232", "s301", "ieepa"]),
            between("effective_date", datetime(2018, 1, 1), datetime(2036, 1, 1)),
        ],
    )


def stg_tariffs__action_line_lists():
    return suite(
        "staging.stg_tariffs__action_line_lists",
        [
            rows_at_least(700),
            unique_key("list_id", "item_no"),
            # rate_pct is NULL where the HS6 list has a blank (non-ad-valorem) cell
            *not_null("list_id", "item_no", "code", "code_level"),
            gxe().ExpectColumnValuesToMatchRegex(column="code", regex=r"^\d{6}(?:\d{2})?$"),
            between("rate_pct", 0, 200),
        ],
    )


def stg_piie__tariff_events():
    return suite(
        "staging.stg_piie__tariff_events",
        [
            rows_at_least(2),
            unique_key("event_date"),
            unique_key("event_number"),
            *not_null("event_date", "event_number", "tariff_action", "cn_tariff_on_us_pct"),
            between("event_date", datetime(2018, 1, 1), datetime(2036, 1, 1)),
            between("cn_tariff_on_us_pct", 0, 1000),
            between("us_tariff_on_cn_pct", 0, 1000),
        ],
    )


BUILDERS = [
    stg_tariffs__actions,
    stg_tariffs__action_line_lists,
    stg_tariffs__measures,
    stg_tariffs__schedule_lines,
    stg_tariffs__line_rates,
    stg_customs__trade_flows,
    stg_piie__sectors,
    stg_reference__hs_nomenclature,
    stg_mof__retaliation_list_2018,
    stg_reference__hs_concordance,
    stg_reference__product_categories,
    stg_exclusions__announcements,
    stg_exclusions__items,
    stg_scenarios__scenarios,
    stg_scenarios__windows,
    stg_scenarios__rules,
    stg_piie__tariff_events,
]
