/*  PIIE's dated US-China tariff events, 2018-01-01 to 2025-11-14 (Bown, "US-China Trade War
    Tariffs: An Up-to-Date Chart", Panel a): the state after each day's events, both directions,
    in percent. cn_tariff_on_us_pct is China's average tariff on US goods as PIIE weights it (by
    US exports to the world in the year before the war), the line the report draws beside ours;
    the change columns say whether a row moved China's tariff on US goods at all (most US
    events leave it unchanged). No product lines.
    grain: one row per event date
    primary key: event_date */

with

events as (
    select * from read_parquet(getvariable('raw_root') || '/piie_tariff_events/*.parquet')
),

renamed as (
    select
        events.event_date,

        row_number() over (order by events.event_date) as event_number,
        trim(events.tariff_action) as tariff_action,
        events.cn_tariff_on_us_pct,
        events.cn_tariff_on_row_pct,
        events.us_tariff_on_cn_pct,
        events.us_tariff_on_row_pct,
        events.cn_tariff_on_us_pct - lag(events.cn_tariff_on_us_pct) over (
            order by events.event_date
        ) as cn_tariff_on_us_change_pp,
        events.us_tariff_on_cn_pct - lag(events.us_tariff_on_cn_pct) over (
            order by events.event_date
        ) as us_tariff_on_cn_change_pp,
        events._source_file as source_file,
        events._source_row as source_row

    from events
)

select * from renamed
