/*  China's average tariff on US goods on each measure date.
    average_method 'trade_weighted': HS8 rates (simple average of their national lines)
    weighted by China's imports from the US in the HS8 in the year of weight_basis_id (a basis
    of dim_weight_bases); HS8s with no tariff line or no ad valorem rate are left out and their
    value is reported in excluded_value_usd.
    average_method 'simple': unweighted mean over the HS8s of the schedule (weight_basis_id
    null: no trade values weight it).
    Arithmetic is exact (decimal) until the final cast, so reruns give identical numbers.
    has_incomplete_action: a recorded action whose lines the bundled data does not hold (MFN
    changes after 2019, the February 2025 duties) took effect on or before the date, so the
    average leaves it out.
    grain: one row per as-of date and averaging method
    primary key: as_of_date, average_method */

with

flows as (
    select * from intermediate.int_trade_flows_joined_to_tariff_lines
),

hs8_states as (
    select * from intermediate.int_tariff_lines_rolled_up_to_hs8
    where int_tariff_lines_rolled_up_to_hs8.hs_revision in (
        select distinct flows.hs_revision from flows
    )
),

weighted_flows as (
    select * from flows
    where flows.applied_rate_pct is not null
),

excluded_flows as (
    select
        flows.as_of_date,
        sum(flows.trade_value_usd) as excluded_value_usd
    from flows
    where flows.applied_rate_pct is null
    group by flows.as_of_date
),

trade_weighted_sums as (
    select
        weighted_flows.as_of_date,
        'trade_weighted' as average_method,
        any_value(weighted_flows.weight_basis_id) as weight_basis_id,
        sum(weighted_flows.trade_value_usd * weighted_flows.applied_rate_pct) as applied_x_value,
        sum(weighted_flows.trade_value_usd * weighted_flows.additional_rate_pct)
            as additional_x_value,
        sum(weighted_flows.trade_value_usd * weighted_flows.mfn_rate_pct) as mfn_x_value,
        sum(weighted_flows.trade_value_usd) as weighted_value_usd,
        count(*) as hs8_codes_weighted,
        bool_or(weighted_flows.has_incomplete_exclusion_list) as has_incomplete_exclusion_list
    from weighted_flows
    group by weighted_flows.as_of_date
),

trade_weighted as (
    select
        trade_weighted_sums.as_of_date,
        trade_weighted_sums.average_method,
        trade_weighted_sums.weight_basis_id,
        cast(
            trade_weighted_sums.applied_x_value / trade_weighted_sums.weighted_value_usd as double
        ) as avg_applied_rate_pct,
        cast(
            trade_weighted_sums.additional_x_value / trade_weighted_sums.weighted_value_usd
            as double
        ) as avg_additional_rate_pct,
        cast(
            trade_weighted_sums.mfn_x_value / trade_weighted_sums.weighted_value_usd as double
        ) as avg_mfn_rate_pct,
        trade_weighted_sums.hs8_codes_weighted,
        trade_weighted_sums.has_incomplete_exclusion_list,
        cast(trade_weighted_sums.weighted_value_usd as double) as weighted_value_usd,
        cast(coalesce(excluded_flows.excluded_value_usd, 0) as double) as excluded_value_usd
    from trade_weighted_sums
    left join excluded_flows
        on trade_weighted_sums.as_of_date = excluded_flows.as_of_date
),

simple_average as (
    select
        hs8_states.as_of_date,
        'simple' as average_method,
        cast(null as varchar) as weight_basis_id,
        cast(avg(hs8_states.applied_rate_pct) as double) as avg_applied_rate_pct,
        cast(avg(hs8_states.additional_rate_pct) filter (
            where hs8_states.applied_rate_pct is not null
        ) as double) as avg_additional_rate_pct,
        cast(avg(hs8_states.mfn_rate_pct) as double) as avg_mfn_rate_pct,
        count(hs8_states.applied_rate_pct) as hs8_codes_weighted,
        bool_or(hs8_states.has_incomplete_exclusion_list) as has_incomplete_exclusion_list,
        cast(null as double) as weighted_value_usd,
        cast(null as double) as excluded_value_usd
    from hs8_states
    group by hs8_states.as_of_date
),

incomplete_actions as (
    select * from intermediate.int_tariff_actions_incomplete
),

unioned as (
    select * from trade_weighted
    union all by name
    select * from simple_average
),

final as (
    select
        unioned.as_of_date,
        unioned.average_method,
        unioned.weight_basis_id,
        unioned.avg_applied_rate_pct,
        unioned.avg_additional_rate_pct,
        unioned.avg_mfn_rate_pct,
        unioned.hs8_codes_weighted,
        unioned.has_incomplete_exclusion_list,
        exists(
            select 1
            from incomplete_actions
            where
                incomplete_actions.effective_date <= unioned.as_of_date
                and (
                    incomplete_actions.end_date is null
                    or incomplete_actions.end_date > unioned.as_of_date
                )
        ) as has_incomplete_action,
        unioned.weighted_value_usd,
        unioned.excluded_value_usd
    from unioned
)

select * from final
