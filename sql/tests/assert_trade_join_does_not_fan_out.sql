/*  Joining trade to tariff states gives exactly one row per trade flow and as-of date of the
    schedule of its HS revision: a failure means a join fanned out (or lost rows) and values
    would be counted twice (or not at all).
    returns: one row when the counts differ */

with

flows as (
    select
        stg_customs__trade_flows.hs_revision,
        count(*) as row_count
    from staging.stg_customs__trade_flows
    where
        stg_customs__trade_flows.source = 'piie_itc_trade_map'
        and stg_customs__trade_flows.flow_direction = 'import'
        and stg_customs__trade_flows.hs_level = 8
    group by stg_customs__trade_flows.hs_revision
),

dates as (
    select
        int_tariff_lines_rolled_up_to_hs8.hs_revision,
        count(distinct int_tariff_lines_rolled_up_to_hs8.as_of_date) as date_count
    from intermediate.int_tariff_lines_rolled_up_to_hs8
    group by int_tariff_lines_rolled_up_to_hs8.hs_revision
),

expected as (
    select sum(flows.row_count * dates.date_count) as row_count
    from flows
    inner join dates
        on flows.hs_revision = dates.hs_revision
),

joined as (
    select count(*) as row_count
    from intermediate.int_trade_flows_joined_to_tariff_lines
)

select
    expected.row_count as expected_rows,
    joined.row_count as joined_rows
from expected
cross join joined
where expected.row_count <> joined.row_count
