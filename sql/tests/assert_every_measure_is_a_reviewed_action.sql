/*  Every measure a published dataset or an exclusion list brings (PIIE's columns, the ITA
    state, the exclusion lists) is a reviewed tariff-action record naming it, on the same
    date; and every record that names a measure finds it. A measure without a record would
    change the timeline unreviewed; a record without its measure would publish an action that
    folds nothing.
    returns: one row per measure or record without its counterpart, or with another date */

with

measures as (
    select * from staging.stg_tariffs__measures
),

actions as (
    select * from staging.stg_tariffs__actions
    where stg_tariffs__actions.scope_kind in ('dataset_measure', 'exclusion_list')
),

compared as (
    select
        coalesce(measures.measure_id, actions.scope_measure_id) as measure_id,
        actions.action_id,
        measures.effective_date as measure_date,
        actions.effective_date as action_date,
        case
            when actions.action_id is null then 'measure without a tariff-action record'
            when measures.measure_id is null then 'tariff-action record names no measure'
            when measures.effective_date <> actions.effective_date then 'dates differ'
        end as problem
    from measures
    full outer join actions
        on measures.measure_id = actions.scope_measure_id
)

select * from compared
where compared.problem is not null
