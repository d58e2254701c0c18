/*  Joining trade to tariff states gives exactly one row per trade flow and as-of date: a
    failure means a join fanned out and values would be counted twice.
    returns: one row when the counts differ */

with

flows as (
    select count(*) as row_count
    from staging.stg_customs__trade_flows
    where
        stg_customs__trade_flows.source = 'piie_itc_trade_map'
        and stg_customs__trade_flows.flow_direction = 'import'
        and stg_customs__trade_flows.hs_level = 8
),

dates as (
    select count(distinct int_tariff_lines_rolled_up_to_hs8.as_of_date) as date_count
    from intermediate.int_tariff_lines_rolled_up_to_hs8
),

joined as (
    select count(*) as row_count
    from intermediate.int_trade_flows_joined_to_tariff_lines
)

select
    flows.row_count * dates.date_count as expected_rows,
    joined.row_count as joined_rows
from flows
cross join dates
cross join joined
where flows.row_count * dates.date_count <> joined.row_count
