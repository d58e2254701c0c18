"""Mart suites: the business rules of the published contract."""

from __future__ import annotations

from expectations._common import WARNING, between, gxe, not_null, rows_at_least, suite, unique_key


def fct_tariff_timeline():
    return suite(
        "marts.fct_tariff_timeline",
        [
            rows_at_least(1000),
            unique_key("national_line_code", "valid_from_date"),
            *not_null("national_line_code", "valid_from_date", "additional_rate_pct", "hs8_code"),
            between("additional_rate_pct", 0, 1000),
            between("applied_rate_pct", 0, 2000),
        ],
    )


def fct_retaliation_coverage():
    return suite(
        "marts.fct_retaliation_coverage",
        [
            rows_at_least(1),
            unique_key("as_of_date", "sector"),
            *not_null(
                "as_of_date", "sector", "covered_value_usd", "total_value_usd", "weight_year"
            ),
            between("coverage_share", 0, 1),
            between("covered_value_usd", 0, None),
            gxe().ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="total_value_usd", column_B="covered_value_usd", or_equal=True
            ),
            gxe().ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="lines_total", column_B="lines_covered", or_equal=True
            ),
        ],
    )


def fct_average_tariff():
    return suite(
        "marts.fct_average_tariff",
        [
            rows_at_least(1),
            unique_key("as_of_date", "weight_basis"),
            *not_null("as_of_date", "weight_basis", "avg_applied_rate_pct"),
            between("avg_applied_rate_pct", 0, 200),
            between("avg_additional_rate_pct", 0, 200),
        ],
    )


def dim_product_categories():
    return suite(
        "marts.dim_product_categories",
        [
            rows_at_least(1000),
            unique_key("hs8_code"),
            *not_null("hs8_code", "hs6_code", "sector"),
            # codes missing from the HS2017 nomenclature are reported, not fatal
            gxe().ExpectColumnValuesToBeInSet(
                column="is_hs6_in_nomenclature", value_set=[True], mostly=0.97, meta=WARNING
            ),
        ],
    )


BUILDERS = [
    fct_tariff_timeline,
    fct_retaliation_coverage,
    fct_average_tariff,
    dim_product_categories,
]
