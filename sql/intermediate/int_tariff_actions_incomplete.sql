/*  Recorded tariff actions in force whose lines the bundled data does not hold, and so are not
    (fully) folded into the timeline: actions with unknown lines (China's MFN changes after
    2019, the February 2025 duties) and exclusion lists of which no item is known. Marts flag
    every date and window they reach (has_incomplete_action, incomplete_action_ids). Lists
    known in part are flagged separately (is_exclusion_list_complete).
    grain: one row per action
    primary key: action_id */

with

actions as (
    select * from staging.stg_tariffs__actions
),

exclusion_lines as (
    select * from intermediate.int_exclusion_lines_resolved
),

final as (
    select
        actions.action_id,

        actions.effective_date,
        actions.end_date,
        case
            when actions.scope_kind = 'unknown_lines' then 'line list not bundled'
            else 'exclusion list with no known item'
        end as reason
    from actions
    where
        actions.is_in_force
        and actions.effective_date > date '2018-01-01'
        and (
            actions.scope_kind = 'unknown_lines'
            or (
                actions.scope_kind = 'exclusion_list'
                and not exists (
                    select 1
                    from exclusion_lines
                    where exclusion_lines.measure_id = actions.scope_measure_id
                )
            )
        )
)

select * from final
