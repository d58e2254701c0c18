/*  Exemption scenarios (validated YAML under scenarios/): base tariff state and the claim.
    grain: one row per scenario
    primary key: scenario_id */

with

scenarios as (
    select * from read_parquet(getvariable('raw_root') || '/exemption_scenarios/*.parquet')
),

renamed as (
    select
        scenarios.scenario_id,

        scenarios.description as scenario_description,
        scenarios.base_schedule_id,
        scenarios.base_date,
        scenarios.claimed_share_low,
        scenarios.claimed_share_high,
        scenarios._source_file as scenario_file

    from scenarios
)

select * from renamed
