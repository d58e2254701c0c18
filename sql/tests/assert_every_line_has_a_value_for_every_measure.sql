/*  The PIIE schedule is a full grid: every tariff line has one (possibly NULL) value per
    measure. A failure means a line would silently miss a measure in the timeline.
    returns: lines with a missing or extra measure */

with

grid as (
    select
        stg_piie__tariff_lines.national_line_code,
        stg_piie__tariff_measures.measure_id
    from staging.stg_piie__tariff_lines
    cross join staging.stg_piie__tariff_measures
),

compared as (
    select
        coalesce(grid.national_line_code, stg_piie__tariff_line_rates.national_line_code)
            as national_line_code,
        coalesce(grid.measure_id, stg_piie__tariff_line_rates.measure_id) as measure_id,
        grid.measure_id is null as is_extra,
        stg_piie__tariff_line_rates.measure_id is null as is_missing
    from grid
    full outer join staging.stg_piie__tariff_line_rates
        on
            grid.national_line_code = stg_piie__tariff_line_rates.national_line_code
            and grid.measure_id = stg_piie__tariff_line_rates.measure_id
)

select * from compared
where compared.is_extra or compared.is_missing
