/*  Tariff lines rolled up to HS8 (the level of the trade data) on each as-of date.
    Rates are the simple average of the HS8's national lines; MFN and applied averages use only
    the lines with an ad valorem MFN rate. An HS8 is covered when any of its lines carries
    additional retaliatory duty.
    grain: one row per schedule, HS8 code and as-of date
    primary key: schedule_id, hs8_code, as_of_date */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

line_states as (
    select * from intermediate.int_tariff_lines_stated_by_date
),

rolled_up as (
    select
        tariff_lines.schedule_id,
        tariff_lines.hs8_code,
        line_states.as_of_date,

        any_value(tariff_lines.hs_revision) as hs_revision,
        count(*) as lines_total,
        count(*) filter (where line_states.is_retaliation_in_force) as lines_covered,
        count(line_states.mfn_rate_pct) as lines_ad_valorem,
        cast(avg(line_states.mfn_rate_pct) as decimal(18, 8)) as mfn_rate_pct,
        cast(avg(line_states.additional_rate_pct) as decimal(18, 8)) as additional_rate_pct,
        cast(avg(line_states.applied_rate_pct) as decimal(18, 8)) as applied_rate_pct,
        bool_or(line_states.is_retaliation_in_force) as is_covered,
        coalesce(bool_or(
            line_states.is_exclusion_in_force and not line_states.is_exclusion_list_complete
        ), false) as has_incomplete_exclusion_list

    from line_states
    inner join tariff_lines
        on
            line_states.schedule_id = tariff_lines.schedule_id
            and line_states.national_line_code = tariff_lines.national_line_code
    group by tariff_lines.schedule_id, tariff_lines.hs8_code, line_states.as_of_date
)

select * from rolled_up
