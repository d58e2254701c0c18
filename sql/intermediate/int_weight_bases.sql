/*  One row per weight basis (int_weight_flows): its source, reporter side, year, HS level and
    revision, valuation, frequency, the months it covers and its total, summed once here for
    the weighting (int_tariff_lines_weighted) and the published dimension (dim_weight_bases).
    grain: one row per weight basis
    primary key: weight_basis_id */

with

weight_flows as (
    select * from intermediate.int_weight_flows
),

bases as (
    select
        weight_flows.weight_basis_id,
        any_value(weight_flows.weight_source) as weight_source,
        any_value(weight_flows.reporter_iso3) as reporter_iso3,
        any_value(weight_flows.partner_iso3) as partner_iso3,
        any_value(weight_flows.flow_direction) as flow_direction,
        any_value(weight_flows.weight_year) as weight_year,
        any_value(weight_flows.hs_level) as hs_level,
        string_agg(distinct weight_flows.hs_revision, ',' order by weight_flows.hs_revision)
            as hs_revision,
        string_agg(distinct weight_flows.valuation, ',' order by weight_flows.valuation)
            as valuation,
        any_value(weight_flows.frequency) as frequency,
        case
            when any_value(weight_flows.frequency) = 'annual' then 12
            else count(distinct weight_flows.period_month)
        end as months_covered,
        count(distinct weight_flows.hs_code) as hs_codes,
        sum(cast(weight_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from weight_flows
    group by weight_flows.weight_basis_id
)

select * from bases
