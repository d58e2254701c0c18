/*  Staging keeps every raw trade-flow row and every dollar (PIIE rows and landed customs rows):
    a failure means the staging model filtered or duplicated rows.
    returns: one row when row counts or value totals differ */

with

raw_flows as (
    select
        count(*) as row_count,
        sum(cast(raw_rows.trade_value_usd as decimal(38, 2))) as value_usd
    from read_parquet(
        [
            getvariable('raw_root') || '/trade_flows/*.parquet',
            getvariable('raw_root') || '/landed_trade_flows/*.parquet'
        ],
        union_by_name = true
    ) as raw_rows
),

staged as (
    select
        count(*) as row_count,
        sum(cast(stg_customs__trade_flows.trade_value_usd as decimal(38, 2))) as value_usd
    from staging.stg_customs__trade_flows
)

select
    raw_flows.row_count as raw_rows,
    staged.row_count as staged_rows,
    raw_flows.value_usd as raw_value_usd,
    staged.value_usd as staged_value_usd
from raw_flows
cross join staged
where raw_flows.row_count <> staged.row_count or raw_flows.value_usd <> staged.value_usd
