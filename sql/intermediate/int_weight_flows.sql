/*  The trade flows that can weight China's tariff lines, each tagged with its weight basis: US
    goods entering China, as reported by China (imports from the US) or by the US (exports to
    China), at HS4, HS6, HS8 or HS10. A weight basis is one source, reporter side, year, HS
    revision and HS level, e.g. 'piie_itc_trade_map.chn_imports.2017.hs2017.hs8',
    'census_phase_one_products.usa_exports.2018.hs2017.hs4' or (Census HS6, all products)
    'us_census.usa_exports.2019.hs2017.hs6' (the revision is part of the key: the same year
    downloaded in two HS editions is two bases, never summed). Where a source has both annual
    and monthly rows for a basis, the annual rows are used (never both: no double counting).
    Monthly rows keep their period_month (seasonality: int_weight_flows_monthly_shares).
    grain: one row per trade flow used as a weight
    primary key: trade_flow_id */

with

trade_flows as (
    select * from staging.stg_customs__trade_flows
    where
        stg_customs__trade_flows.hs_level in (4, 6, 8, 10)
        and (
            (
                stg_customs__trade_flows.reporter_iso3 = 'CHN'
                and stg_customs__trade_flows.partner_iso3 = 'USA'
                and stg_customs__trade_flows.flow_direction = 'import'
            )
            or (
                stg_customs__trade_flows.reporter_iso3 = 'USA'
                and stg_customs__trade_flows.partner_iso3 = 'CHN'
                and stg_customs__trade_flows.flow_direction = 'export'
            )
        )
),

tagged as (
    select
        trade_flows.*,
        concat_ws(
            '.',
            trade_flows.source,
            lower(trade_flows.reporter_iso3) || '_' || trade_flows.flow_direction || 's',
            cast(trade_flows.period_year as varchar),
            coalesce(lower(trade_flows.hs_revision), 'unknown_revision'),
            'hs' || cast(trade_flows.hs_level as varchar)
        ) as weight_basis_id,
        case when trade_flows.period_month is null then 'annual' else 'monthly' end as frequency
    from trade_flows
),

chosen as (
    select
        tagged.*,
        bool_or(tagged.frequency = 'annual') over (partition by tagged.weight_basis_id)
            as has_annual_rows
    from tagged
),

final as (
    select
        chosen.trade_flow_id,

        chosen.weight_basis_id,
        chosen.source as weight_source,
        chosen.reporter_iso3,
        chosen.partner_iso3,
        chosen.flow_direction,
        chosen.period_year as weight_year,
        chosen.period_month,
        chosen.frequency,
        chosen.hs_level,
        chosen.hs_revision,
        chosen.hs_code,
        chosen.valuation,

        chosen.trade_value_usd

    from chosen
    where chosen.frequency = 'annual' or not chosen.has_annual_rows
)

select * from final
