/*  Every HS8 code known to the pipeline (tariff schedule, trade, PIIE sectors) with its PIIE
    sector and its place in the HS2017 nomenclature (chapter, heading, subheading, section).
    grain: one row per HS8 code
    primary key: hs8_code */

with

tariff_lines as (
    select * from staging.stg_piie__tariff_lines
),

trade_flows as (
    select * from staging.stg_customs__trade_flows
    where stg_customs__trade_flows.hs_level = 8
),

sectors as (
    select * from staging.stg_piie__sectors
),

nomenclature as (
    select * from staging.stg_reference__hs_nomenclature
    where stg_reference__hs_nomenclature.hs_revision = 'HS2017'
),

hs8_codes as (
    select tariff_lines.hs8_code from tariff_lines
    union
    select trade_flows.hs_code from trade_flows
    union
    select sectors.hs8_code from sectors
),

schedule_hs8 as (
    select distinct tariff_lines.hs8_code from tariff_lines
),

trade_hs8 as (
    select distinct trade_flows.hs_code as hs8_code from trade_flows
),

chapters as (
    select * from nomenclature where nomenclature.hs_level = 2
),

headings as (
    select * from nomenclature where nomenclature.hs_level = 4
),

subheadings as (
    select * from nomenclature where nomenclature.hs_level = 6
),

joined as (
    select
        hs8_codes.hs8_code,

        left(hs8_codes.hs8_code, 6) as hs6_code,
        left(hs8_codes.hs8_code, 4) as hs4_code,
        left(hs8_codes.hs8_code, 2) as hs2_code,
        coalesce(sectors.sector, 'Not in PIIE sector list') as sector,
        subheadings.hs_description as hs6_description,
        headings.hs_description as hs4_description,
        chapters.hs_description as hs2_description,
        chapters.hs_section,
        chapters.hs_section_name,
        schedule_hs8.hs8_code is not null as is_in_tariff_schedule,
        trade_hs8.hs8_code is not null as has_trade_record,
        subheadings.hs_code is not null as is_hs6_in_nomenclature

    from hs8_codes
    left join sectors
        on hs8_codes.hs8_code = sectors.hs8_code
    left join schedule_hs8
        on hs8_codes.hs8_code = schedule_hs8.hs8_code
    left join trade_hs8
        on hs8_codes.hs8_code = trade_hs8.hs8_code
    left join subheadings
        on left(hs8_codes.hs8_code, 6) = subheadings.hs_code
    left join headings
        on left(hs8_codes.hs8_code, 4) = headings.hs_code
    left join chapters
        on left(hs8_codes.hs8_code, 2) = chapters.hs_code
)

select * from joined
