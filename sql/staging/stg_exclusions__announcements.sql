/*  China's exclusion announcements: window, stated item count, and the lists they extend.
    grain: one row per announcement
    primary key: announcement_id */

with

announcements as (
    select * from read_parquet(
        getvariable('raw_root') || '/exclusion_announcements/*.parquet'
    )
),

renamed as (
    select
        announcements.announcement_id,

        announcements.measure_id,
        announcements.title_en,
        announcements.published_date_text,
        announcements.effective_from_date,
        announcements.effective_to_date,
        announcements.stated_item_count,
        announcements.is_unofficial,
        announcements.scope,
        announcements.refund,
        announcements.source_url,
        coalesce(
            string_split(announcements.extends_announcement_ids, ','), []
        ) as extends_announcement_ids

    from announcements
)

select * from renamed
