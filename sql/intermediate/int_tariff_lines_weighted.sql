/*  The trade value each tariff line stands for, for every weight basis (int_weight_flows: a
    source, reporter side, year and HS level) and every weighting method the basis allows:
    exact_hs8    China-reported HS8 bases only: the value of the line's 8-digit code (split
                 equally among the schedule's lines sharing that HS8);
    hs6          bases at HS6 or finer: all trade in the line's 6-digit subheading, split
                 equally among the schedule's lines in it (assumes the subheading is taxed
                 alike);
    concordance  bases at HS6 or finer. Lines of the basis's HS revision: as hs6. HS2022 lines
                 on an HS2017 basis: the UN HS2022 -> HS2017 table maps the subheading to HS2017
                 ones; each HS2017 subheading's value goes to the HS2022 subheading with the
                 same code where there is one, else is split equally among the HS2022
                 subheadings mapped to it; then among the schedule's lines. Other revision
                 pairs: no row (no table);
    hs4          HS4 bases (e.g. US-reported Census headings): all trade in the line's 4-digit
                 heading, split equally among the schedule's lines in it.
    Each split preserves totals, so no value is counted twice.
    grain: one row per schedule, national tariff line, weight basis and weighting method
    primary key: schedule_id, national_line_code, weight_basis_id, weighting_method */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

weight_flows as (
    select * from intermediate.int_weight_flows
),

concordance as (
    select * from staging.stg_reference__hs_concordance
    where
        stg_reference__hs_concordance.from_revision = 'HS2022'
        and stg_reference__hs_concordance.to_revision = 'HS2017'
),

bases as (
    select * from intermediate.int_weight_bases
),

