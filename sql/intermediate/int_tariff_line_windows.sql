/*  Tariff lines as validity windows: a new window opens when the line's MFN rate, additional
    rate or the measures behind them change. valid_to_date is exclusive; NULL = still in force.
    grain: one row per schedule, national tariff line and validity window
    primary key: schedule_id, national_line_code, valid_from_date */

with

line_states as (
    select * from intermediate.int_tariff_lines_stated_by_date
),

with_previous as (
    select
        line_states.*,
        lag(line_states.mfn_rate_pct) over (
            partition by line_states.schedule_id, line_states.national_line_code
            order by line_states.as_of_date
        ) as previous_mfn_rate_pct,
        lag(line_states.additional_rate_pct) over (
            partition by line_states.schedule_id, line_states.national_line_code
            order by line_states.as_of_date
        ) as previous_additional_rate_pct,
        lag(line_states.measure_ids) over (
            partition by line_states.schedule_id, line_states.national_line_code
            order by line_states.as_of_date
        ) as previous_measure_ids
    from line_states
),

flagged as (
    select
        with_previous.*,
        case
            when
                (
                    with_previous.previous_mfn_rate_pct = with_previous.mfn_rate_pct
                    or (
                        with_previous.previous_mfn_rate_pct is null
                        and with_previous.mfn_rate_pct is null
                    )
                )
                and with_previous.previous_additional_rate_pct
                = with_previous.additional_rate_pct
                and with_previous.previous_measure_ids = with_previous.measure_ids
                then 0
            else 1
        end as opens_window
    from with_previous
),

numbered as (
    select
        flagged.*,
        sum(flagged.opens_window) over (
            partition by flagged.schedule_id, flagged.national_line_code
            order by flagged.as_of_date
        ) as window_number
    from flagged
),

windows as (
    select
        numbered.schedule_id,
        numbered.national_line_code,
        numbered.window_number,
        min(numbered.as_of_date) as valid_from_date,
        any_value(numbered.mfn_rate_pct) as mfn_rate_pct,
        any_value(numbered.additional_rate_pct) as additional_rate_pct,
        any_value(numbered.applied_rate_pct) as applied_rate_pct,
        any_value(numbered.measure_ids) as measure_ids,
        any_value(numbered.is_exclusion_in_force) as is_exclusion_in_force,
        any_value(numbered.exclusion_announcement_ids) as exclusion_announcement_ids,
        any_value(numbered.is_exclusion_list_complete) as is_exclusion_list_complete
    from numbered
    group by numbered.schedule_id, numbered.national_line_code, numbered.window_number
),

final as (
    select
        windows.schedule_id,
        windows.national_line_code,
        windows.valid_from_date,
        lead(windows.valid_from_date) over (
            partition by windows.schedule_id, windows.national_line_code
            order by windows.valid_from_date
        ) as valid_to_date,

        windows.measure_ids,
        windows.is_exclusion_in_force,
        windows.exclusion_announcement_ids,
        windows.is_exclusion_list_complete,

        windows.mfn_rate_pct,
        windows.additional_rate_pct,
        windows.applied_rate_pct

    from windows
)

select * from final
