/*  The 2017 trade value each tariff line stands for, by three weighting methods:
    exact_hs8    China's imports of the line's 8-digit code (the HS8 value is split equally
                 among the schedule's lines sharing that HS8);
    hs6          all trade in the line's 6-digit subheading, split equally among the
                 schedule's lines in it (assumes the whole subheading is taxed alike);
    concordance  HS2022 lines: the UN HS2022 -> HS2017 table maps the subheading to HS2017
                 ones; each HS2017 subheading's value goes to the HS2022 subheading with the
                 same code where there is one, else is split equally among the HS2022
                 subheadings mapped to it; then among the schedule's lines. HS2017 lines: same
                 as hs6.
    Each split preserves totals, so no value is counted twice.
    grain: one row per schedule, national tariff line and weighting method
    primary key: schedule_id, national_line_code, weighting_method */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

trade_flows as (
    select * from staging.stg_customs__trade_flows
    where
        stg_customs__trade_flows.source = 'piie_itc_trade_map'
        and stg_customs__trade_flows.flow_direction = 'import'
        and stg_customs__trade_flows.hs_level = 8
),

concordance as (
    select * from staging.stg_reference__hs_concordance
    where
        stg_reference__hs_concordance.from_revision = 'HS2022'
        and stg_reference__hs_concordance.to_revision = 'HS2017'
),

weight_year as (
    select max(trade_flows.period_year) as weight_year from trade_flows
),

trade_hs8 as (
    select
        trade_flows.hs_code as hs8_code,
        sum(cast(trade_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from trade_flows
    group by trade_flows.hs_code
),

trade_hs6 as (
    select
        left(trade_hs8.hs8_code, 6) as hs6_code,
        sum(trade_hs8.trade_value_usd) as trade_value_usd
    from trade_hs8
    group by left(trade_hs8.hs8_code, 6)
),

lines_counted as (
    select
        tariff_lines.*,
        count(*) over (
            partition by tariff_lines.schedule_id, tariff_lines.hs8_code
        ) as lines_in_hs8,
        count(*) over (
            partition by tariff_lines.schedule_id, tariff_lines.hs6_code
        ) as lines_in_hs6
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
        concordance_shares.from_hs6 as hs6_code,
        sum(trade_hs6.trade_value_usd * cast(concordance_shares.value_share as decimal(18, 12)))
            as trade_value_usd,
        count(trade_hs6.hs6_code) filter (where concordance_shares.value_share > 0) > 0
            as is_trade_matched
    from concordance_shares
    left join trade_hs6
        on concordance_shares.to_hs6 = trade_hs6.hs6_code
    group by concordance_shares.from_hs6
),

exact_hs8 as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        'exact_hs8' as weighting_method,
        trade_hs8.hs8_code is not null as is_trade_matched,
        coalesce(trade_hs8.trade_value_usd / lines_counted.lines_in_hs8, 0) as trade_value_usd
    from lines_counted
    left join trade_hs8
        on lines_counted.hs8_code = trade_hs8.hs8_code
),

hs6 as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        'hs6' as weighting_method,
        trade_hs6.hs6_code is not null as is_trade_matched,
        coalesce(trade_hs6.trade_value_usd / lines_counted.lines_in_hs6, 0) as trade_value_usd
    from lines_counted
    left join trade_hs6
        on lines_counted.hs6_code = trade_hs6.hs6_code
),

concordance_2022 as (
    select
        lines_counted.schedule_id,
        lines_counted.national_line_code,
        'concordance' as weighting_method,
        coalesce(hs2022_hs6_values.is_trade_matched, false) as is_trade_matched,
        coalesce(hs2022_hs6_values.trade_value_usd / lines_counted.lines_in_hs6, 0)
            as trade_value_usd
    from lines_counted
    left join hs2022_hs6_values
        on lines_counted.hs6_code = hs2022_hs6_values.hs6_code
    where lines_counted.hs_revision = 'HS2022'
),

concordance_2017 as (
    select
        hs6.schedule_id,
        hs6.national_line_code,
        'concordance' as weighting_method,
        hs6.is_trade_matched,
        hs6.trade_value_usd
    from hs6
    inner join tariff_lines
        on
            hs6.schedule_id = tariff_lines.schedule_id
            and hs6.national_line_code = tariff_lines.national_line_code
    where tariff_lines.hs_revision = 'HS2017'
),

unioned as (
    select * from exact_hs8
    union all
    select * from hs6
    union all
    select * from concordance_2022
    union all
    select * from concordance_2017
),

final as (
    select
        unioned.schedule_id,
        unioned.national_line_code,
        unioned.weighting_method,

        weight_year.weight_year,
        unioned.is_trade_matched,

        cast(unioned.trade_value_usd as decimal(38, 6)) as trade_value_usd

    from unioned
    cross join weight_year
)

select * from final
