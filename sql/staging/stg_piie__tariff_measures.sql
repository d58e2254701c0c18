/*  Tariff measures of the PIIE schedule: the MFN level of 1 Jan 2018 and each dated change.
    grain: one row per measure
    primary key: measure_id */

with

measures as (
    select * from read_parquet(getvariable('raw_root') || '/tariff_measures/*.parquet')
),

renamed as (
    select
        measures.measure_id,

        measures.reporter_iso3,
        measures.target_partner_iso3,
        measures.kind as measure_kind,
        measures.sequence as measure_sequence,
        measures.description as measure_description,
        measures.legal_reference,
        measures.source_column,
        cast(measures.effective_date as date) as effective_date,
        cast(measures.end_date as date) as end_date,
        measures.kind in ('mfn_level', 'mfn_change') as is_mfn_component,
        measures.kind in (
            'retaliation', 'retaliation_change', 'suspension', 'exclusion'
        ) as is_additional_component

    from measures
)

select * from renamed
