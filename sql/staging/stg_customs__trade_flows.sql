/*  Trade flows in the canonical shape, from every trade-flow source: the PIIE workbook's 2017
    imports (raw/trade_flows) and the customs files landed with `tariff-etl ingest`
    (raw/landed_trade_flows: UN Comtrade, US Census, China Customs). Annual rows have a NULL
    period_month; hs_level 0 is a grand total (hs_code 'TOTAL', Comtrade). The description is
    part of the grain: the Census Phase One file has products that share an HS4 heading
    (2711 liquefied propane / butane / natural gas; 2713 calcined / uncalcined petroleum coke).
    grain: one row per source, reporter, partner, flow, HS revision, HS code, description and
    period
    primary key: trade_flow_id */

with

trade_flows as (
    select * from read_parquet(
        [
            getvariable('raw_root') || '/trade_flows/*.parquet',
            getvariable('raw_root') || '/landed_trade_flows/*.parquet'
        ],
        union_by_name = true,
        hive_partitioning = false
    )
),

renamed as (
    select
        md5(concat_ws(
            '|', trade_flows.source, trade_flows.reporter_iso3, trade_flows.partner_iso3,
            trade_flows.flow, trade_flows.hs_revision, trade_flows.hs_code, trade_flows.period,
            coalesce(trade_flows.description, '')
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
        cast(trade_flows.period_month as integer) as period_month,
        trade_flows.valuation,
        trade_flows.description as product_description,

        trade_flows.trade_value_usd,
        trade_flows.quantity,
        trade_flows.quantity_unit,

        trade_flows._source_file as source_file,
        trade_flows._source_row as source_row

    from trade_flows
)

select * from renamed
