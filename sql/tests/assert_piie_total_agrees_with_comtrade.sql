/*  Two independent China-reported totals of imports from the US agree: the PIIE workbook's HS8
    values summed, and UN Comtrade's grand total (cmdCode TOTAL) for the same year, within 1%
    (revisions and rounding; 2017: $154.84B vs $154.44B, 0.26%). Checked only for years both
    sources have. A warning, not a gate: the sources are revised independently.
    severity: warning
    returns: one row per year where the two totals differ by more than 1% */

with

totals as (
    -- one pass over China's imports from the US: PIIE's HS8 rows, Comtrade's annual TOTAL
    select
        stg_customs__trade_flows.period_year,
        sum(cast(stg_customs__trade_flows.trade_value_usd as decimal(38, 2))) filter (
            where stg_customs__trade_flows.source = 'piie_itc_trade_map'
        ) as piie_value_usd,
        sum(cast(stg_customs__trade_flows.trade_value_usd as decimal(38, 2))) filter (
            where
            stg_customs__trade_flows.source = 'un_comtrade'
            and stg_customs__trade_flows.hs_level = 0
            and stg_customs__trade_flows.period_month is null
        ) as comtrade_value_usd
    from staging.stg_customs__trade_flows
    where
        stg_customs__trade_flows.reporter_iso3 = 'CHN'
        and stg_customs__trade_flows.partner_iso3 = 'USA'
        and stg_customs__trade_flows.flow_direction = 'import'
    group by stg_customs__trade_flows.period_year
)

select
    totals.period_year,
    totals.piie_value_usd,
    totals.comtrade_value_usd
from totals
where abs(totals.piie_value_usd - totals.comtrade_value_usd) > 0.01 * totals.comtrade_value_usd
