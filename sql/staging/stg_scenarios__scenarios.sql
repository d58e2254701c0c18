/*  Exemption scenarios (validated YAML under scenarios/): base tariff state and the claim.
    A scenario based on `latest` gets the last date on which a recorded tariff action took
    effect (the end of the timeline); base_label keeps what the file said.
    grain: one row per scenario
    primary key: scenario_id */

with

scenarios as (
    select * from read_parquet(getvariable('raw_root') || '/exemption_scenarios/*.parquet')
),

actions as (
    select * from staging.stg_tariffs__actions
),

timeline_end as (
    select max(actions.effective_date) as last_action_date
    from actions
    where actions.is_in_force
),

renamed as (
    select
        scenarios.scenario_id,

        scenarios.description as scenario_description,
        scenarios.base_schedule_id,
        scenarios.base_label,
        coalesce(cast(scenarios.base_date as date), timeline_end.last_action_date) as base_date,
        scenarios.claimed_share_low,
        scenarios.claimed_share_high,
        scenarios._source_file as scenario_file

    from scenarios
    cross join timeline_end
)

select * from renamed
