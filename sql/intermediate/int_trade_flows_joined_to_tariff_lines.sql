/*  China's 2017 imports from the US by HS8 (the PIIE weight basis of int_weight_flows, its
    weight_basis_id kept), on every as-of date of the tariff schedule of the
    same HS revision, with the tariff state of the HS8 and its PIIE sector. Trade in an HS8
    absent from the schedule is kept, unmatched; it is covered only while a duty on all US
    goods (a blanket action, int_blanket_rates_by_date) is in force, and flagged so.
    grain: one row per trade flow and as-of date
    primary key: trade_flow_id, as_of_date */

with

trade_flows as (
    select * from intermediate.int_weight_flows
    where
        int_weight_flows.weight_source = 'piie_itc_trade_map'
        and int_weight_flows.flow_direction = 'import'
        and int_weight_flows.hs_level = 8
),

hs8_states as (
    select * from intermediate.int_tariff_lines_rolled_up_to_hs8
),

sectors as (
    select * from staging.stg_piie__sectors
),

blanket as (
    select * from intermediate.int_blanket_rates_by_date
),

as_of_dates as (
    select distinct
        hs8_states.hs_revision,
        hs8_states.as_of_date
    from hs8_states
),

flows_by_date as (
    select
        trade_flows.trade_flow_id,
        trade_flows.hs_code as hs8_code,
        trade_flows.hs_revision,
        trade_flows.weight_basis_id,
        trade_flows.weight_year,
        trade_flows.trade_value_usd,
        as_of_dates.as_of_date
    from trade_flows
    inner join as_of_dates
        on trade_flows.hs_revision = as_of_dates.hs_revision
),

joined as (
    select
        flows_by_date.trade_flow_id,
        flows_by_date.as_of_date,

        flows_by_date.hs8_code,
        flows_by_date.hs_revision,
        flows_by_date.weight_basis_id,
        flows_by_date.weight_year,
        coalesce(sectors.sector, 'Not in PIIE sector list') as sector,
        hs8_states.hs8_code is not null as has_tariff_line,
        coalesce(hs8_states.is_covered, coalesce(blanket.blanket_rate_pp, 0) > 0) as is_covered,
        hs8_states.hs8_code is null and coalesce(blanket.blanket_rate_pp, 0) > 0
            as is_covered_by_blanket_only,
        coalesce(hs8_states.has_incomplete_exclusion_list, false)
            as has_incomplete_exclusion_list,
        hs8_states.lines_total,
        hs8_states.lines_covered,
        hs8_states.mfn_rate_pct,
        hs8_states.additional_rate_pct,
        hs8_states.applied_rate_pct,

        cast(flows_by_date.trade_value_usd as decimal(38, 2)) as trade_value_usd

    from flows_by_date
    left join hs8_states
        on
            flows_by_date.hs8_code = hs8_states.hs8_code
            and flows_by_date.hs_revision = hs8_states.hs_revision
            and flows_by_date.as_of_date = hs8_states.as_of_date
    left join sectors
        on flows_by_date.hs8_code = sectors.hs8_code
    left join blanket
        on
            flows_by_date.hs_revision = blanket.hs_revision
            and flows_by_date.as_of_date = blanket.as_of_date
)

select * from joined
