/*  Harmonized System nomenclature (chapters, headings, subheadings) per HS revision.
    grain: one row per HS revision and code
    primary key: hs_revision, hs_code */

with

nomenclature as (
    select * from read_parquet(getvariable('raw_root') || '/hs_nomenclature/*.parquet')
),

sections as (
    select * from read_parquet(getvariable('raw_root') || '/hs_sections/*.parquet')
),

joined as (
    select
        nomenclature.hs_revision,
        nomenclature.hs_code,

        cast(nomenclature.level as integer) as hs_level,
        nomenclature.parent_code,
        nomenclature.description as hs_description,
        nomenclature.section as hs_section,
        sections.section_name as hs_section_name

    from nomenclature
    left join sections
        on
            nomenclature.hs_revision = sections.hs_revision
            and nomenclature.section = sections.section
)

select * from joined
