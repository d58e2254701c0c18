/*  An exemption can only cover taxed trade: covered value and lines never exceed the taxed
    ones, and the average after the exemption never exceeds the average before.
    returns: coverage rows that break the rule */

select
    fct_exemption_coverage.scenario_id,
    fct_exemption_coverage.weight_basis_id,
    fct_exemption_coverage.weighting_method,
    fct_exemption_coverage.category,
    fct_exemption_coverage.window_months
from marts.fct_exemption_coverage
where
    fct_exemption_coverage.covered_value_usd > fct_exemption_coverage.taxed_value_usd + 0.01
    or fct_exemption_coverage.lines_covered > fct_exemption_coverage.lines_taxed
    or fct_exemption_coverage.avg_additional_rate_after_pct
    > fct_exemption_coverage.avg_additional_rate_before_pct + 1e-9
