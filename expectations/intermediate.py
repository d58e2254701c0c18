"""Intermediate suites: joins do not fan out, states are complete, rates stay in bounds."""

from __future__ import annotations

from expectations._common import between, not_null, rows_at_least, suite, unique_key


def int_tariff_lines_stated_by_date():
    return suite(
        "intermediate.int_tariff_lines_stated_by_date",
        [
            rows_at_least(1000),
            unique_key("national_line_code", "as_of_date"),
            *not_null("national_line_code", "as_of_date", "additional_rate_pct", "measure_ids"),
            between("mfn_rate_pct", 0, 1000),
            between("additional_rate_pct", 0, 1000),
            between("applied_rate_pct", 0, 2000),
        ],
    )


def int_tariff_lines_rolled_up_to_hs8():
    return suite(
        "intermediate.int_tariff_lines_rolled_up_to_hs8",
        [
            rows_at_least(1000),
            unique_key("hs8_code", "as_of_date"),
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


BUILDERS = [
    int_tariff_lines_stated_by_date,
    int_tariff_lines_rolled_up_to_hs8,
    int_trade_flows_joined_to_tariff_lines,
]
