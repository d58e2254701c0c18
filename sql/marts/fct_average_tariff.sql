/*  China's average tariff on US goods on each measure date.
    weight_basis 'china_imports_from_usa_2017': HS8 rates (simple average of their national
    lines) weighted by China's 2017 imports from the US in the HS8; HS8s with no tariff line or
    no ad valorem rate are left out and their value is reported in excluded_value_usd.
    weight_basis 'simple_average_hs8': unweighted mean over the HS8s of the schedule.
    grain: one row per as-of date and weight basis
    primary key: as_of_date, weight_basis */

with

flows as (
    select * from intermediate.int_trade_flows_joined_to_tariff_lines
),

hs8_states as (
    select * from intermediate.int_tariff_lines_rolled_up_to_hs8
),

trade_weighted as (
    select
        flows.as_of_date,
        'china_imports_from_usa_' || any_value(flows.weight_year) as weight_basis,
        sum(flows.trade_value_usd * flows.applied_rate_pct) filter (
            where flows.applied_rate_pct is not null
        ) / sum(flows.trade_value_usd) filter (
            where flows.applied_rate_pct is not null
        ) as avg_applied_rate_pct,
        sum(flows.trade_value_usd * flows.additional_rate_pct) filter (
            where flows.applied_rate_pct is not null
        ) / sum(flows.trade_value_usd) filter (
            where flows.applied_rate_pct is not null
        ) as avg_additional_rate_pct,
        sum(flows.trade_value_usd * flows.mfn_rate_pct) filter (
            where flows.applied_rate_pct is not null
        ) / sum(flows.trade_value_usd) filter (
            where flows.applied_rate_pct is not null
        ) as avg_mfn_rate_pct,
        count(*) filter (where flows.applied_rate_pct is not null) as hs8_codes_weighted,
        sum(flows.trade_value_usd) filter (
            where flows.applied_rate_pct is not null
        ) as weighted_value_usd,
        coalesce(sum(flows.trade_value_usd) filter (
            where flows.applied_rate_pct is null
        ), 0) as excluded_value_usd
    from flows
    group by flows.as_of_date
),

simple_average as (
    select
        hs8_states.as_of_date,
        'simple_average_hs8' as weight_basis,
        avg(hs8_states.applied_rate_pct) as avg_applied_rate_pct,
        avg(hs8_states.additional_rate_pct) filter (
            where hs8_states.applied_rate_pct is not null
        ) as avg_additional_rate_pct,
        avg(hs8_states.mfn_rate_pct) as avg_mfn_rate_pct,
        count(hs8_states.applied_rate_pct) as hs8_codes_weighted,
        cast(null as double) as weighted_value_usd,
        cast(null as double) as excluded_value_usd
    from hs8_states
    group by hs8_states.as_of_date
),

unioned as (
    select * from trade_weighted
    union all by name
    select * from simple_average
)

select * from unioned
