/*  China MOF list of 2 April 2018: 128 lines and their additional duty (s.232 retaliation).
    grain: one row per HS8 line
    primary key: hs8_code */

with

mof_list as (
    select * from read_parquet(
        getvariable('raw_root') || '/mof_retaliation_list_2018/*.parquet'
    )
),

renamed as (
    select
        mof_list.hs8_code,

        mof_list.list_id,
        mof_list.item_no,
        mof_list.description_zh,
        mof_list.effective_date,

        mof_list.additional_rate_pct

    from mof_list
)

select * from renamed
