/*  How much of China's 2017 imports from the US is covered by retaliation on each measure date,
    by PIIE sector (reproduces PIIE's Figure 2 on 2019-06-01), on every date a recorded tariff
    action takes effect from 2018-01-01 to the last one (data/reference/tariff_actions). Trade
    in HS8 codes missing from the tariff schedule (98000000 goods not specified by kind, codes
    changed after 2017) is reported as unmatched; it counts as covered only while a duty on all
    US goods is in force, and covered_by_blanket_only_value_usd says how much of the covered
    value came to it that way. has_incomplete_exclusion_list flags figures that rest on an
    exclusion list of which only part of the items is known; has_incomplete_action flags dates
    on or after a recorded action whose lines the bundled data does not hold (China's MFN
    changes after 2019, the February 2025 duties).
    grain: one row per as-of date and sector
    primary key: as_of_date, sector */

with

flows as (
    select * from intermediate.int_trade_flows_joined_to_tariff_lines
),

line_states as (
    select * from intermediate.int_tariff_lines_stated_by_date
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

trade_revisions as (
    select distinct stg_customs__trade_flows.hs_revision
    from staging.stg_customs__trade_flows
    where stg_customs__trade_flows.source = 'piie_itc_trade_map'
),

sectors as (
    select * from staging.stg_piie__sectors
),

incomplete_actions as (
    select * from intermediate.int_tariff_actions_incomplete
),

weight_bases as (
    select distinct
        flows.weight_basis_id,
        flows.weight_year
    from flows
),

value_by_sector as (
    select
        flows.as_of_date,
        flows.sector,
        sum(flows.trade_value_usd) filter (where flows.is_covered) as covered_value_usd,
        sum(flows.trade_value_usd) filter (where not flows.is_covered) as not_covered_value_usd,
        sum(flows.trade_value_usd) filter (where not flows.has_tariff_line) as unmatched_value_usd,
        sum(flows.trade_value_usd) filter (where flows.is_covered_by_blanket_only)
            as covered_by_blanket_only_value_usd,
        sum(flows.trade_value_usd) as total_value_usd,
        bool_or(flows.has_incomplete_exclusion_list) as has_incomplete_exclusion_list
    from flows
    group by flows.as_of_date, flows.sector
),

lines_by_sector as (
    select
        line_states.as_of_date,
        coalesce(sectors.sector, 'Not in PIIE sector list') as sector,
        count(*) as lines_total,
        count(*) filter (where line_states.is_retaliation_in_force) as lines_covered
    from line_states
    inner join tariff_lines
        on
            line_states.schedule_id = tariff_lines.schedule_id
            and line_states.national_line_code = tariff_lines.national_line_code
    inner join trade_revisions
        on tariff_lines.hs_revision = trade_revisions.hs_revision
    left join sectors
        on tariff_lines.hs8_code = sectors.hs8_code
    group by line_states.as_of_date, coalesce(sectors.sector, 'Not in PIIE sector list')
),

joined as (
    select
        coalesce(value_by_sector.as_of_date, lines_by_sector.as_of_date) as as_of_date,
        coalesce(value_by_sector.sector, lines_by_sector.sector) as sector,

        weight_bases.weight_year,
        weight_bases.weight_basis_id,
        coalesce(lines_by_sector.lines_covered, 0) as lines_covered,
        coalesce(lines_by_sector.lines_total, 0) as lines_total,
        coalesce(value_by_sector.has_incomplete_exclusion_list, false)
            as has_incomplete_exclusion_list,
        exists(
            select 1
            from incomplete_actions
            where
                incomplete_actions.effective_date
                <= coalesce(value_by_sector.as_of_date, lines_by_sector.as_of_date)
                and (
                    incomplete_actions.end_date is null
                    or incomplete_actions.end_date
                    > coalesce(value_by_sector.as_of_date, lines_by_sector.as_of_date)
                )
        ) as has_incomplete_action,

        cast(coalesce(value_by_sector.covered_value_usd, 0) as double) as covered_value_usd,
        cast(coalesce(value_by_sector.not_covered_value_usd, 0) as double) as not_covered_value_usd,
        cast(coalesce(value_by_sector.total_value_usd, 0) as double) as total_value_usd,
        cast(coalesce(value_by_sector.unmatched_value_usd, 0) as double) as unmatched_value_usd,
        cast(coalesce(value_by_sector.covered_by_blanket_only_value_usd, 0) as double)
            as covered_by_blanket_only_value_usd,
        cast(
            coalesce(value_by_sector.covered_value_usd, 0)
            / nullif(value_by_sector.total_value_usd, 0) as double
        ) as coverage_share

    from value_by_sector
    full outer join lines_by_sector
        on
            value_by_sector.as_of_date = lines_by_sector.as_of_date
            and value_by_sector.sector = lines_by_sector.sector
    cross join weight_bases
)

select * from joined
