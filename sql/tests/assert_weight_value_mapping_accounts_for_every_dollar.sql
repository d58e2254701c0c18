/*  No value of a weight basis is dropped unseen: per schedule and basis, the parts of the
    codes' values that reach lines (fct_weight_value_mapping.value_on_lines_usd) sum to the
    value the band method put on the schedule's lines, to the cent per re-coded subheading
    (the weighting spreads each subheading's pool rounded to cents) plus the float error of
    a sum of doubles (1e-9 of the total); what reaches lines never exceeds the code's value
    (beyond the half-cent rounding of each of its parts).
    returns: schedule and basis pairs (or codes) that break the rule */

with

mapping as (
    select * from marts.fct_weight_value_mapping
),

per_basis as (
    select
        mapping.schedule_id,
        mapping.weight_basis_id,
        null as hs_code,
        sum(mapping.value_on_lines_usd) as value_on_lines_usd,
        any_value(mapping.basis_value_on_lines_usd) as basis_value_on_lines_usd,
        count(*) filter (where mapping.mapping_step like 'recoded_spread%') as recoded_codes
    from mapping
    group by mapping.schedule_id, mapping.weight_basis_id
)

select
    per_basis.schedule_id,
    per_basis.weight_basis_id,
    per_basis.hs_code
from per_basis
where
    abs(per_basis.value_on_lines_usd - coalesce(per_basis.basis_value_on_lines_usd, 0))
    > 0.01 * (per_basis.recoded_codes + 1) + 1e-9 * abs(per_basis.basis_value_on_lines_usd)
union all
select
    mapping.schedule_id,
    mapping.weight_basis_id,
    mapping.hs_code
from mapping
where mapping.value_on_lines_usd > mapping.trade_value_usd + 0.5
