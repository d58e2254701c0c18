/*  The rates of every tariff line in force on every measure date: MFN rate (level plus all MFN
    changes so far), additional retaliatory rate (all retaliation, changes, suspensions and
    exclusions so far) and the measures that moved the line.
    A line without an ad valorem MFN level keeps a NULL MFN (and applied) rate.
    grain: one row per national tariff line and as-of date
    primary key: national_line_code, as_of_date */

with

tariff_lines as (
    select * from staging.stg_piie__tariff_lines
),

line_rates as (
    select * from staging.stg_piie__tariff_line_rates
),

measures as (
    select * from staging.stg_piie__tariff_measures
),

as_of_dates as (
    select distinct measures.effective_date as as_of_date
    from measures
),

rates_with_dates as (
    select
        line_rates.national_line_code,
        line_rates.measure_id,
        line_rates.rate_pp,
        -- exact decimal arithmetic: sums do not depend on thread scheduling
        cast(line_rates.rate_pp as decimal(12, 4)) as rate_pp_exact,

        measures.effective_date,
        measures.measure_sequence,
        measures.measure_kind,
        measures.is_mfn_component,
        measures.is_additional_component

    from line_rates
    inner join measures
        on line_rates.measure_id = measures.measure_id
),

line_dates as (
    select
        tariff_lines.national_line_code,
        as_of_dates.as_of_date
    from tariff_lines
    cross join as_of_dates
),

stated as (
    select
        line_dates.national_line_code,
        line_dates.as_of_date,

        case
            when bool_or(
                rates_with_dates.measure_kind = 'mfn_level' and rates_with_dates.rate_pp is null
            ) then null
            else sum(rates_with_dates.rate_pp_exact) filter (
                where rates_with_dates.is_mfn_component
            )
        end as mfn_rate_pct,
        coalesce(
            sum(rates_with_dates.rate_pp_exact) filter (
                where rates_with_dates.is_additional_component
            ),
            0
        ) as additional_rate_pct,
        list(rates_with_dates.measure_id order by rates_with_dates.effective_date, rates_with_dates.measure_sequence)
            filter (
                where rates_with_dates.measure_kind = 'mfn_level'
                or coalesce(rates_with_dates.rate_pp, 0) <> 0
            ) as measure_ids

    from line_dates
    left join rates_with_dates
        on
            line_dates.national_line_code = rates_with_dates.national_line_code
            and line_dates.as_of_date >= rates_with_dates.effective_date
    group by line_dates.national_line_code, line_dates.as_of_date
),

final as (
    select
        stated.national_line_code,
        stated.as_of_date,

        stated.mfn_rate_pct,
        stated.additional_rate_pct,
        stated.mfn_rate_pct + stated.additional_rate_pct as applied_rate_pct,
        stated.measure_ids,
        stated.additional_rate_pct > 0 as is_retaliation_in_force

    from stated
)

select * from final
