"""Intermediate suites: joins do not fan out, states are complete, rates stay in bounds."""

from __future__ import annotations

from expectations._common import between, in_set, not_null, rows_at_least, suite, unique_key


def int_exclusion_lines_resolved():
    return suite(
        "intermediate.int_exclusion_lines_resolved",
        [
            rows_at_least(1),
            unique_key("measure_id", "hs8_code"),
            *not_null("measure_id", "hs8_code", "is_list_complete"),
        ],
    )


def int_tariff_lines_stated_by_date():
    return suite(
        "intermediate.int_tariff_lines_stated_by_date",
        [
            rows_at_least(1000),
            unique_key("schedule_id", "national_line_code", "as_of_date"),
            *not_null(
                "schedule_id",
                "national_line_code",
                "as_of_date",
                "additional_rate_pct",
            ),
            between("mfn_rate_pct", 0, 1000),
            between("additional_rate_pct", 0, 1000),
            between("applied_rate_pct", 0, 2000),
        ],
    )


def int_tariff_line_windows():
    return suite(
        "intermediate.int_tariff_line_windows",
        [
            rows_at_least(1000),
            unique_key("schedule_id", "national_line_code", "valid_from_date"),
            *not_null("schedule_id", "national_line_code", "valid_from_date"),
        ],
    )


def int_tariff_lines_rolled_up_to_hs8():
    return suite(
        "intermediate.int_tariff_lines_rolled_up_to_hs8",
        [
            rows_at_least(1000),
            unique_key("schedule_id", "hs8_code", "as_of_date"),
            *not_null("hs8_code", "as_of_date", "lines_total", "is_covered"),
            between("lines_total", 1, None),
        ],
    )


def int_trade_flows_joined_to_tariff_lines():
    return suite(
        "intermediate.int_trade_flows_joined_to_tariff_lines",
        [
            rows_at_least(1),
            # no fan-out: one row per flow and date
            unique_key("trade_flow_id", "as_of_date"),
            *not_null("trade_flow_id", "as_of_date", "sector", "is_covered", "trade_value_usd"),
            between("trade_value_usd", 0, None),
        ],
    )


def int_tariff_lines_weighted():
    return suite(
        "intermediate.int_tariff_lines_weighted",
        [
            rows_at_least(1000),
            unique_key("schedule_id", "national_line_code", "weight_basis_id", "weighting_method"),
            *not_null("trade_value_usd", "is_trade_matched", "weight_year", "weight_basis_id"),
            in_set(
                "weighting_method",
                ["hs8_recoded", "by_2017_hs8_shares", "exact_hs8", "hs6", "concordance", "hs4"],
            ),
            between("trade_value_usd", 0, None),
        ],
    )


def int_hs_codes_categorized():
    return suite(
        "intermediate.int_hs_codes_categorized",
        [
            rows_at_least(1000),
            unique_key("hs_revision", "code", "category"),
            *not_null("hs_revision", "code", "category", "subcategory"),
        ],
    )


def int_mof_list_compared_to_piie():
    return suite(
        "intermediate.int_mof_list_compared_to_piie",
        [
            rows_at_least(1),
            unique_key("hs8_code"),
            in_set("comparison", ["agrees", "only_in_mof_list", "only_in_piie", "rate_differs"]),
        ],
    )


def int_hs8_codes_known():
    return suite(
        "intermediate.int_hs8_codes_known",
        [
            rows_at_least(1000),
            unique_key("hs_revision", "hs8_code"),
            *not_null("hs_revision", "hs8_code"),
        ],
    )


def int_weight_flows():
    return suite(
        "intermediate.int_weight_flows",
        [
            # the PIIE 2017 HS8 imports are always there: the default basis
            rows_at_least(1000),
            unique_key("trade_flow_id"),
            *not_null("weight_basis_id", "hs_code", "weight_year", "trade_value_usd"),
            in_set("hs_level", [4, 6, 8, 10]),
            in_set("frequency", ["annual", "monthly"]),
            between("trade_value_usd", 0, None),
        ],
    )


def int_weight_bases():
    return suite(
        "intermediate.int_weight_bases",
        [
            rows_at_least(1),
            unique_key("weight_basis_id"),
            *not_null("weight_basis_id", "weight_year", "hs_level", "trade_value_usd"),
            between("months_covered", 1, 12),
        ],
    )


def int_weight_flows_monthly_shares():
    return suite(
        "intermediate.int_weight_flows_monthly_shares",
        [
            # no row count: monthly flows come only from landed customs files, so a build
            # before any `tariff-etl ingest` (e.g. the build DAG on a fresh warehouse) has none
            unique_key(
                "weight_source",
                "reporter_iso3",
                "partner_iso3",
                "flow_direction",
                "hs_level",
                "hs_code",
                "calendar_month",
            ),
            *not_null(
                "weight_source", "hs_code", "calendar_month", "avg_month_share", "years_averaged"
            ),
            between("calendar_month", 1, 12),
            between("avg_month_share", 0, 1),
            between("years_averaged", 1, None),
            in_set("hs_level", [4, 6]),
        ],
    )


def int_tariff_action_lines_resolved():
    return suite(
        "intermediate.int_tariff_action_lines_resolved",
        [
            rows_at_least(1000),
            unique_key("schedule_id", "action_id", "national_line_code"),
            *not_null("schedule_id", "action_id", "national_line_code", "match_step", "rate_pp"),
            between("rate_pp", -200, 200),
        ],
    )


def int_hs_concordance_shares():
    return suite(
        "intermediate.int_hs_concordance_shares",
        [
            rows_at_least(1000),
            unique_key("from_hs6", "to_hs6"),
            *not_null("from_hs6", "to_hs6", "value_share"),
            between("value_share", 0, 1),
        ],
    )


def int_recoded_target_lines():
    return suite(
        "intermediate.int_recoded_target_lines",
        [
            rows_at_least(100),
            unique_key("schedule_id", "national_line_code", "weight_basis_id"),
            *not_null("schedule_id", "national_line_code", "weight_basis_id", "hs6_code"),
            between("targets_in_hs6", 1, None),
        ],
    )


def int_recoded_value_pools():
    return suite(
        "intermediate.int_recoded_value_pools",
        [
            rows_at_least(100),
            unique_key("schedule_id", "weight_basis_id", "hs8_code", "schedule_hs6_code"),
            *not_null("schedule_id", "weight_basis_id", "hs8_code", "is_spread", "pool_part_usd"),
            between("pool_part_usd", 0, None),
        ],
    )


BUILDERS = [
    int_hs_concordance_shares,
    int_recoded_target_lines,
    int_recoded_value_pools,
    int_tariff_action_lines_resolved,
    int_exclusion_lines_resolved,
    int_tariff_lines_stated_by_date,
    int_tariff_line_windows,
    int_tariff_lines_rolled_up_to_hs8,
    int_trade_flows_joined_to_tariff_lines,
    int_weight_flows,
    int_weight_bases,
    int_weight_flows_monthly_shares,
    int_tariff_lines_weighted,
    int_hs_codes_categorized,
    int_mof_list_compared_to_piie,
    int_hs8_codes_known,
]
