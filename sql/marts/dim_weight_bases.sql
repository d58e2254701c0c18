/*  The weight bases the coverage marts can be read with: one per trade-flow source, reporter
    side, year and HS level of US goods entering China. product_scope 'phase_one_products'
    marks a source that covers only the products of the US-China Phase One list (the bundled
    Census files): shares computed with it are shares within those products. A basis with
    fewer than 12 months (months_covered) sums the months it has.
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
),

final as (
    select
        bases.weight_basis_id,

        bases.weight_source,
        case bases.reporter_iso3
            when 'CHN' then 'china_reported'
            when 'USA' then 'us_reported'
        end as reporter_side,
        bases.reporter_iso3,
        bases.partner_iso3,
        bases.flow_direction,
        bases.weight_year,
        bases.hs_level,
        bases.hs_revision,
        bases.valuation,
        bases.frequency,
        bases.months_covered,
        bases.months_covered = 12 as is_complete_year,
        case
            when bases.weight_source = 'census_phase_one_products' then 'phase_one_products'
            else 'all_products'
        end as product_scope,
        bases.weight_source = 'piie_itc_trade_map' as is_default_basis,
        concat(
            case bases.reporter_iso3
                when 'CHN' then 'China-reported imports from the US'
                else 'US-reported exports to China'
            end,
            ', ', bases.weight_year,
            case when bases.months_covered < 12 then concat(' (', bases.months_covered, ' months)')
                else '' end,
            ', HS', bases.hs_level,
            case
                when bases.weight_source = 'census_phase_one_products'
                    then ', Phase One products only'
                else ''
            end,
            ' [', bases.weight_source, ']'
        ) as weight_basis_label,
        bases.hs_codes,

        cast(bases.trade_value_usd as double) as trade_value_usd

    from bases
)

select * from final
