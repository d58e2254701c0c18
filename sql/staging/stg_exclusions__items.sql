/*  Item lines (CN 8-digit codes) of China's exclusion lists, as read from public sources.
    Two items may share an HS8 with different product scope ("ex" lines).
    grain: one row per announcement, sub-list, item number and HS8 code
    primary key: exclusion_item_id */

with

items as (
    select * from read_parquet(getvariable('raw_root') || '/exclusion_items/*.parquet')
),

renamed as (
    select
        md5(concat_ws(
            '|', items.announcement_id, items.sub_list, items.item_no, items.hs8_code
        )) as exclusion_item_id,

        items.announcement_id,
        items.sub_list,
        items.item_no,
        items.hs8_code,
        items.is_ex_line,
        items.description_en,
        items.refund

    from items
)

select * from renamed
