/*  China's tariff on US goods per national tariff line, as validity windows: a new window opens
    when the line's MFN rate, additional retaliatory rate or the measures behind them change.
    valid_from_date is inclusive, valid_to_date exclusive; NULL valid_to_date = still in force.
    Schedules: piie_2019_06 (HS10 lines, 2018-01-01 .. the rounds through 2019-06-01, plus the
    exclusion lists) and ita_matrix_2025 (CN8 lines, the state on 2025-03-28).
    grain: one row per schedule, national tariff line and validity window
    primary key: schedule_id, national_line_code, valid_from_date */

with

windows as (
    select * from intermediate.int_tariff_line_windows
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

final as (
    select
        windows.schedule_id,
        windows.national_line_code,
        windows.valid_from_date,
        windows.valid_to_date,

        tariff_lines.reporter_iso3,
        'USA' as partner_iso3,
        tariff_lines.hs_revision,
        tariff_lines.hs8_code,
        tariff_lines.hs6_code,
        tariff_lines.line_description,
        array_to_string(windows.measure_ids, ',') as measure_ids,
        windows.mfn_rate_pct is not null as is_ad_valorem,
        windows.additional_rate_pct > 0 as is_retaliation_in_force,
        windows.is_exclusion_in_force,
        windows.exclusion_announcement_ids,
        windows.is_exclusion_list_complete,

        cast(windows.mfn_rate_pct as double) as mfn_rate_pct,
        cast(windows.additional_rate_pct as double) as additional_rate_pct,
        cast(windows.applied_rate_pct as double) as applied_rate_pct

    from windows
    inner join tariff_lines
        on
            windows.schedule_id = tariff_lines.schedule_id
            and windows.national_line_code = tariff_lines.national_line_code
)

select * from final
