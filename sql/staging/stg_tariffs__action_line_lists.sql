/*  Explicit line lists that tariff actions point at: the official annexes of the March 2025
    farm duties (CN 2025 8-digit lines, the additional rate of each annex) and PIIE's December
    2019 HS6 list of China's applied rates (tradewar_tracker; total rate, max over HS10).
    grain: one row per list, item and as-of date
    primary key: list_id, item_no */

with

lists as (
    select * from read_parquet(getvariable('raw_root') || '/action_line_lists/*.parquet')
),

renamed as (
    select
        lists.list_id,
        lists.item_no,

        lists.code,
        lists.code_level,
        lists.nomenclature,
        lists.description as item_description,
        cast(lists.as_of_date as date) as as_of_date,
        left(lists.code, 6) as hs6_code,
        cast(lists.rate_pct as decimal(12, 4)) as rate_pct

    from lists
)

select * from renamed
