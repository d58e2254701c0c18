/*  The honest answer to "how much of the taxed trade would the exemption cover?": per scenario,
    the lowest and highest coverage share across every defensible estimate (weight basis x
    band weighting method, complete years only; the diagnostics exact_hs8, hs6, concordance and
    hs4 and partial years never define it), beside the share the story claims (where the
    scenario states one). Estimates are banded separately by product scope: 'all_products'
    bases (China-reported HS8 imports, any landed full customs data) and 'phase_one_products'
    bases (the bundled US Census exports, which cover only the Phase One products: a share
    within those products).
    grain: one row per scenario and product scope
    primary key: scenario_id, product_scope */

with

coverage as (
    select * from marts.fct_exemption_coverage
    where fct_exemption_coverage.category = 'all'
),

weight_bases as (
    select * from marts.dim_weight_bases
),

scenarios as (
    select * from staging.stg_scenarios__scenarios
),

estimates as (
    select distinct
        coverage.scenario_id,
        weight_bases.product_scope,
        coverage.weight_basis_id,
        coverage.weighting_method,
        coverage.coverage_share,
        coverage.taxed_value_usd,
        coverage.covered_value_usd
    from coverage
    inner join weight_bases
        on coverage.weight_basis_id = weight_bases.weight_basis_id
    where
        coverage.coverage_share is not null
        and coverage.is_band_method
        and weight_bases.is_complete_year
),

band as (
    select
        estimates.scenario_id,
        estimates.product_scope,
        min(estimates.coverage_share) as coverage_share_low,
        max(estimates.coverage_share) as coverage_share_high,
        arg_min(
            estimates.weight_basis_id,
            (estimates.coverage_share, estimates.weight_basis_id, estimates.weighting_method)
        ) as low_weight_basis_id,
        arg_min(
            estimates.weighting_method,
            (estimates.coverage_share, estimates.weight_basis_id, estimates.weighting_method)
        ) as low_method,
        arg_max(
            estimates.weight_basis_id,
            (estimates.coverage_share, estimates.weight_basis_id, estimates.weighting_method)
        ) as high_weight_basis_id,
        arg_max(
            estimates.weighting_method,
            (estimates.coverage_share, estimates.weight_basis_id, estimates.weighting_method)
        ) as high_method,
        min(estimates.covered_value_usd) as covered_value_low_usd,
        max(estimates.covered_value_usd) as covered_value_high_usd,
        min(estimates.taxed_value_usd) as taxed_value_low_usd,
        max(estimates.taxed_value_usd) as taxed_value_high_usd,
        count(*) as estimates,
        count(distinct estimates.weight_basis_id) as weight_bases
    from estimates
    group by estimates.scenario_id, estimates.product_scope
),

final as (
    select
        band.scenario_id,
        band.product_scope,

        scenarios.scenario_description,
        scenarios.base_schedule_id,
        scenarios.base_date,
        band.low_weight_basis_id,
        band.low_method,
        band.high_weight_basis_id,
        band.high_method,
        band.estimates,
        band.weight_bases,
        scenarios.claimed_share_low,
        scenarios.claimed_share_high,
        case
            when scenarios.claimed_share_low is not null
                then
                    band.coverage_share_high >= scenarios.claimed_share_low
                    and band.coverage_share_low <= scenarios.claimed_share_high
        end as is_band_overlapping_claim,

        band.coverage_share_low,
        band.coverage_share_high,
        band.covered_value_low_usd,
        band.covered_value_high_usd,
        band.taxed_value_low_usd,
        band.taxed_value_high_usd

    from band
    inner join scenarios
        on band.scenario_id = scenarios.scenario_id
)

select * from final
