/*  The rates of every tariff line in force on every date its schedule changes: MFN rate (level
    plus all MFN changes so far), additional retaliatory rate (retaliation, changes,
    suspensions and retaliation states so far, plus the actions folded by
    int_tariff_action_lines_resolved while in force, less the s.301 part while an exclusion
    list covers the line) and the measures behind them. A line without an ad valorem MFN level
    keeps a NULL MFN (and applied) rate. As-of dates: every date a measure or action takes
    effect or ends on the schedule, and the dates of recorded actions whose lines are unknown
    (so every action date has a state).
    grain: one row per schedule, national tariff line and as-of date
    primary key: schedule_id, national_line_code, as_of_date */

with tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

action_lines as (
    select * from intermediate.int_tariff_action_lines_resolved
    where int_tariff_action_lines_resolved.is_folded
),

actions as (
    select * from staging.stg_tariffs__actions
),

dataset_measures as (
    select * from staging.stg_tariffs__measures
),

action_measures as (
    select distinct
        actions.action_id as measure_id,
        action_lines.schedule_id,
        actions.action_kind as measure_kind,
        actions.retaliation_basis,
        1000 + dense_rank() over (order by actions.effective_date, actions.action_id)
            as measure_sequence,
        actions.effective_date,
        actions.end_date,
        false as is_mfn_component,
        true as is_additional_component
    from actions
    inner join action_lines
        on actions.action_id = action_lines.action_id
),

measures as (
    select
        dataset_measures.measure_id,
        dataset_measures.schedule_id,
        dataset_measures.measure_kind,
        dataset_measures.retaliation_basis,
        dataset_measures.measure_sequence,
        dataset_measures.effective_date,
        dataset_measures.end_date,
        dataset_measures.is_mfn_component,
        dataset_measures.is_additional_component
    from dataset_measures
    union all
    select * from action_measures
),

line_rates as (
    select
        stg_tariffs__line_rates.schedule_id,
        stg_tariffs__line_rates.national_line_code,
        stg_tariffs__line_rates.measure_id,
        stg_tariffs__line_rates.rate_pp
    from staging.stg_tariffs__line_rates
    union all
    select
        action_lines.schedule_id,
        action_lines.national_line_code,
        action_lines.action_id as measure_id,
        cast(action_lines.rate_pp as double) as rate_pp
    from action_lines
),

schedule_starts as (
    select
        dataset_measures.schedule_id,
        min(dataset_measures.effective_date) as first_state_date
    from dataset_measures
    group by dataset_measures.schedule_id
),

recorded_action_dates as (
    -- every recorded action's date has a state, also where it changes nothing on the schedule
    -- (actions with unknown lines, exclusion lists with no known item, the ITA state)
    select
        schedule_starts.schedule_id,
        actions.effective_date
    from actions
    inner join schedule_starts
        on actions.effective_date > schedule_starts.first_state_date
    where actions.is_in_force
),

exclusion_lines as (
    select * from intermediate.int_exclusion_lines_resolved
),

exclusions as (
    select
        measures.schedule_id,
        measures.measure_id,
        measures.effective_date,
        measures.end_date,
        exclusion_lines.hs8_code,
        exclusion_lines.announcement_id,
        exclusion_lines.is_list_complete
    from measures
    inner join exclusion_lines
        on measures.measure_id = exclusion_lines.measure_id
),

schedule_dates as (
    select distinct
        measures.schedule_id,
        measures.effective_date as as_of_date
    from measures
    where measures.measure_kind <> 'exclusion'
    union
    select
        measures.schedule_id,
        measures.end_date
    from measures
    where measures.measure_kind <> 'exclusion' and measures.end_date is not null
    union
    select
        recorded_action_dates.schedule_id,
        recorded_action_dates.effective_date
    from recorded_action_dates
    union
    select
        exclusions.schedule_id,
        exclusions.effective_date
    from exclusions
    union
    select
        exclusions.schedule_id,
        exclusions.end_date
    from exclusions
    where exclusions.end_date is not null
),

