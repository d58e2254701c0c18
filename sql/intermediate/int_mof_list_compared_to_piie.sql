/*  The MOF list of 2 April 2018 beside PIIE's 2018-04-02 column, line by line: every HS8 on
    either side, with both rates (PIIE: the largest change among the HS8's national lines).
    grain: one row per HS8 code on either list
    primary key: hs8_code */

with

mof_list as (
    select * from staging.stg_mof__retaliation_list_2018
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

line_rates as (
    select * from staging.stg_tariffs__line_rates
),

measures as (
    select * from staging.stg_tariffs__measures
    where stg_tariffs__measures.effective_date in (
        select distinct mof_list.effective_date from mof_list
    )
    and stg_tariffs__measures.measure_kind = 'retaliation'
),

piie_side as (
    select
        tariff_lines.hs8_code,
        max(line_rates.rate_pp) as piie_rate_pct
    from line_rates
    inner join measures
        on line_rates.measure_id = measures.measure_id
    inner join tariff_lines
        on
            line_rates.schedule_id = tariff_lines.schedule_id
            and line_rates.national_line_code = tariff_lines.national_line_code
    where line_rates.rate_pp <> 0
    group by tariff_lines.hs8_code
),

compared as (
    select
        coalesce(mof_list.hs8_code, piie_side.hs8_code) as hs8_code,

        mof_list.additional_rate_pct as mof_rate_pct,
        piie_side.piie_rate_pct,
        case
            when piie_side.hs8_code is null then 'only_in_mof_list'
            when mof_list.hs8_code is null then 'only_in_piie'
            when mof_list.additional_rate_pct <> piie_side.piie_rate_pct then 'rate_differs'
            else 'agrees'
        end as comparison

    from mof_list
    full outer join piie_side
        on mof_list.hs8_code = piie_side.hs8_code
)

select * from compared
