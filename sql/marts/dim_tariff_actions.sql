/*  Every recorded change of China's duties on US goods from 2018 (data/reference/
    tariff_actions): dates, scope, operation, the evidence behind its line list, how many
    national lines it changes and whether its line list is complete. An action whose lines the
    bundled data does not hold (China's MFN changes after 2019, the February 2025 duties) is
    listed with is_complete = false and its completeness_note; an action that never took
    effect (the December 2019 round) with is_in_force = false.
    grain: one row per action
    primary key: action_id */

with

actions as (
    select * from staging.stg_tariffs__actions
),

action_lines as (
    select * from marts.fct_tariff_action_lines
),

lists as (
    select * from staging.stg_tariffs__action_line_lists
),

exclusion_lines as (
    select * from intermediate.int_exclusion_lines_resolved
),

lines_counted as (
    select
        action_lines.action_id,
        count(distinct action_lines.national_line_code) filter (
            where
            action_lines.schedule_id = 'piie_2019_06'
            and coalesce(action_lines.rate_change_pp, 1) <> 0
        ) as lines_2018_schedule,
        count(distinct action_lines.national_line_code) filter (
            where
            action_lines.schedule_id = 'ita_matrix_2025'
            and coalesce(action_lines.rate_change_pp, 1) <> 0
        ) as lines_2025_matrix,
        list(distinct action_lines.schedule_id order by action_lines.schedule_id) filter (
            where action_lines.is_folded
        ) as folded_on
    from action_lines
    group by action_lines.action_id
),

listed as (
    select
        actions.action_id,
        count(distinct lists.code) as listed_codes,
        count(distinct lists.code) filter (
            where not exists (
                select 1
                from action_lines
                where
                    action_lines.action_id = actions.action_id
                    and action_lines.schedule_id = 'piie_2019_06'
                    and action_lines.listed_code = lists.code
            )
            and not exists (
                select 1
                from action_lines
                where
                    action_lines.action_id = actions.action_id
                    and action_lines.schedule_id = 'piie_2019_06'
                    and action_lines.match_step = 'subheading'
                    and left(action_lines.hs8_code, 6) = lists.hs6_code
            )
        ) as listed_codes_unmatched_2018
    from actions
    inner join lists
        on list_contains(actions.scope_list_ids, lists.list_id)
    group by actions.action_id
),

exclusion_completeness as (
    select
        exclusion_lines.measure_id as action_id,
        bool_and(exclusion_lines.is_list_complete) as is_list_complete
    from exclusion_lines
    group by exclusion_lines.measure_id
),

final as (
    select
        actions.action_id,

        actions.action_title,
        actions.announcement,
        actions.announced_date,
        actions.effective_date,
        actions.end_date,
        actions.ended_by_action_id,
        actions.is_in_force,
        actions.action_kind,
        actions.retaliation_basis,
        actions.operation,
        actions.scope_kind,
        coalesce(
            actions.scope_measure_id,
            array_to_string(actions.scope_list_ids, ','),
            actions.scope_method,
            actions.scope_action_id
        ) as scope_reference,
        actions.evidence,
        case
            when actions.scope_kind = 'unknown_lines' then false
            when actions.scope_kind = 'exclusion_list'
                then coalesce(exclusion_completeness.is_list_complete, false)
            else true
        end as is_complete,
        array_to_string(lines_counted.folded_on, ',') as folded_on_schedules,
        coalesce(lines_counted.lines_2018_schedule, 0) as lines_in_scope,
        coalesce(lines_counted.lines_2025_matrix, 0) as lines_in_scope_2025_matrix,
        listed.listed_codes,
        listed.listed_codes_unmatched_2018,
        actions.method_note,
        actions.completeness_note,
        actions.evidence_source,
        actions.source_file,

        cast(actions.rate_pp as double) as rate_pp,
        cast(actions.scale_factor as double) as scale_factor,
        cast(actions.suspended_points as double) as suspended_points

    from actions
    left join lines_counted
        on actions.action_id = lines_counted.action_id
    left join listed
        on actions.action_id = listed.action_id
    left join exclusion_completeness
        on actions.action_id = exclusion_completeness.action_id
)

select * from final
