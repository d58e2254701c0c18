/*  How the value of an HS2017 subheading is shared among HS2022 subheadings (UN concordance
    table): all of it goes to the HS2022 subheading with the same code when there is one (the
    other links are "ex" carve-outs, e.g. display modules moved to 8524); otherwise it is split
    equally among the HS2022 subheadings it maps to. Shares of one HS2017 subheading sum to 1.
    grain: one row per HS2022 subheading and HS2017 subheading linked by the table
    primary key: from_hs6, to_hs6 */

with

concordance as (
    select * from staging.stg_reference__hs_concordance
    where
        stg_reference__hs_concordance.from_revision = 'HS2022'
        and stg_reference__hs_concordance.to_revision = 'HS2017'
),

final as (
    select
        concordance.from_hs6,
        concordance.to_hs6,
        case
            when
                bool_or(concordance.from_hs6 = concordance.to_hs6)
                    over (
                        partition by concordance.to_hs6
                    )
                then cast(concordance.from_hs6 = concordance.to_hs6 as integer)
            else 1.0 / count(*) over (partition by concordance.to_hs6)
        end as value_share
    from concordance
)

select * from final
