/*  Every HS8 code the pipeline knows, per HS revision, and where it was seen: the tariff
    schedules, China-reported 8-digit trade flows (China's national codes) and PIIE's sector
    list (HS2017).
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

sightings as (
    select
        tariff_lines.hs_revision,
        tariff_lines.hs8_code,
        'tariff_schedule' as seen_in
    from tariff_lines
    union all
    select
        trade_flows.hs_revision,
        trade_flows.hs_code,
        'trade_flows' as seen_in
    from trade_flows
    union all
    select
        'HS2017' as hs_revision,
        sectors.hs8_code,
        'piie_sectors' as seen_in
    from sectors
),

hs8_codes as (
    select
        sightings.hs_revision,
        sightings.hs8_code,
        bool_or(sightings.seen_in = 'tariff_schedule') as is_in_tariff_schedule,
        bool_or(sightings.seen_in = 'trade_flows') as has_trade_record
    from sightings
    group by sightings.hs_revision, sightings.hs8_code
)

select * from hs8_codes
