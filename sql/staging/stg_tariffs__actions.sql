/*  China's tariff actions on US goods, as reviewed records (data/reference/tariff_actions):
    dates, scope, operation and the evidence behind each action's line list.
    grain: one row per action
    primary key: action_id */

with

actions as (
    select * from read_parquet(getvariable('raw_root') || '/tariff_actions/*.parquet')
),

renamed as (
    select
        actions.action_id,

        actions.title as action_title,
        actions.announcement,
        cast(actions.announced_date as date) as announced_date,
        cast(actions.effective_date as date) as effective_date,
        cast(actions.end_date as date) as end_date,
        actions.ended_by as ended_by_action_id,
        actions.status = 'in_force' as is_in_force,
        actions.kind as action_kind,
        actions.basis as retaliation_basis,
        actions.operation,
        cast(actions.rate_pp as decimal(12, 4)) as rate_pp,
        cast(actions.factor as decimal(12, 6)) as scale_factor,
        cast(actions.points as decimal(12, 4)) as suspended_points,
        actions.scope_kind,
        actions.scope_measure_id,
        actions.scope_list_ids,
        actions.scope_method,
        actions.scope_action_id,
        actions.evidence,
        actions.method_note,
        actions.completeness_note,
        actions.source as evidence_source,
        actions._source_file as source_file

    from actions
)

select * from renamed
