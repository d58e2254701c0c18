/*  National tariff lines of every schedule: China's HS10 statistical codes of the 2018
    schedule (PIIE, HS2017-based; A/B suffixed value-split lines kept as separate lines) and
    the CN 8-digit lines of the 2025 ITA matrix (HS2022-based).
    grain: one row per schedule and national tariff line
    primary key: schedule_id, national_line_code */

with

tariff_lines as (
    select * from read_parquet(getvariable('raw_root') || '/tariff_lines/*.parquet')
),

renamed as (
    select
        tariff_lines.schedule_id,
        tariff_lines.national_line_code,

        tariff_lines.reporter_iso3,
        tariff_lines.hs_revision,
        left(tariff_lines.national_line_code, 8) as hs8_code,
        left(tariff_lines.national_line_code, 6) as hs6_code,
        left(tariff_lines.national_line_code, 4) as hs4_code,
        left(tariff_lines.national_line_code, 2) as hs2_code,
        tariff_lines.description as line_description,
        length(tariff_lines.national_line_code) = 11 as is_value_split_line

    from tariff_lines
)

select * from renamed
