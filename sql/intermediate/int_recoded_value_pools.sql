/*  Where the value of a China-reported HS8 code that is no code of a tariff schedule goes
    under the hs8_recoded weighting: to its subheading in the schedule's revision (HS2017
    codes reach HS2022 subheadings by int_hs_concordance_shares), where it is spread over the
    target lines of int_recoded_target_lines. is_spread is false where the subheading has no
    target line: that part of the value reaches no line (a code that still exists untaxed, a
    subheading without new codes, or no concordance link: schedule_hs6_code is then null).
    is_code_of_2018_schedule tells a code that existed in 2018 (and is untaxed where it is
    missing from a later schedule) from one that never was a line.
    grain: one row per schedule, weight basis, basis HS8 code and schedule subheading
    primary key: schedule_id, weight_basis_id, hs8_code, schedule_hs6_code */

with

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

weight_flows as (
    select * from intermediate.int_weight_flows
),

bases as (
    select * from intermediate.int_weight_bases
),

concordance_shares as (
    select * from intermediate.int_hs_concordance_shares
),

target_lines as (
    select * from intermediate.int_recoded_target_lines
),

basis_hs8 as (
    select
        weight_flows.weight_basis_id,
        weight_flows.hs_code as hs8_code,
        sum(cast(weight_flows.trade_value_usd as decimal(38, 2))) as trade_value_usd
    from weight_flows
    inner join bases
        on weight_flows.weight_basis_id = bases.weight_basis_id
    where
        bases.hs_level = 8
        and bases.reporter_iso3 = 'CHN'
        and weight_flows.hs_level = 8
        and weight_flows.reporter_iso3 = 'CHN'
    group by weight_flows.weight_basis_id, weight_flows.hs_code
),

schedule_codes as (
    select distinct
        tariff_lines.schedule_id,
        tariff_lines.hs_revision,
        tariff_lines.hs8_code
    from tariff_lines
),

schedules as (
    select distinct
        schedule_codes.schedule_id,
        schedule_codes.hs_revision
    from schedule_codes
),

codes_2018 as (
    select distinct schedule_codes.hs8_code
    from schedule_codes
    where schedule_codes.schedule_id = 'piie_2019_06'
),

retired_values as (
    -- basis codes that are no code of the schedule
    select
        schedules.schedule_id,
        schedules.hs_revision as schedule_revision,
        basis_hs8.weight_basis_id,
        basis_hs8.hs8_code,
        left(basis_hs8.hs8_code, 6) as hs6_code,
        basis_hs8.trade_value_usd
    from basis_hs8
    cross join schedules
    where
        not exists (
            select 1
            from schedule_codes
            where
                schedule_codes.schedule_id = schedules.schedule_id
                and schedule_codes.hs8_code = basis_hs8.hs8_code
        )
),

shared as (
    select
        retired_values.schedule_id,
        retired_values.weight_basis_id,
        retired_values.hs8_code,
        retired_values.trade_value_usd,
        case
            when retired_values.schedule_revision = 'HS2017' then retired_values.hs6_code
            else concordance_shares.from_hs6
        end as schedule_hs6_code,
        -- a part is rounded to cents (DuckDB's decimal product), as the weighting spreads it
        cast(
            case
                when
                    retired_values.schedule_revision = 'HS2017'
                    or concordance_shares.from_hs6 is null
                    then retired_values.trade_value_usd
                else
                    retired_values.trade_value_usd
                    * cast(concordance_shares.value_share as decimal(18, 12))
            end as decimal(38, 14)
        ) as pool_part_usd
    from retired_values
    left join concordance_shares
        on
            retired_values.schedule_revision = 'HS2022'
            and retired_values.hs6_code = concordance_shares.to_hs6
            and concordance_shares.value_share > 0
),

target_subheadings as (
    select distinct
        target_lines.schedule_id,
        target_lines.weight_basis_id,
        target_lines.hs6_code
    from target_lines
),

final as (
    select
        shared.schedule_id,
        shared.weight_basis_id,
        shared.hs8_code,
        shared.schedule_hs6_code,

        target_subheadings.hs6_code is not null as is_spread,
        shared.hs8_code in (select codes_2018.hs8_code from codes_2018)
            as is_code_of_2018_schedule,

        shared.trade_value_usd,
        shared.pool_part_usd

    from shared
    left join target_subheadings
        on
            shared.schedule_id = target_subheadings.schedule_id
            and shared.weight_basis_id = target_subheadings.weight_basis_id
            and shared.schedule_hs6_code = target_subheadings.hs6_code
)

select * from final
