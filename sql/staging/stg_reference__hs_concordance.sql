/*  UN correlation between HS revisions at six digits (HS2022 -> HS2017).
    grain: one row per pair of codes
    primary key: from_revision, from_hs6, to_revision, to_hs6 */

with

concordance as (
    select * from read_parquet(getvariable('raw_root') || '/hs_concordance/*.parquet')
),

renamed as (
    select
        concordance.from_revision,
        concordance.from_hs6,
        concordance.to_revision,
        concordance.to_hs6,

        concordance.relationship

    from concordance
)

select * from renamed
