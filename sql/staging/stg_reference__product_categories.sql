/*  Product categories as HS prefix rules per HS revision (reviewed reference data).
    grain: one row per rule
    primary key: category, hs_revision, hs_prefix, match_type */

with

rules as (
    select * from read_parquet(getvariable('raw_root') || '/product_categories/*.parquet')
),

renamed as (
    select
        rules.category,
        rules.hs_revision,
        rules.hs_prefix,
        rules.match as match_type,

        rules.subcategory,
        rules.basis,
        rules.category in (
            'semiconductors', 'renewable_energy', 'electric_vehicles'
        ) as is_strategic_category

    from rules
)

select * from renamed
