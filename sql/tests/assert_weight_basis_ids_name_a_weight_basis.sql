/*  The marts speak one weight-basis vocabulary: every weight_basis_id they publish (and the
    band's low and high bases) names a row of dim_weight_bases, so a reader can join it.
    returns: mart and weight_basis_id of each id that names no weight basis */

with

used as (
    select
        'fct_retaliation_coverage' as mart,
        fct_retaliation_coverage.weight_basis_id
    from marts.fct_retaliation_coverage
    union all
    select
        'fct_average_tariff' as mart,
        fct_average_tariff.weight_basis_id
    from marts.fct_average_tariff
    where fct_average_tariff.average_method = 'trade_weighted'
    union all
    select
        'fct_exemption_coverage' as mart,
        fct_exemption_coverage.weight_basis_id
    from marts.fct_exemption_coverage
    union all
    select
        'fct_exemption_band' as mart,
        fct_exemption_band.low_weight_basis_id as weight_basis_id
    from marts.fct_exemption_band
    union all
    select
        'fct_exemption_band' as mart,
        fct_exemption_band.high_weight_basis_id as weight_basis_id
    from marts.fct_exemption_band
)

select distinct
    used.mart,
    used.weight_basis_id
from used
anti join marts.dim_weight_bases
    on used.weight_basis_id is not distinct from dim_weight_bases.weight_basis_id
