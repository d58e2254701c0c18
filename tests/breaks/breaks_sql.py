"""Three breaks of the SQL and the report (a SQL assertion that can never fail, the simple
average losing the retaliation, the report's coverage table shifted by one date), each caught
by the tests listed with it."""

from __future__ import annotations

from tests.breaks.model import Break

_FAILS = "tests/sql/test_sql_assertions_fail.py::test_assertion_fails_on_the_fixture_that_breaks"

BREAKS = [
    Break(
        name="mof_2018_assertion_never_returns_a_row",
        path="sql/tests/assert_mof_2018_list_matches_piie.sql",
        old="where int_mof_list_compared_to_piie.comparison <> 'agrees'",
        new="where false",
        tests=[
            f"{_FAILS}_its_rule[assert_mof_2018_list_matches_piie-rate_differs]",
            f"{_FAILS}_its_rule[assert_mof_2018_list_matches_piie-only_in_mof_list]",
            f"{_FAILS}_its_rule[assert_mof_2018_list_matches_piie-only_in_piie]",
        ],
    ),
    Break(
        name="simple_average_hs8_drops_the_retaliation",
        path="sql/marts/fct_average_tariff.sql",
        old="cast(avg(hs8_states.applied_rate_pct) as double) as avg_applied_rate_pct,",
        new="cast(avg(hs8_states.mfn_rate_pct) as double) as avg_applied_rate_pct,",
        tests=[
            "tests/sql/test_average_tariff.py::"
            "test_simple_average_hs8_is_the_unweighted_mean_of_hs8_rates",
            "tests/sql/test_average_tariff.py::"
            "test_simple_average_differs_from_the_trade_weighted_one_where_trade_is_uneven",
        ],
    ),
    Break(
        name="report_coverage_table_shows_the_previous_dates_value",
        path="etl/templates/report.html.j2",
        old='<td class="num">{{ row.covered | bn }}</td>',
        new=(
            '<td class="num">{{ data.coverage[0 if loop.first else loop.index0 - 1].covered'
            " | bn }}</td>"
        ),
        tests=["tests/report/test_report.py::test_html_numbers_match_the_marts"],
    ),
]
