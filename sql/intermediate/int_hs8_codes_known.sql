/*  Every HS8 code the pipeline knows, per HS revision: from the tariff schedules, the 8-digit
    trade flows and PIIE's sector list (HS2017).
    grain: one row per HS revision and HS8 code
    primary key: hs_revision, hs8_code */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

trade_flows as (
    select * from staging.stg_customs__trade_flows
    where
        -- China's national 8-digit codes: imports reported by China
        stg_customs__trade_flows.hs_level = 8
        and stg_customs__trade_flows.reporter_iso3 = 'CHN'
        and stg_customs__trade_flows.flow_direction = 'import'
),

sectors as (
    select * from staging.stg_piie__sectors
),

hs8_codes as (
    select distinct
        tariff_lines.hs_revision,
        tariff_lines.hs8_code
    from tariff_lines
    union
    select
        trade_flows.hs_revision,
        trade_flows.hs_code
    from trade_flows
    union
    select
        'HS2017',
        sectors.hs8_code
    from sectors
)

select * from hs8_codes
