/*  The duty on all US goods (blanket actions such as April 2025's +34/+84/+125, less what was
    suspended) in force on every as-of date of each schedule: the part of the additional rate
    that applies to every good, including goods in codes that match no line of the schedule.
    grain: one row per schedule and as-of date
    primary key: schedule_id, as_of_date */

with action_lines as (
    select * from intermediate.int_tariff_action_lines_resolved
    where int_tariff_action_lines_resolved.is_folded
),

actions as (
    select * from staging.stg_tariffs__actions
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

as_of_dates as (
    select distinct
        int_tariff_lines_stated_by_date.schedule_id,
        int_tariff_lines_stated_by_date.as_of_date
    from intermediate.int_tariff_lines_stated_by_date
),

blanket_actions as (
    -- blanket actions and actions on their lines (the suspension of 24 points) apply alike to
    -- every line, so one rate per action and schedule
    select
        action_lines.schedule_id,
        action_lines.action_id,
        any_value(action_lines.rate_pp) as rate_pp,
        actions.effective_date,
        actions.end_date
    from action_lines
    inner join actions
        on action_lines.action_id = actions.action_id
    left join actions as targets
        on actions.scope_action_id = targets.action_id
    where
        actions.scope_kind = 'all_us_goods'
        or (actions.scope_kind = 'action_lines' and targets.scope_kind = 'all_us_goods')
    group by all
),

schedule_revisions as (
    select distinct
        tariff_lines.schedule_id,
        tariff_lines.hs_revision
    from tariff_lines
),

final as (
    select
        as_of_dates.schedule_id,
        as_of_dates.as_of_date,
        any_value(schedule_revisions.hs_revision) as hs_revision,
        coalesce(sum(blanket_actions.rate_pp), 0) as blanket_rate_pp,
        list(blanket_actions.action_id order by blanket_actions.action_id) filter (
            where blanket_actions.action_id is not null
        ) as blanket_action_ids
    from as_of_dates
    inner join schedule_revisions
        on as_of_dates.schedule_id = schedule_revisions.schedule_id
    left join blanket_actions
        on
            as_of_dates.schedule_id = blanket_actions.schedule_id
            and as_of_dates.as_of_date >= blanket_actions.effective_date
            and (
                blanket_actions.end_date is null
                or as_of_dates.as_of_date < blanket_actions.end_date
            )
    group by as_of_dates.schedule_id, as_of_dates.as_of_date
)

select * from final
