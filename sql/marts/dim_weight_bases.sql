/*  The weight bases the coverage marts can be read with: one per trade-flow source, reporter
    side, year and HS level of US goods entering China. product_scope 'phase_one_products'
    marks a source that covers only the products of the US-China Phase One list (the bundled
    Census files): shares computed with it are shares within those products; the Census HS6
    file (source us_census) covers all products. A basis with fewer than 12 months
    (months_covered, is_complete_year = false; e.g. us_census 2021: January only) sums the
    months it has: it is not an annual weight, its label says "partial year", and a band must
    leave it out.
    grain: one row per weight basis
    primary key: weight_basis_id */

with

bases as (
    select * from intermediate.int_weight_bases
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
            case
                when bases.months_covered < 12
                    then concat(
                        ' (partial year: ', bases.months_covered,
                        ' of 12 months, not an annual weight)'
                    )
                else ''
            end,
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
