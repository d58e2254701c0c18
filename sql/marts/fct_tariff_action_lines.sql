/*  Which national tariff lines every tariff action changes, by how much, and on what evidence:
    the lines of published datasets' columns (PIIE 2018-19, the ITA 2025 state), of exclusion
    lists, of official annexes (matched to each schedule's lines: exact code, else the
    subheading of a re-coded code), of reconstructed rounds (with both sources' readings),
    of blanket duties, and of actions on an earlier action's lines (scale, suspend).
    is_folded says whether the line's timeline (fct_tariff_timeline) takes the change: an
    action is folded on a schedule only when it takes effect after that schedule's first state.
    Rows with rate_change_pp = 0 are evidence that was considered and not applied.
    grain: one row per schedule, action and national tariff line
    primary key: schedule_id, action_id, national_line_code */

with

action_lines as (
    select * from intermediate.int_tariff_action_lines_resolved
),

line_rates as (
    select * from staging.stg_tariffs__line_rates
),

measures as (
    select * from staging.stg_tariffs__measures
),

exclusion_lines as (
    select * from intermediate.int_exclusion_lines_resolved
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

actions as (
    select * from staging.stg_tariffs__actions
),

dataset_lines as (
    select
        line_rates.schedule_id,
        line_rates.measure_id as action_id,
        line_rates.national_line_code,
        'published_dataset' as match_step,
        true as is_folded,
        cast(null as varchar) as listed_code,
        cast(null as decimal(12, 4)) as hs6_rise_pp,
        cast(null as decimal(12, 4)) as matrix_residual_pp,
        cast(line_rates.rate_pp as decimal(12, 4)) as rate_pp
    from line_rates
    where line_rates.rate_pp <> 0
),

lifted_lines as (
    select distinct
        measures.schedule_id,
        measures.measure_id as action_id,
        tariff_lines.national_line_code,
        'exclusion_list' as match_step,
        true as is_folded,
        exclusion_lines.hs8_code as listed_code,
        cast(null as decimal(12, 4)) as hs6_rise_pp,
        cast(null as decimal(12, 4)) as matrix_residual_pp,
        cast(null as decimal(12, 4)) as rate_pp
    from exclusion_lines
    inner join measures
        on exclusion_lines.measure_id = measures.measure_id
    inner join tariff_lines
        on
            measures.schedule_id = tariff_lines.schedule_id
            and exclusion_lines.hs8_code = tariff_lines.hs8_code
),

unioned as (
    select * from dataset_lines
    union all
    select * from lifted_lines
    union all
    select * from action_lines
),

final as (
    select
        unioned.schedule_id,
        unioned.action_id,
        unioned.national_line_code,

        actions.effective_date,
        unioned.match_step,
        unioned.is_folded,
        unioned.listed_code,
        tariff_lines.hs8_code,
        tariff_lines.line_description,

        cast(unioned.rate_pp as double) as rate_change_pp,
        cast(unioned.hs6_rise_pp as double) as hs6_list_rise_pp,
        cast(unioned.matrix_residual_pp as double) as matrix_residual_pp

    from unioned
    inner join actions
        on unioned.action_id = actions.action_id
    inner join tariff_lines
        on
            unioned.schedule_id = tariff_lines.schedule_id
            and unioned.national_line_code = tariff_lines.national_line_code
)

select * from final
