/*  Tariff measures of every schedule: MFN level and changes, retaliation rounds and changes,
    suspensions, exclusions, and retaliation states (a cumulative level on a date).
    grain: one row per measure
    primary key: measure_id */

with

measures as (
    select * from read_parquet(getvariable('raw_root') || '/tariff_measures/*.parquet')
),

renamed as (
    select
        measures.measure_id,

        measures.schedule_id,
        measures.reporter_iso3,
        measures.target_partner_iso3,
        measures.kind as measure_kind,
        measures.retaliation_basis,
        measures.sequence as measure_sequence,
        measures.description as measure_description,
        measures.legal_reference,
        measures.source_column,
        cast(measures.effective_date as date) as effective_date,
        cast(measures.end_date as date) as end_date,
        measures.kind in ('mfn_level', 'mfn_change') as is_mfn_component,
        measures.kind in (
            'retaliation', 'retaliation_change', 'suspension', 'retaliation_state'
        ) as is_additional_component

    from measures
)

select * from renamed
