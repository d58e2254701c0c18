/*  Which HS8 lines each exclusion measure lifts: the announcement's own items plus, for an
    extension, the items of every list it extends (transitively). A list is complete when the
    items found reach the item count the announcement states.
    grain: one row per exclusion measure and HS8 code
    primary key: measure_id, hs8_code */

with recursive

announcements as (
    select * from staging.stg_exclusions__announcements
),

items as (
    select * from staging.stg_exclusions__items
),

extension_edges as (
    select
        announcements.announcement_id,
        unnest(announcements.extends_announcement_ids) as extended_announcement_id
    from announcements
),

item_sources (announcement_id, source_announcement_id) as (
    select
        announcements.announcement_id,
        announcements.announcement_id as source_announcement_id
    from announcements
    union
    select
        item_sources.announcement_id,
        extension_edges.extended_announcement_id
    from item_sources
    inner join extension_edges
        on item_sources.source_announcement_id = extension_edges.announcement_id
),

resolved_items as (
    select
        item_sources.announcement_id,
        items.exclusion_item_id,
        items.hs8_code,
        items.is_ex_line
    from item_sources
    inner join items
        on item_sources.source_announcement_id = items.announcement_id
),

completeness as (
    select
        announcements.announcement_id,
        count(distinct resolved_items.exclusion_item_id) as items_found,
        coalesce(
            count(distinct resolved_items.exclusion_item_id) >= announcements.stated_item_count,
            false
        ) as is_list_complete
    from announcements
    left join resolved_items
        on announcements.announcement_id = resolved_items.announcement_id
    group by announcements.announcement_id, announcements.stated_item_count
),

final as (
    select
        announcements.measure_id,
        resolved_items.hs8_code,

        announcements.announcement_id,
        announcements.effective_from_date,
        announcements.effective_to_date,
        completeness.items_found,
        announcements.stated_item_count,
        completeness.is_list_complete,
        bool_or(resolved_items.is_ex_line) as is_ex_line

    from resolved_items
    inner join announcements
        on resolved_items.announcement_id = announcements.announcement_id
    inner join completeness
        on resolved_items.announcement_id = completeness.announcement_id
    where announcements.measure_id is not null
    group by all
)

select * from final
