/*  Where every dollar of each weight basis goes on each tariff schedule under the band
    methods (int_tariff_lines_weighted), code by code, so that no value is dropped unseen:
    value_on_lines_usd is the part of the code's value that reaches the schedule's lines, and
    per schedule and basis these parts sum to basis_value_on_lines_usd.
    China-reported HS8 bases (hs8_recoded)
      exact                   the code is a line (or lines) of the schedule;
      recoded_spread          the code is no code of the schedule and its subheading (mapped
                              across HS revisions by the UN table) has new codes without trade
                              of their own: spread over them (int_recoded_value_pools);
      recoded_spread_partly   as recoded_spread, for the part of the value the UN table sends
                              to subheadings with such codes; the rest reaches no line;
      kept_out_untaxed        the code is no line of this schedule, but was a national code in
                              2018 and no new code took its place: a code that still exists and
                              is not taxed (the ITA matrix lists taxed lines only), kept out;
      unmatched               no line could take it (e.g. 98000000, goods not specified by
                              kind), published here and in fct_retaliation_coverage;
    HS6 / HS4 bases (by_2017_hs8_shares)
      shared_by_2017_hs8      split over the subheading's lines by 2017 HS8 shares (the part
                              that falls on untaxed codes stays out);
      equal_split             the subheading had no 2017 China trade: split equally;
      unmatched               the schedule has no line in the subheading.
    grain: one row per schedule, weight basis and basis code
    primary key: schedule_id, weight_basis_id, hs_code */

with

weight_flows as (
    select * from intermediate.int_weight_flows
),

bases as (
    select * from intermediate.int_weight_bases
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

weighted as (
    select * from intermediate.int_tariff_lines_weighted
    where int_tariff_lines_weighted.is_band_method
),

recoded_pools as (
    select * from intermediate.int_recoded_value_pools
),

schedule_codes as (
    select distinct
        tariff_lines.schedule_id,
        tariff_lines.hs8_code,
        tariff_lines.hs6_code,
        left(tariff_lines.hs8_code, 4) as hs4_code
    from tariff_lines
),

schedules as (
    select distinct schedule_codes.schedule_id
    from schedule_codes
),

basis_codes as (
    select
        weight_flows.weight_basis_id,
        bases.hs_level,
        bases.reporter_iso3,
        case
            when bases.hs_level = 8 and bases.reporter_iso3 = 'CHN' then weight_flows.hs_code
            when bases.hs_level >= 6 then left(weight_flows.hs_code, 6)
            else weight_flows.hs_code
        end as hs_code,
        sum(cast(weight_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from weight_flows
    inner join bases
        on weight_flows.weight_basis_id = bases.weight_basis_id
    where bases.hs_level >= 4
    group by all
),

recoded_codes as (
    select
        recoded_pools.schedule_id,
        recoded_pools.weight_basis_id,
        recoded_pools.hs8_code,
        bool_and(recoded_pools.is_spread) as is_all_spread,
        bool_or(recoded_pools.is_spread) as is_any_spread,
        bool_or(recoded_pools.is_code_of_2018_schedule) as is_code_of_2018_schedule,
        coalesce(sum(recoded_pools.pool_part_usd) filter (where recoded_pools.is_spread), 0)
            as value_on_lines_usd
    from recoded_pools
    group by all
),

line_codes as (
    -- the value each line of an HS6 / HS4 basis took, by the basis code it came from
    select
        weighted.schedule_id,
        weighted.weight_basis_id,
        case when bases.hs_level = 4 then schedule_codes.hs4_code else schedule_codes.hs6_code end
            as hs_code,
        sum(weighted.trade_value_usd) as value_on_lines_usd
    from weighted
    inner join bases
        on weighted.weight_basis_id = bases.weight_basis_id
    inner join tariff_lines
        on
            weighted.schedule_id = tariff_lines.schedule_id
            and weighted.national_line_code = tariff_lines.national_line_code
    inner join schedule_codes
        on
            tariff_lines.schedule_id = schedule_codes.schedule_id
            and tariff_lines.hs8_code = schedule_codes.hs8_code
    where not (bases.hs_level = 8 and bases.reporter_iso3 = 'CHN')
    group by all
),

china_2017_subheadings as (
    select distinct left(basis_codes.hs_code, 6) as hs_code
    from basis_codes
    where basis_codes.reporter_iso3 = 'CHN' and basis_codes.hs_level = 8
    union
    select distinct left(basis_codes.hs_code, 4) as hs_code
    from basis_codes
    where basis_codes.reporter_iso3 = 'CHN' and basis_codes.hs_level = 8
),

classified as (
    select
        schedules.schedule_id,
        basis_codes.weight_basis_id,
        basis_codes.hs_code,
        basis_codes.hs_level,
        basis_codes.trade_value_usd,
        case
            when basis_codes.reporter_iso3 = 'CHN' and basis_codes.hs_level = 8
                then case
                    when recoded_codes.hs8_code is null then 'exact'
                    when recoded_codes.is_all_spread then 'recoded_spread'
                    when recoded_codes.is_any_spread then 'recoded_spread_partly'
                    when
                        schedules.schedule_id <> 'piie_2019_06'
                        and recoded_codes.is_code_of_2018_schedule
                        then 'kept_out_untaxed'
                    else 'unmatched'
                end
            when not exists (
                select 1
                from schedule_codes
                where
                    schedule_codes.schedule_id = schedules.schedule_id
                    and (
                        (
                            basis_codes.hs_level >= 6
                            and schedule_codes.hs6_code = basis_codes.hs_code
                        )
                        or (
                            basis_codes.hs_level = 4
                            and schedule_codes.hs4_code = basis_codes.hs_code
                        )
                    )
            ) then 'unmatched'
            when basis_codes.hs_code in (
                select china_2017_subheadings.hs_code from china_2017_subheadings
            ) then 'shared_by_2017_hs8'
            else 'equal_split'
        end as mapping_step,
        case
            when basis_codes.reporter_iso3 = 'CHN' and basis_codes.hs_level = 8
                then coalesce(recoded_codes.value_on_lines_usd, basis_codes.trade_value_usd)
            else coalesce(line_codes.value_on_lines_usd, 0)
        end as value_on_lines_usd
    from basis_codes
    cross join schedules
    left join recoded_codes
        on
            schedules.schedule_id = recoded_codes.schedule_id
            and basis_codes.weight_basis_id = recoded_codes.weight_basis_id
            and basis_codes.hs_code = recoded_codes.hs8_code
    left join line_codes
        on
            schedules.schedule_id = line_codes.schedule_id
            and basis_codes.weight_basis_id = line_codes.weight_basis_id
            and basis_codes.hs_code = line_codes.hs_code
),

totals as (
    select
        weighted.schedule_id,
        weighted.weight_basis_id,
        sum(weighted.trade_value_usd) as weighted_total_usd
    from weighted
    group by all
),

final as (
    select
        classified.schedule_id,
        classified.weight_basis_id,
        classified.hs_code,

        classified.hs_level,
        classified.mapping_step,
        classified.mapping_step in (
            'exact', 'recoded_spread', 'recoded_spread_partly', 'shared_by_2017_hs8', 'equal_split'
        ) as is_value_on_lines,

        cast(classified.trade_value_usd as double) as trade_value_usd,
        cast(classified.value_on_lines_usd as double) as value_on_lines_usd,
        cast(totals.weighted_total_usd as double) as basis_value_on_lines_usd

    from classified
    left join totals
        on
            classified.schedule_id = totals.schedule_id
            and classified.weight_basis_id = totals.weight_basis_id
)

select * from final
