/*  The product categories of every code the pipeline knows (national tariff lines and every
    known HS8 code), per HS revision: a code is in a category when it starts with an include
    prefix of that category for its revision and with no exclude prefix of it.
    A code may be in several categories.
    grain: one row per HS revision, code and category
    primary key: hs_revision, code, category */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

hs8_codes as (
    select * from intermediate.int_hs8_codes_known
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
        hs8_codes.hs_revision,
        hs8_codes.hs8_code
    from hs8_codes
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