basis_hs8 as (
    select
        weight_flows.weight_basis_id,
        weight_flows.hs_code as hs8_code,
        sum(cast(weight_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from weight_flows
    where weight_flows.hs_level = 8 and weight_flows.reporter_iso3 = 'CHN'
    group by weight_flows.weight_basis_id, weight_flows.hs_code
),

basis_hs6 as (
    select
        weight_flows.weight_basis_id,
        left(weight_flows.hs_code, 6) as hs6_code,
        sum(cast(weight_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from weight_flows
    where weight_flows.hs_level >= 6
    group by weight_flows.weight_basis_id, left(weight_flows.hs_code, 6)
),

basis_hs4 as (
    select
        weight_flows.weight_basis_id,
        weight_flows.hs_code as hs4_code,
        sum(cast(weight_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from weight_flows
    where weight_flows.hs_level = 4
    group by weight_flows.weight_basis_id, weight_flows.hs_code
),

lines_counted as (
    select
        tariff_lines.*,
        left(tariff_lines.hs8_code, 4) as hs4_code,
        count(*) over (
            partition by tariff_lines.schedule_id, tariff_lines.hs8_code
        ) as lines_in_hs8,
        count(*) over (
            partition by tariff_lines.schedule_id, tariff_lines.hs6_code
        ) as lines_in_hs6,
        count(*) over (
            partition by tariff_lines.schedule_id, left(tariff_lines.hs8_code, 4)
        ) as lines_in_hs4
    from tariff_lines
),

concordance_shares as (
    -- an HS2017 subheading's value goes to the HS2022 subheading with the same code when
    -- there is one (the other links are "ex" carve-outs, e.g. display modules moved to 8524);
    -- otherwise it is split equally among the HS2022 subheadings it maps to
    select
        concordance.from_hs6,
        concordance.to_hs6,
        case
            when bool_or(concordance.from_hs6 = concordance.to_hs6) over by_to_code
                then cast(concordance.from_hs6 = concordance.to_hs6 as integer)
            else 1.0 / count(*) over by_to_code
        end as value_share
    from concordance
    window by_to_code as (partition by concordance.to_hs6)
),

hs2022_hs6_values as (
    select
        bases.weight_basis_id,
        concordance_shares.from_hs6 as hs6_code,
        sum(
            basis_hs6.trade_value_usd * cast(concordance_shares.value_share as decimal(18, 12))
        ) as trade_value_usd,
        count(basis_hs6.hs6_code) filter (where concordance_shares.value_share > 0) > 0
            as is_trade_matched
    from bases
    cross join concordance_shares
    left join basis_hs6
        on
            bases.weight_basis_id = basis_hs6.weight_basis_id
            and concordance_shares.to_hs6 = basis_hs6.hs6_code
    where bases.hs_level >= 6 and bases.hs_revision = 'HS2017'
    group by bases.weight_basis_id, concordance_shares.from_hs6
),

exact_hs8 as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        lines_counted.hs_revision,
        bases.weight_basis_id,
        'exact_hs8' as weighting_method,
        basis_hs8.hs8_code is not null as is_trade_matched,
        coalesce(basis_hs8.trade_value_usd / lines_counted.lines_in_hs8, 0) as trade_value_usd
    from lines_counted
    cross join bases
    left join basis_hs8
        on
            bases.weight_basis_id = basis_hs8.weight_basis_id
            and lines_counted.hs8_code = basis_hs8.hs8_code
    where bases.hs_level = 8 and bases.reporter_iso3 = 'CHN'
),

hs6 as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        lines_counted.hs_revision,
        bases.weight_basis_id,
        'hs6' as weighting_method,
        basis_hs6.hs6_code is not null as is_trade_matched,
        coalesce(basis_hs6.trade_value_usd / lines_counted.lines_in_hs6, 0) as trade_value_usd
    from lines_counted
    cross join bases
    left join basis_hs6
        on
            bases.weight_basis_id = basis_hs6.weight_basis_id
            and lines_counted.hs6_code = basis_hs6.hs6_code
    where bases.hs_level >= 6
),

hs4 as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        lines_counted.hs_revision,
        bases.weight_basis_id,
        'hs4' as weighting_method,
        basis_hs4.hs4_code is not null as is_trade_matched,
        coalesce(basis_hs4.trade_value_usd / lines_counted.lines_in_hs4, 0) as trade_value_usd
    from lines_counted
    cross join bases
    left join basis_hs4
        on
            bases.weight_basis_id = basis_hs4.weight_basis_id
            and lines_counted.hs4_code = basis_hs4.hs4_code
    where bases.hs_level = 4
),

concordance_across_revisions as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        lines_counted.hs_revision,
        bases.weight_basis_id,
        'concordance' as weighting_method,
        coalesce(hs2022_hs6_values.is_trade_matched, false) as is_trade_matched,
        coalesce(hs2022_hs6_values.trade_value_usd / lines_counted.lines_in_hs6, 0)
            as trade_value_usd
    from lines_counted
    cross join bases
    left join hs2022_hs6_values
        on
            bases.weight_basis_id = hs2022_hs6_values.weight_basis_id
            and lines_counted.hs6_code = hs2022_hs6_values.hs6_code
    where
        lines_counted.hs_revision = 'HS2022'
        and bases.hs_level >= 6
        and bases.hs_revision = 'HS2017'
),

concordance_same_revision as (
    select
        hs6.schedule_id,
        hs6.national_line_code,
        hs6.hs_revision,
        hs6.weight_basis_id,
        'concordance' as weighting_method,
        hs6.is_trade_matched,
        hs6.trade_value_usd
    from hs6
    inner join bases
        on hs6.weight_basis_id = bases.weight_basis_id
    where hs6.hs_revision = bases.hs_revision
),

unioned as (
    select * from exact_hs8
    union all
    select * from hs6
    union all
    select * from hs4
    union all
    select * from concordance_across_revisions
    union all
    select * from concordance_same_revision
),

final as (
    select
        unioned.schedule_id,
        unioned.national_line_code,
        unioned.weight_basis_id,
        unioned.weighting_method,

        bases.weight_year,
        unioned.is_trade_matched,

        cast(unioned.trade_value_usd as decimal(38, 6)) as trade_value_usd

    from unioned
    inner join bases
        on unioned.weight_basis_id = bases.weight_basis_id
)

select * from final
