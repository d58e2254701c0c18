/*  The exemption windows of each scenario (the story says 6 to 12 months).
    grain: one row per scenario and window length
    primary key: scenario_id, window_months */

with

windows as (
    select * from read_parquet(
        getvariable('raw_root') || '/exemption_scenario_windows/*.parquet'
    )
),

renamed as (
    select
        windows.scenario_id,
        windows.window_months,

        windows.window_start_date,
        windows.window_end_date

    from windows
)

select * from renamed
