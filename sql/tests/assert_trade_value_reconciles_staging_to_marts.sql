/*  On every as-of date the coverage mart accounts for exactly the staged trade value (to the
    cent): a failure means trade was lost or double counted between staging and the marts.
    returns: the as-of dates whose totals differ */

with

staged as (
    select sum(cast(stg_customs__trade_flows.trade_value_usd as decimal(38, 2))) as value_usd
    from staging.stg_customs__trade_flows
    where
        stg_customs__trade_flows.source = 'piie_itc_trade_map'
        and stg_customs__trade_flows.flow_direction = 'import'
        and stg_customs__trade_flows.hs_level = 8
),

published as (
    select
        fct_retaliation_coverage.as_of_date,
        sum(cast(fct_retaliation_coverage.total_value_usd as decimal(38, 2))) as value_usd,
        sum(cast(fct_retaliation_coverage.covered_value_usd as decimal(38, 2)))
        + sum(cast(fct_retaliation_coverage.not_covered_value_usd as decimal(38, 2)))
            as parts_usd
    from marts.fct_retaliation_coverage
    group by fct_retaliation_coverage.as_of_date
)

select
    published.as_of_date,
    published.value_usd,
    published.parts_usd,
    staged.value_usd as staged_value_usd
from published
cross join staged
where published.value_usd <> staged.value_usd or published.parts_usd <> staged.value_usd
