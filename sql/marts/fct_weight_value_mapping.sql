/*  Where every dollar of each weight basis goes on each tariff schedule under the band
    methods (int_tariff_lines_weighted), code by code, so that no value is dropped unseen:
    China-reported HS8 bases (hs8_recoded)
      exact                   the code is a line (or lines) of the schedule;
      recoded_spread          the code is no code of the schedule and its subheading (mapped
                              across HS revisions by the UN table) has new codes without trade
                              of their own: spread over them;
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

concordance as (
    select * from staging.stg_reference__hs_concordance
    where
        stg_reference__hs_concordance.from_revision = 'HS2022'
        and stg_reference__hs_concordance.to_revision = 'HS2017'
),

concordance_links as (
    -- as in int_tariff_lines_weighted: an HS2017 subheading goes to the HS2022 subheading of
    -- the same code where there is one, else to every HS2022 subheading it maps to
    select
        concordance.from_hs6,
        concordance.to_hs6
    from concordance
    qualify
        not bool_or(concordance.from_hs6 = concordance.to_hs6)
            over (
                partition by concordance.to_hs6
            )
        or concordance.from_hs6 = concordance.to_hs6
),

codes_2018 as (
    select distinct tariff_lines.hs8_code
    from tariff_lines
    where tariff_lines.schedule_id = 'piie_2019_06'
),

schedule_codes as (
    select distinct
        tariff_lines.schedule_id,
        tariff_lines.hs_revision,
        tariff_lines.hs8_code,
        tariff_lines.hs6_code,
        left(tariff_lines.hs8_code, 4) as hs4_code,
        tariff_lines.schedule_id = 'piie_2019_06' or codes_2018.hs8_code is null as is_new_code
    from tariff_lines
    left join codes_2018
        on tariff_lines.hs8_code = codes_2018.hs8_code
),

schedules as (
    select distinct
        schedule_codes.schedule_id,
        schedule_codes.hs_revision
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

-- the HS6 of a basis code in the schedule's revision (HS2017 codes to HS2022 subheadings)
code_subheadings as (
    select
        schedules.schedule_id,
        basis_codes.weight_basis_id,
        basis_codes.hs_code,
        coalesce(concordance_links.from_hs6, left(basis_codes.hs_code, 6)) as schedule_hs6
    from basis_codes
    cross join schedules
    left join concordance_links
        on
            schedules.hs_revision = 'HS2022'
            and left(basis_codes.hs_code, 6) = concordance_links.to_hs6
    where basis_codes.hs_level >= 6
),

subheading_new_codes as (
    -- subheadings of a schedule with new codes that have no trade of their own in a basis
    select distinct
        code_subheadings.schedule_id,
        code_subheadings.weight_basis_id,
        code_subheadings.hs_code
    from code_subheadings
    inner join schedule_codes
        on
            code_subheadings.schedule_id = schedule_codes.schedule_id
            and code_subheadings.schedule_hs6 = schedule_codes.hs6_code
    where
        schedule_codes.is_new_code
        and not exists (
            select 1
            from basis_codes as own
            where
                own.weight_basis_id = code_subheadings.weight_basis_id
                and own.hs_code = schedule_codes.hs8_code
        )
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
                    when exists (
                        select 1
                        from schedule_codes
                        where
                            schedule_codes.schedule_id = schedules.schedule_id
                            and schedule_codes.hs8_code = basis_codes.hs_code
                    ) then 'exact'
                    when exists (
                        select 1
                        from subheading_new_codes
                        where
                            subheading_new_codes.schedule_id = schedules.schedule_id
                            and subheading_new_codes.weight_basis_id
                            = basis_codes.weight_basis_id
                            and subheading_new_codes.hs_code = basis_codes.hs_code
                    ) then 'recoded_spread'
                    when
                        schedules.schedule_id <> 'piie_2019_06'
                        and basis_codes.hs_code in (select codes_2018.hs8_code from codes_2018)
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
        end as mapping_step
    from basis_codes
    cross join schedules
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
            'exact', 'recoded_spread', 'shared_by_2017_hs8', 'equal_split'
        ) as is_value_on_lines,

        cast(classified.trade_value_usd as double) as trade_value_usd,
        cast(totals.weighted_total_usd as double) as basis_value_on_lines_usd

    from classified
    left join totals
        on
            classified.schedule_id = totals.schedule_id
            and classified.weight_basis_id = totals.weight_basis_id
)

select * from final
