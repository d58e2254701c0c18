/*  The honest answer to "how much of the taxed trade would the exemption cover?": per
    scenario, the lowest and highest coverage share across weighting methods, beside the share
    the story claims (where the scenario states one).
    grain: one row per scenario
    primary key: scenario_id */

with

coverage as (
    select * from marts.fct_exemption_coverage
    where fct_exemption_coverage.category = 'all'
),

scenarios as (
    select * from staging.stg_scenarios__scenarios
),

per_method as (
    select distinct
        coverage.scenario_id,
        coverage.weighting_method,
        coverage.coverage_share,
        coverage.taxed_value_usd,
        coverage.covered_value_usd
    from coverage
),

band as (
    select
        per_method.scenario_id,
        min(per_method.coverage_share) as coverage_share_low,
        max(per_method.coverage_share) as coverage_share_high,
        arg_min(per_method.weighting_method, per_method.coverage_share) as low_method,
        arg_max(per_method.weighting_method, per_method.coverage_share) as high_method,
        min(per_method.covered_value_usd) as covered_value_low_usd,
        max(per_method.covered_value_usd) as covered_value_high_usd,
        min(per_method.taxed_value_usd) as taxed_value_low_usd,
        max(per_method.taxed_value_usd) as taxed_value_high_usd,
        count(*) as methods
    from per_method
    group by per_method.scenario_id
),

final as (
    select
        band.scenario_id,

        scenarios.scenario_description,
        scenarios.base_schedule_id,
        scenarios.base_date,
        band.low_method,
        band.high_method,
        band.methods,
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
