/*  PIIE's sector of each HS8 line, with the full sector name of PIIE's Figure 2.
    grain: one row per HS8 code
    primary key: hs8_code */

with

sectors as (
    select * from read_parquet(getvariable('raw_root') || '/piie_sectors/*.parquet')
),

renamed as (
    select
        sectors.hs8_code,

        sectors.sector,
        sectors.sector_label as sector_label_in_source

    from sectors
)

select * from renamed
