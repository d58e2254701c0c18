/*  The product categories of every code the pipeline knows (national tariff lines, HS8 codes
    of trade and of PIIE's sectors), per HS revision: a code is in a category when it starts
    with an include prefix of that category for its revision and with no exclude prefix of it.
    A code may be in several categories.
    grain: one row per HS revision, code and category
    primary key: hs_revision, code, category */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

trade_flows as (
    select * from staging.stg_customs__trade_flows
),

sectors as (
    select * from staging.stg_piie__sectors
),

rules as (
    select * from staging.stg_reference__product_categories
),

codes as (
    select
        tariff_lines.hs_revision,
        tariff_lines.national_line_code as code
    from tariff_lines
    union
    select
        tariff_lines.hs_revision,
        tariff_lines.hs8_code
    from tariff_lines
    union
    select
        trade_flows.hs_revision,
        trade_flows.hs_code
    from trade_flows
    union
    select
        'HS2017',
        sectors.hs8_code
    from sectors
),

matched as (
    select
        codes.hs_revision,
        codes.code,
        rules.category,
        rules.match_type,
        rules.subcategory,
        rules.hs_prefix,
        rules.is_strategic_category
    from codes
    inner join rules
        on
            codes.hs_revision = rules.hs_revision
            and starts_with(codes.code, rules.hs_prefix)
),

final as (
    select
        matched.hs_revision,
        matched.code,
        matched.category,

        arg_max(matched.subcategory, length(matched.hs_prefix)) as subcategory,
        bool_or(matched.is_strategic_category) as is_strategic_category

    from matched
    group by matched.hs_revision, matched.code, matched.category
    having
        bool_or(matched.match_type = 'include')
        and not bool_or(matched.match_type = 'exclude')
)

select * from final
