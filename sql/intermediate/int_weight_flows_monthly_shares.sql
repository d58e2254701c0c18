/*  Seasonality of the monthly weight flows (int_weight_flows): for each source, reporter side
    and product (HS6, or the HS4 heading of an HS4 source; finer codes are cut to 6 digits),
    each calendar month's average share of the product's annual value, averaged over the
    complete years of the source (int_weight_bases.months_covered = 12: a partial year, e.g.
    the one month of 2021 in the Census HS6 file, would give its months the whole year).
    A month with no row in a year counts as zero that year (Census omits zero months). Years in
    which the product has no trade are left out of its average, so each product's 12 shares sum
    to 1. Codes are matched across HS revisions by their digits (a share is a within-year
    ratio). Used to weight a window shorter than a year by when the product ships (US soybeans
    ship mostly from September to January). month_value_usd and annual_value_usd are summed
    over the years averaged.
    grain: one row per source, reporter, partner, flow, HS level, product code and calendar
    month
    primary key: weight_source, reporter_iso3, partner_iso3, flow_direction, hs_level, hs_code,
    calendar_month */

with

weight_flows as (
    select * from intermediate.int_weight_flows
    where int_weight_flows.frequency = 'monthly'
),

bases as (
    select * from intermediate.int_weight_bases
    where int_weight_bases.months_covered = 12
),

product_months as (
    select
        weight_flows.weight_source,
        weight_flows.reporter_iso3,
        weight_flows.partner_iso3,
        weight_flows.flow_direction,
        least(weight_flows.hs_level, 6) as hs_level,
        left(weight_flows.hs_code, 6) as hs_code,
        weight_flows.weight_year,
        weight_flows.period_month,
        sum(cast(weight_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from weight_flows
    inner join bases
        on weight_flows.weight_basis_id = bases.weight_basis_id
    group by all
),

product_years as (
    select
        product_months.weight_source,
        product_months.reporter_iso3,
        product_months.partner_iso3,
        product_months.flow_direction,
        product_months.hs_level,
        product_months.hs_code,
        product_months.weight_year,
        sum(product_months.trade_value_usd) as annual_value_usd
    from product_months
    group by all
    having sum(product_months.trade_value_usd) > 0
),

products as (
    select
        product_years.weight_source,
        product_years.reporter_iso3,
        product_years.partner_iso3,
        product_years.flow_direction,
        product_years.hs_level,
        product_years.hs_code,
        count(*) as years_averaged,
        min(product_years.weight_year) as first_year,
        max(product_years.weight_year) as last_year,
        sum(product_years.annual_value_usd) as annual_value_usd
    from product_years
    group by all
),

calendar_months as (
    select cast(months.calendar_month as integer) as calendar_month
    from range(1, 13) as months (calendar_month)
),

year_month_shares as (
    -- every month of every year with trade, a missing month as zero
    select
        product_years.weight_source,
        product_years.reporter_iso3,
        product_years.partner_iso3,
        product_years.flow_direction,
        product_years.hs_level,
        product_years.hs_code,
        calendar_months.calendar_month,
        coalesce(product_months.trade_value_usd, 0) as trade_value_usd,
        cast(coalesce(product_months.trade_value_usd, 0) as double)
        / cast(product_years.annual_value_usd as double) as month_share
    from product_years
    cross join calendar_months
    left join product_months
        on
            product_years.weight_source = product_months.weight_source
            and product_years.reporter_iso3 = product_months.reporter_iso3
            and product_years.partner_iso3 = product_months.partner_iso3
            and product_years.flow_direction = product_months.flow_direction
            and product_years.hs_level = product_months.hs_level
            and product_years.hs_code = product_months.hs_code
            and product_years.weight_year = product_months.weight_year
            and calendar_months.calendar_month = product_months.period_month
),

averaged as (
    select
        year_month_shares.weight_source,
        year_month_shares.reporter_iso3,
        year_month_shares.partner_iso3,
        year_month_shares.flow_direction,
        year_month_shares.hs_level,
        year_month_shares.hs_code,
        year_month_shares.calendar_month,
        avg(year_month_shares.month_share) as avg_month_share,
        sum(year_month_shares.trade_value_usd) as month_value_usd
    from year_month_shares
    group by all
),

final as (
    select
        averaged.weight_source,
        averaged.reporter_iso3,
        averaged.partner_iso3,
        averaged.flow_direction,
        averaged.hs_level,
        averaged.hs_code,
        averaged.calendar_month,

        products.years_averaged,
        products.first_year,
        products.last_year,

        averaged.avg_month_share,
        cast(averaged.month_value_usd as double) as month_value_usd,
        cast(products.annual_value_usd as double) as annual_value_usd

    from averaged
    inner join products
        on
            averaged.weight_source = products.weight_source
            and averaged.reporter_iso3 = products.reporter_iso3
            and averaged.partner_iso3 = products.partner_iso3
            and averaged.flow_direction = products.flow_direction
            and averaged.hs_level = products.hs_level
            and averaged.hs_code = products.hs_code
)

select * from final
