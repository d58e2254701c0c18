/*  China's tariff on US goods per national tariff line, as validity windows: a new window opens
    when the line's MFN rate, additional retaliatory rate or the measures behind them change.
    valid_from_date is inclusive, valid_to_date exclusive; NULL valid_to_date = still in force.
    Schedules: piie_2019_06 (China's 2018 HS10 lines from PIIE's June 2019 file, with every
    recorded action from 2018-01-01 to the last one folded on them: data/reference/
    tariff_actions) and ita_matrix_2025 (CN8 lines, the ITA state on 2025-03-28, and the
    actions after it). action_ids lists the actions whose rates are in force in the window.
    incomplete_action_ids names recorded actions that took effect before the window ends but
    whose lines the bundled data does not hold (China's MFN changes after 2019, the February
    2025 duties, exclusion lists with no known item: int_tariff_actions_incomplete): such a
    window's rate may be wrong for the line, and is_rate_complete is false. MFN rates are those
    of PIIE's file (2019) carried forward.
    grain: one row per schedule, national tariff line and validity window
    primary key: schedule_id, national_line_code, valid_from_date */

with

windows as (
    select * from intermediate.int_tariff_line_windows
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

schedule_starts as (
    select
        stg_tariffs__measures.schedule_id,
        min(stg_tariffs__measures.effective_date) as first_state_date
    from staging.stg_tariffs__measures
    group by stg_tariffs__measures.schedule_id
),

incomplete_actions as (
    -- recorded actions whose lines are not held, on the schedules they would fold on
    select
        schedule_starts.schedule_id,
        int_tariff_actions_incomplete.action_id,
        int_tariff_actions_incomplete.effective_date,
        int_tariff_actions_incomplete.end_date
    from intermediate.int_tariff_actions_incomplete
    inner join schedule_starts
        on int_tariff_actions_incomplete.effective_date > schedule_starts.first_state_date
),

windows_flagged as (
    select
        windows.schedule_id,
        windows.national_line_code,
        windows.valid_from_date,
        string_agg(
            incomplete_actions.action_id, ','
            order by incomplete_actions.effective_date, incomplete_actions.action_id
        ) as incomplete_action_ids
    from windows
    inner join incomplete_actions
        on
            windows.schedule_id = incomplete_actions.schedule_id
            and (
                windows.valid_to_date is null
                or windows.valid_to_date > incomplete_actions.effective_date
            )
            and (
                incomplete_actions.end_date is null
                or windows.valid_from_date < incomplete_actions.end_date
            )
    group by windows.schedule_id, windows.national_line_code, windows.valid_from_date
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
        array_to_string(windows.measure_ids, ',') as action_ids,
        windows.mfn_rate_pct is not null as is_ad_valorem,
        windows.additional_rate_pct > 0 as is_retaliation_in_force,
        windows.is_exclusion_in_force,
        windows.exclusion_announcement_ids,
        windows.is_exclusion_list_complete,
        windows_flagged.incomplete_action_ids,
        windows_flagged.incomplete_action_ids is null as is_rate_complete,

        cast(windows.mfn_rate_pct as double) as mfn_rate_pct,
        cast(windows.additional_rate_pct as double) as additional_rate_pct,
        cast(windows.applied_rate_pct as double) as applied_rate_pct

    from windows
    inner join tariff_lines
        on
            windows.schedule_id = tariff_lines.schedule_id
            and windows.national_line_code = tariff_lines.national_line_code
    left join windows_flagged
        on
            windows.schedule_id = windows_flagged.schedule_id
            and windows.national_line_code = windows_flagged.national_line_code
            and windows.valid_from_date = windows_flagged.valid_from_date
)

select * from final