rates_with_dates as (
    select
        line_rates.schedule_id,
        line_rates.national_line_code,
        line_rates.measure_id,
        line_rates.rate_pp,
        -- exact decimal arithmetic: sums do not depend on thread scheduling
        cast(line_rates.rate_pp as decimal(12, 4)) as rate_pp_exact,

        measures.effective_date,
        measures.end_date,
        measures.measure_sequence,
        measures.measure_kind,
        measures.retaliation_basis,
        measures.is_mfn_component,
        measures.is_additional_component

    from line_rates
    inner join measures
        on
            line_rates.measure_id = measures.measure_id
            and line_rates.schedule_id = measures.schedule_id
),

line_dates as (
    select
        tariff_lines.schedule_id,
        tariff_lines.national_line_code,
        tariff_lines.hs8_code,
        schedule_dates.as_of_date
    from tariff_lines
    inner join schedule_dates
        on tariff_lines.schedule_id = schedule_dates.schedule_id
),

stated as (
    select
        line_dates.schedule_id,
        line_dates.national_line_code,
        line_dates.as_of_date,
        any_value(line_dates.hs8_code) as hs8_code,

        case
            when bool_or(
                rates_with_dates.measure_kind = 'mfn_level' and rates_with_dates.rate_pp is null
            ) then null
            else sum(rates_with_dates.rate_pp_exact) filter (
                where rates_with_dates.is_mfn_component
            )
        end as mfn_rate_pct,
        coalesce(sum(rates_with_dates.rate_pp_exact) filter (
            where rates_with_dates.is_additional_component
        ), 0) as additional_before_exclusions_pct,
        coalesce(sum(rates_with_dates.rate_pp_exact) filter (
            where
            rates_with_dates.is_additional_component
            and rates_with_dates.retaliation_basis = 's301'
        ), 0) as additional_s301_pct,
        list(
            rates_with_dates.measure_id
            order by rates_with_dates.effective_date, rates_with_dates.measure_sequence
        ) filter (
            where
            rates_with_dates.measure_kind = 'mfn_level'
            or coalesce(rates_with_dates.rate_pp, 0) <> 0
        ) as rate_measure_ids

    from line_dates
    left join rates_with_dates
        on
            line_dates.schedule_id = rates_with_dates.schedule_id
            and line_dates.national_line_code = rates_with_dates.national_line_code
            and line_dates.as_of_date >= rates_with_dates.effective_date
            and (
                rates_with_dates.end_date is null
                or line_dates.as_of_date < rates_with_dates.end_date
            )
    group by line_dates.schedule_id, line_dates.national_line_code, line_dates.as_of_date
),

exclusions_in_force as (
    select
        stated.schedule_id,
        stated.national_line_code,
        stated.as_of_date,
        list(exclusions.measure_id order by exclusions.effective_date, exclusions.measure_id)
            as exclusion_measure_ids,
        string_agg(
            distinct exclusions.announcement_id, ','
            order by exclusions.announcement_id
        ) as exclusion_announcement_ids,
        bool_and(exclusions.is_list_complete) as is_exclusion_list_complete
    from stated
    inner join exclusions
        on
            stated.schedule_id = exclusions.schedule_id
            and stated.hs8_code = exclusions.hs8_code
            and stated.as_of_date >= exclusions.effective_date
            and (exclusions.end_date is null or stated.as_of_date < exclusions.end_date)
    group by stated.schedule_id, stated.national_line_code, stated.as_of_date
),

final as (
    select
        stated.schedule_id,
        stated.national_line_code,
        stated.as_of_date,

        stated.mfn_rate_pct,
        case
            when exclusions_in_force.national_line_code is not null
                then stated.additional_before_exclusions_pct - stated.additional_s301_pct
            else stated.additional_before_exclusions_pct
        end as additional_rate_pct,
        list_concat(
            stated.rate_measure_ids, coalesce(exclusions_in_force.exclusion_measure_ids, [])
        ) as measure_ids,
        exclusions_in_force.national_line_code is not null as is_exclusion_in_force,
        exclusions_in_force.exclusion_announcement_ids,
        exclusions_in_force.is_exclusion_list_complete

    from stated
    left join exclusions_in_force
        on
            stated.schedule_id = exclusions_in_force.schedule_id
            and stated.national_line_code = exclusions_in_force.national_line_code
            and stated.as_of_date = exclusions_in_force.as_of_date
),

with_applied as (
    select
        final.*,
        final.mfn_rate_pct + final.additional_rate_pct as applied_rate_pct,
        final.additional_rate_pct > 0 as is_retaliation_in_force
    from final
)

select * from with_applied
