/*  Tariff lines that may take re-coded value under the hs8_recoded weighting, per China-
    reported HS8 weight basis: lines whose code is new since the 2018 schedule (every line of
    the 2018 schedule itself counts as new for it) and that the basis does not list at all (a
    code listed with zero trade existed then and had none: it takes nothing).
    targets_in_hs6 counts such lines in the line's subheading.
    grain: one row per schedule, national tariff line and weight basis
    primary key: schedule_id, national_line_code, weight_basis_id */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

weight_flows as (
    select * from intermediate.int_weight_flows
),

bases as (
    select * from intermediate.int_weight_bases
),

china_hs8_bases as (
    select * from bases
    where bases.hs_level = 8 and bases.reporter_iso3 = 'CHN'
),

basis_codes as (
    select distinct
        weight_flows.weight_basis_id,
        weight_flows.hs_code as hs8_code
    from weight_flows
    where weight_flows.hs_level = 8 and weight_flows.reporter_iso3 = 'CHN'
),

codes_2018 as (
    select distinct tariff_lines.hs8_code
    from tariff_lines
    where tariff_lines.schedule_id = 'piie_2019_06'
),

new_code_lines as (
    select
        tariff_lines.schedule_id,
        tariff_lines.national_line_code,
        tariff_lines.hs8_code,
        tariff_lines.hs6_code
    from tariff_lines
    left join codes_2018
        on tariff_lines.hs8_code = codes_2018.hs8_code
    where tariff_lines.schedule_id = 'piie_2019_06' or codes_2018.hs8_code is null
),

final as (
    select
        new_code_lines.schedule_id,
        new_code_lines.national_line_code,
        china_hs8_bases.weight_basis_id,
        new_code_lines.hs6_code,
        count(*) over (
            partition by
                new_code_lines.schedule_id, china_hs8_bases.weight_basis_id,
                new_code_lines.hs6_code
        ) as targets_in_hs6
    from new_code_lines
    cross join china_hs8_bases
    where
        not exists (
            select 1
            from basis_codes
            where
                basis_codes.weight_basis_id = china_hs8_bases.weight_basis_id
                and basis_codes.hs8_code = new_code_lines.hs8_code
        )
)

select * from final
