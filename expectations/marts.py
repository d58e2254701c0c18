"""Mart suites: the business rules of the published contract."""

from __future__ import annotations

from etl.contract import MARTS
from expectations._common import (
    WARNING,
    between,
    gxe,
    in_set,
    not_null,
    rows_at_least,
    suite,
    unique_key,
)


def _contract_key(mart: str):
    """The mart's key as `etl/contract.py` declares it (declared once, checked here)."""
    return unique_key(*MARTS[mart].key)


def _contract_not_null(mart: str):
    """Not-null checks of the mart's key and `not_null` columns, as `etl/contract.py` declares
    them (declared once, checked here)."""
    return not_null(*MARTS[mart].never_null)


def _at_least(column_a: str, column_b: str):
    return gxe().ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_a, column_B=column_b, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def fct_tariff_timeline():
    return suite(
        "marts.fct_tariff_timeline",
        [
            rows_at_least(1000),
            _contract_key("fct_tariff_timeline"),
            *_contract_not_null("fct_tariff_timeline"),
            between("additional_rate_pct", 0, 1000),
            between("applied_rate_pct", 0, 2000),
            _at_least("valid_to_date", "valid_from_date"),
        ],
    )


def fct_retaliation_coverage():
    return suite(
        "marts.fct_retaliation_coverage",
        [
            rows_at_least(1),
            _contract_key("fct_retaliation_coverage"),
            *_contract_not_null("fct_retaliation_coverage"),
            between("coverage_share", 0, 1),
            between("covered_value_usd", 0, None),
            _at_least("total_value_usd", "covered_value_usd"),
            _at_least("lines_total", "lines_covered"),
        ],
    )


def fct_average_tariff():
    return suite(
        "marts.fct_average_tariff",
        [
            rows_at_least(1),
            _contract_key("fct_average_tariff"),
            *_contract_not_null("fct_average_tariff"),
            gxe().ExpectColumnValuesToBeInSet(
                column="average_method", value_set=["trade_weighted", "simple"]
            ),
            between("avg_applied_rate_pct", 0, 200),
            between("avg_additional_rate_pct", 0, 200),
        ],
    )


def dim_product_categories():
    return suite(
        "marts.dim_product_categories",
        [
            rows_at_least(1000),
            _contract_key("dim_product_categories"),
            *_contract_not_null("dim_product_categories"),
            # codes missing from the nomenclature of their revision are reported, not fatal
            gxe().ExpectColumnValuesToBeInSet(
                column="is_hs6_in_nomenclature", value_set=[True], mostly=0.97, meta=WARNING
            ),
        ],
    )


def fct_exemption_eligibility():
    return suite(
        "marts.fct_exemption_eligibility",
        [
            rows_at_least(1),
            _contract_key("fct_exemption_eligibility"),
            *_contract_not_null("fct_exemption_eligibility"),
        ],
    )


def fct_exemption_coverage():
    return suite(
        "marts.fct_exemption_coverage",
        [
            rows_at_least(1),
            _contract_key("fct_exemption_coverage"),
            *_contract_not_null("fct_exemption_coverage"),
            in_set(
                "weighting_method",
                ["hs8_recoded", "by_2017_hs8_shares", "exact_hs8", "hs6", "concordance", "hs4"],
            ),
            between("coverage_share", 0, 1),
            between("duty_relief_usd", 0, None),
            _at_least("taxed_value_usd", "covered_value_usd"),
            _at_least("lines_taxed", "lines_covered"),
            _at_least("avg_additional_rate_before_pct", "avg_additional_rate_after_pct"),
        ],
    )


def fct_exemption_band():
    return suite(
        "marts.fct_exemption_band",
        [
            rows_at_least(1),
            _contract_key("fct_exemption_band"),
            *_contract_not_null("fct_exemption_band"),
            in_set("product_scope", ["all_products", "phase_one_products"]),
            between("coverage_share_low", 0, 1),
            between("coverage_share_high", 0, 1),
            _at_least("coverage_share_high", "coverage_share_low"),
        ],
    )


def dim_weight_bases():
    return suite(
        "marts.dim_weight_bases",
        [
            rows_at_least(1),
            _contract_key("dim_weight_bases"),
            *_contract_not_null("dim_weight_bases"),
            in_set("reporter_side", ["china_reported", "us_reported"]),
            in_set("product_scope", ["all_products", "phase_one_products"]),
            between("months_covered", 1, 12),
            between("trade_value_usd", 0, None),
            # one HS edition per basis: codes of two editions cannot be matched consistently
            gxe().ExpectColumnValuesToNotMatchRegex(column="hs_revision", regex=","),
            # the default basis (line values of fct_exemption_eligibility) is always there
            gxe().ExpectColumnDistinctValuesToContainSet(
                column="is_default_basis", value_set=[True]
            ),
        ],
    )


def dim_tariff_actions():
    return suite(
        "marts.dim_tariff_actions",
        [
            rows_at_least(20),
            _contract_key("dim_tariff_actions"),
            *_contract_not_null("dim_tariff_actions"),
            in_set("evidence", ["official_list", "published_dataset", "derived", "blanket"]),
            between("lines_in_scope", 0, None),
        ],
    )


def fct_tariff_action_lines():
    return suite(
        "marts.fct_tariff_action_lines",
        [
            rows_at_least(1000),
            _contract_key("fct_tariff_action_lines"),
            *_contract_not_null("fct_tariff_action_lines"),
            between("rate_change_pp", -200, 200),
        ],
    )


def fct_weight_value_mapping():
    return suite(
        "marts.fct_weight_value_mapping",
        [
            rows_at_least(1000),
            _contract_key("fct_weight_value_mapping"),
            *_contract_not_null("fct_weight_value_mapping"),
            in_set(
                "mapping_step",
                [
                    "exact",
                    "recoded_spread",
                    "recoded_spread_partly",
                    "kept_out_untaxed",
                    "shared_by_2017_hs8",
                    "equal_split",
                    "unmatched",
                ],
            ),
        ],
    )


BUILDERS = [
    fct_tariff_timeline,
    fct_retaliation_coverage,
    fct_average_tariff,
    dim_product_categories,
    fct_exemption_eligibility,
    fct_exemption_coverage,
    fct_exemption_band,
    dim_weight_bases,
    dim_tariff_actions,
    fct_tariff_action_lines,
    fct_weight_value_mapping,
]
