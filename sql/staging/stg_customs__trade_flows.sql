/*  Trade flows in the canonical shape, from every landed trade-flow source.
    grain: one row per reporter, partner, flow, HS code, period and source
    primary key: trade_flow_id */

with

trade_flows as (
    select * from read_parquet(getvariable('raw_root') || '/trade_flows/*.parquet')
),

renamed as (
    select
        md5(concat_ws(
            '|', trade_flows.source, trade_flows.reporter_iso3, trade_flows.partner_iso3,
            trade_flows.flow, trade_flows.hs_revision, trade_flows.hs_code, trade_flows.period
        )) as trade_flow_id,

        trade_flows.source,
        trade_flows.reporter_iso3,
        trade_flows.partner_iso3,
        trade_flows.flow as flow_direction,
        trade_flows.hs_code,
        cast(trade_flows.hs_level as integer) as hs_level,
        trade_flows.hs_revision,
        trade_flows.period,
        cast(trade_flows.period_year as integer) as period_year,
        trade_flows.valuation,
        trade_flows.description as product_description,

        trade_flows.trade_value_usd

    from trade_flows
)

select * from renamed
