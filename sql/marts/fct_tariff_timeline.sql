/*  China's tariff on US goods per national tariff line, as validity windows: a new window opens
    when the line's MFN rate, additional retaliatory rate or the measures behind them change.
    valid_from_date is inclusive, valid_to_date exclusive; NULL valid_to_date = still in force.
    grain: one row per national tariff line and validity window
    primary key: national_line_code, valid_from_date */

with

line_states as (
    select * from intermediate.int_tariff_lines_stated_by_date
),

tariff_lines as (
    select * from staging.stg_piie__tariff_lines
),

flagged as (
    select
        line_states.*,
        case
            when
                lag(line_states.mfn_rate_pct) over by_line
                is not distinct from line_states.mfn_rate_pct
                and lag(line_states.additional_rate_pct) over by_line
                = line_states.additional_rate_pct
                and lag(line_states.measure_ids) over by_line = line_states.measure_ids
                then 0
            else 1
        end as opens_window
    from line_states
    window by_line as (
        partition by line_states.national_line_code order by line_states.as_of_date
    )
),

numbered as (
    select
        flagged.*,
        sum(flagged.opens_window) over (
            partition by flagged.national_line_code order by flagged.as_of_date
        ) as window_number
    from flagged
),

windows as (
    select
        numbered.national_line_code,
        numbered.window_number,
        min(numbered.as_of_date) as valid_from_date,
        any_value(numbered.mfn_rate_pct) as mfn_rate_pct,
        any_value(numbered.additional_rate_pct) as additional_rate_pct,
        any_value(numbered.applied_rate_pct) as applied_rate_pct,
        any_value(numbered.measure_ids) as measure_ids
    from numbered
    group by numbered.national_line_code, numbered.window_number
),

final as (
    select
        windows.national_line_code,
        windows.valid_from_date,
        lead(windows.valid_from_date) over (
            partition by windows.national_line_code order by windows.valid_from_date
        ) as valid_to_date,

        tariff_lines.reporter_iso3,
        'USA' as partner_iso3,
        tariff_lines.hs_revision,
        tariff_lines.hs8_code,
        tariff_lines.hs6_code,
        tariff_lines.line_description,
        array_to_string(windows.measure_ids, ',') as measure_ids,
        windows.mfn_rate_pct is not null as is_ad_valorem,
        windows.additional_rate_pct > 0 as is_retaliation_in_force,

        cast(windows.mfn_rate_pct as double) as mfn_rate_pct,
        cast(windows.additional_rate_pct as double) as additional_rate_pct,
        cast(windows.applied_rate_pct as double) as applied_rate_pct

    from windows
    inner join tariff_lines
        on windows.national_line_code = tariff_lines.national_line_code
)

select * from final
