/*  Every HS8 code known to the pipeline (tariff schedules, trade, PIIE sectors) per HS
    revision, with its product categories (reference data), whether it is a strategic
    category the story keeps taxed, its PIIE sector (HS2017 codes) and its place in the
    nomenclature of its revision.
    grain: one row per HS revision and HS8 code
    primary key: hs_revision, hs8_code */

with

sectors as (
    select * from staging.stg_piie__sectors
),

nomenclature as (
    select * from staging.stg_reference__hs_nomenclature
),

codes_categorized as (
    select * from intermediate.int_hs_codes_categorized
),

hs8_codes as (
    select * from intermediate.int_hs8_codes_known
),

categorized as (
    select
        codes_categorized.hs_revision,
        codes_categorized.code as hs8_code,
        string_agg(codes_categorized.category, ',' order by codes_categorized.category)
            as categories,
        string_agg(codes_categorized.subcategory, ',' order by codes_categorized.category)
            as subcategories,
        bool_or(codes_categorized.is_strategic_category) as is_strategic_exclusion
    from codes_categorized
    where length(codes_categorized.code) = 8
    group by codes_categorized.hs_revision, codes_categorized.code
),

joined as (
    select
        hs8_codes.hs_revision,
        hs8_codes.hs8_code,

        left(hs8_codes.hs8_code, 6) as hs6_code,
        left(hs8_codes.hs8_code, 4) as hs4_code,
        left(hs8_codes.hs8_code, 2) as hs2_code,
        categorized.categories,
        categorized.subcategories,
        coalesce(categorized.is_strategic_exclusion, false) as is_strategic_exclusion,
        case
            when hs8_codes.hs_revision = 'HS2017'
                then coalesce(sectors.sector, 'Not in PIIE sector list')
        end as sector,
        subheadings.hs_description as hs6_description,
        headings.hs_description as hs4_description,
        chapters.hs_description as hs2_description,
        chapters.hs_section,
        chapters.hs_section_name,
        hs8_codes.is_in_tariff_schedule,
        hs8_codes.has_trade_record,
        subheadings.hs_code is not null as is_hs6_in_nomenclature

    from hs8_codes
    left join categorized
        on
            hs8_codes.hs_revision = categorized.hs_revision
            and hs8_codes.hs8_code = categorized.hs8_code
    left join sectors
        on hs8_codes.hs8_code = sectors.hs8_code
    left join nomenclature as subheadings
        on
            hs8_codes.hs_revision = subheadings.hs_revision
            and left(hs8_codes.hs8_code, 6) = subheadings.hs_code
    left join nomenclature as headings
        on
            hs8_codes.hs_revision = headings.hs_revision
            and left(hs8_codes.hs8_code, 4) = headings.hs_code
    left join nomenclature as chapters
        on
            hs8_codes.hs_revision = chapters.hs_revision
            and left(hs8_codes.hs8_code, 2) = chapters.hs_code
)

select * from joined
