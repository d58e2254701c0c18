/*  Every tariff line has one (possibly NULL) value for every rate-bearing measure of its
    schedule (exclusions carry no rates: they lift duties). A failure means a line would
    silently miss a measure in the timeline.
    returns: lines with a missing or extra measure */

with

grid as (
    select
        stg_tariffs__schedule_lines.schedule_id,
        stg_tariffs__schedule_lines.national_line_code,
        stg_tariffs__measures.measure_id
    from staging.stg_tariffs__schedule_lines
    inner join staging.stg_tariffs__measures
        on stg_tariffs__schedule_lines.schedule_id = stg_tariffs__measures.schedule_id
    where stg_tariffs__measures.measure_kind <> 'exclusion'
),

compared as (
    select
        coalesce(grid.national_line_code, stg_tariffs__line_rates.national_line_code)
            as national_line_code,
        coalesce(grid.measure_id, stg_tariffs__line_rates.measure_id) as measure_id,
        grid.measure_id is null as is_extra,
        stg_tariffs__line_rates.measure_id is null as is_missing
    from grid
    full outer join staging.stg_tariffs__line_rates
        on
            grid.schedule_id = stg_tariffs__line_rates.schedule_id
            and grid.national_line_code = stg_tariffs__line_rates.national_line_code
            and grid.measure_id = stg_tariffs__line_rates.measure_id
)

select * from compared
where compared.is_extra or compared.is_missing
