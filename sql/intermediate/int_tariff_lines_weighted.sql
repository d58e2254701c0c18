/*  The trade value each tariff line stands for, for every weight basis (int_weight_flows: a
    source, reporter side, year and HS level) and every weighting method the basis allows.
    Band methods (estimates defended in print; fct_exemption_band uses only these):
    hs8_recoded          China-reported HS8 bases: a line gets the value of its own 8-digit
                         code; only value whose code no longer exists in the schedule
                         (re-coded) is spread, equally, over the lines of the same subheading
                         (via the UN HS2022->HS2017 table across revisions) that have no exact
                         match and are new codes since the 2018 schedule; value of codes that
                         still exist but are not taxed stays out of the taxed base.
    by_2017_hs8_shares   HS6 (or HS4) bases, e.g. US-reported exports: a subheading's value is
                         split over its lines in proportion to the lines' hs8_recoded values
                         on China's 2017 HS8 imports, whose denominator includes the
                         subheading's untaxed codes, so untaxed lines keep their share out
                         (a subheading without 2017 trade: equal split). Where the lines hold
                         more 2017 value than the code itself (value re-coded into it from
                         other subheadings across revisions), the denominator is the lines'
                         value: a split never gives out more than the code's value.
    Diagnostics (published, flagged is_band_method = false, never define the band):
    exact_hs8    the value of the line's 8-digit code only (loses re-coded goods: soybeans);
    hs6          all trade in the line's subheading, split equally among the schedule's lines
                 in it (gives untaxed siblings' trade to taxed lines);
    concordance  as hs6, HS2022 lines mapped to HS2017 subheadings by the UN table;
    hs4          HS4 bases: all trade in the heading, split equally among its lines.
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

concordance_shares as (
    select * from intermediate.int_hs_concordance_shares
),

recoded_pools as (
    select * from intermediate.int_recoded_value_pools
),

recoded_targets as (
    select * from intermediate.int_recoded_target_lines
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

-- hs8_recoded ----------------------------------------------------------------------------
china_hs8_bases as (
    select * from bases
    where bases.hs_level = 8 and bases.reporter_iso3 = 'CHN'
),

retired_pools as (
    -- re-coded value per subheading of the schedule's revision, where it has target lines
    select
        recoded_pools.schedule_id,
        recoded_pools.weight_basis_id,
        recoded_pools.schedule_hs6_code as hs6_code,
        -- in cents, as every value of a basis
        cast(sum(recoded_pools.pool_part_usd) as decimal(38, 2)) as pool_usd
    from recoded_pools
    where recoded_pools.is_spread
    group by all
),

hs8_recoded as (
    select
        exact_hs8.schedule_id,
        exact_hs8.national_line_code,
        exact_hs8.hs_revision,
        exact_hs8.weight_basis_id,
        'hs8_recoded' as weighting_method,
        exact_hs8.is_trade_matched or coalesce(retired_pools.pool_usd, 0) > 0
            as is_trade_matched,
        exact_hs8.trade_value_usd
        + coalesce(retired_pools.pool_usd / recoded_targets.targets_in_hs6, 0)
            as trade_value_usd
    from exact_hs8
    left join recoded_targets
        on
            exact_hs8.schedule_id = recoded_targets.schedule_id
            and exact_hs8.national_line_code = recoded_targets.national_line_code
            and exact_hs8.weight_basis_id = recoded_targets.weight_basis_id
    left join retired_pools
        on
            recoded_targets.schedule_id = retired_pools.schedule_id
            and recoded_targets.weight_basis_id = retired_pools.weight_basis_id
            and recoded_targets.hs6_code = retired_pools.hs6_code
),

-- by_2017_hs8_shares ---------------------------------------------------------------------
reference_basis as (
    -- China's latest HS2017 HS8 imports from the US (PIIE's 2017 values)
    select china_hs8_bases.weight_basis_id
    from china_hs8_bases
    where china_hs8_bases.hs_revision = 'HS2017'
    order by china_hs8_bases.weight_year desc, china_hs8_bases.weight_basis_id asc
    limit 1
),

reference_line_values as (
    select hs8_recoded.*
    from hs8_recoded
    inner join reference_basis
        on hs8_recoded.weight_basis_id = reference_basis.weight_basis_id
),

reference_code_totals as (
    -- every 2017 value of a subheading / heading, taxed or not, matched or not
    select
        left(basis_hs8.hs8_code, 6) as hs_code,
        sum(basis_hs8.trade_value_usd) as total_usd
    from basis_hs8
    inner join reference_basis
        on basis_hs8.weight_basis_id = reference_basis.weight_basis_id
    group by left(basis_hs8.hs8_code, 6)
    union all
    select
        left(basis_hs8.hs8_code, 4) as hs_code,
        sum(basis_hs8.trade_value_usd) as total_usd
    from basis_hs8
    inner join reference_basis
        on basis_hs8.weight_basis_id = reference_basis.weight_basis_id
    group by left(basis_hs8.hs8_code, 4)
),

basis_codes as (
    select
        basis_hs6.weight_basis_id,
        basis_hs6.hs6_code as hs_code,
        basis_hs6.trade_value_usd
    from basis_hs6
    inner join bases
        on basis_hs6.weight_basis_id = bases.weight_basis_id
    where bases.hs_level = 6
    union all
    select
        basis_hs4.weight_basis_id,
        basis_hs4.hs4_code as hs_code,
        basis_hs4.trade_value_usd
    from basis_hs4
),

shared_lines as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        lines_counted.hs_revision,
        bases.weight_basis_id,
        case when bases.hs_level = 6 then lines_counted.hs6_code else lines_counted.hs4_code end
            as hs_code,
        case
            when bases.hs_level = 6 then lines_counted.lines_in_hs6 else lines_counted.lines_in_hs4
        end
            as lines_in_code
    from lines_counted
    cross join bases
    where bases.hs_level in (4, 6)
),

reference_line_totals as (
    -- the 2017 value the schedule's lines in a code hold; it exceeds the code's own 2017
    -- value where re-coded value arrived from other subheadings across HS revisions
    select
        shared_lines.schedule_id,
        shared_lines.weight_basis_id,
        shared_lines.hs_code,
        -- summed as decimals: a sum of doubles depends on the order of the rows, and reruns must
        -- publish identical marts
        sum(cast(coalesce(reference_line_values.trade_value_usd, 0) as decimal(38, 6)))
            as lines_total_usd
    from shared_lines
    left join reference_line_values
        on
            shared_lines.schedule_id = reference_line_values.schedule_id
            and shared_lines.national_line_code = reference_line_values.national_line_code
    group by all
),

by_2017_hs8_shares as (
    select
        shared_lines.schedule_id,
        shared_lines.national_line_code,
        shared_lines.hs_revision,
        shared_lines.weight_basis_id,
        'by_2017_hs8_shares' as weighting_method,
        basis_codes.hs_code is not null as is_trade_matched,
        coalesce(
            case
                when coalesce(reference_code_totals.total_usd, 0) > 0
                    then
                        basis_codes.trade_value_usd
                        * (
                            coalesce(reference_line_values.trade_value_usd, 0)
                            / greatest(
                                reference_code_totals.total_usd,
                                reference_line_totals.lines_total_usd
                            )
                        )
                else basis_codes.trade_value_usd / shared_lines.lines_in_code
            end,
            0
        ) as trade_value_usd
    from shared_lines
    left join basis_codes
        on
            shared_lines.weight_basis_id = basis_codes.weight_basis_id
            and shared_lines.hs_code = basis_codes.hs_code
    left join reference_code_totals
        on shared_lines.hs_code = reference_code_totals.hs_code
    left join reference_line_totals
        on
            shared_lines.schedule_id = reference_line_totals.schedule_id
            and shared_lines.weight_basis_id = reference_line_totals.weight_basis_id
            and shared_lines.hs_code = reference_line_totals.hs_code
    left join reference_line_values
        on
            shared_lines.schedule_id = reference_line_values.schedule_id
            and shared_lines.national_line_code = reference_line_values.national_line_code
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
    union all
    select * from hs8_recoded
    union all
    select * from by_2017_hs8_shares
),

final as (
    select
        unioned.schedule_id,
        unioned.national_line_code,
        unioned.weight_basis_id,
        unioned.weighting_method,

        bases.weight_year,
        unioned.is_trade_matched,
        unioned.weighting_method in ('hs8_recoded', 'by_2017_hs8_shares') as is_band_method,

        cast(unioned.trade_value_usd as decimal(38, 6)) as trade_value_usd

    from unioned
    inner join bases
        on unioned.weight_basis_id = bases.weight_basis_id
)

select * from final
