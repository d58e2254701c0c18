/*  Rate (a level) or rate change (percentage points) of each tariff line under each measure.
    NULL rate: the line has a specific or compound duty with no ad valorem equivalent.
    grain: one row per schedule, national tariff line and measure
    primary key: schedule_id, national_line_code, measure_id */

with

line_rates as (
    select * from read_parquet(getvariable('raw_root') || '/tariff_line_rates/*.parquet')
),

renamed as (
    select
        line_rates.schedule_id,
        line_rates.national_line_code,
        line_rates.measure_id,

        line_rates.rate_pp,
        line_rates.rate_pp is not null as is_ad_valorem

    from line_rates
)

select * from renamed
