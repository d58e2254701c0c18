/*  How much of the taxed trade an exemption scenario would reach, by weight basis
    (dim_weight_bases: source, reporter side, year, HS level), weighting method and product
    category (plus an 'all' row over the whole taxed base), for each window length.
    taxed = additional retaliatory rate > 0 on the scenario's base date; covered = taxed and
    eligible. Averages are trade-weighted additional rates over the taxed base, before and
    after the exemption (exempted lines at 0). Duty relief = value x rate x the share of a
    year's trade that falls in the window's calendar months: each product's average monthly
    share of US exports to China by HS6 (int_weight_flows_monthly_shares, US Census
    2013-2020; soybeans ship mostly from September to January), or months / 12 for a product
    without a monthly profile; duty_relief_flat_usd is the plain months / 12 figure and
    seasonal_value_share the share of covered value that had a profile. is_band_method marks
    the weighting methods that define fct_exemption_band (int_tariff_lines_weighted).
    unmatched_taxed_value_usd: taxed lines with no trade match under this method, valued by the
    first other method of the same basis that matches them (hs6, then concordance); 0 when
    none does.
    grain: one row per scenario, weight basis, weighting method, category and window length
    primary key: scenario_id, weight_basis_id, weighting_method, category, window_months */

with

eligibility as (
    select * from marts.fct_exemption_eligibility
),

weights as (
    select * from intermediate.int_tariff_lines_weighted
),

codes_categorized as (
    select * from intermediate.int_hs_codes_categorized
),

windows as (
    select * from staging.stg_scenarios__windows
),

seasonal_profiles as (
    select
        int_weight_flows_monthly_shares.hs_code as hs6_code,
        int_weight_flows_monthly_shares.calendar_month,
        cast(int_weight_flows_monthly_shares.avg_month_share as decimal(18, 12)) as month_share
    from intermediate.int_weight_flows_monthly_shares
    where
        int_weight_flows_monthly_shares.weight_source = 'us_census'
        and int_weight_flows_monthly_shares.reporter_iso3 = 'USA'
        and int_weight_flows_monthly_shares.hs_level = 6
),

profile_codes as (
    select distinct seasonal_profiles.hs6_code
    from seasonal_profiles
),

window_months_listed as (
    select
        windows.scenario_id,
        windows.window_months,
        month(windows.window_start_date + to_months(months_offset.i)) as calendar_month
    from windows
    cross join range(36) as months_offset (i)
    where months_offset.i < windows.window_months
),

category_names as (
    select distinct stg_reference__product_categories.category
    from staging.stg_reference__product_categories
    union all
    select 'all'
),

fallback_values as (
    select
        weights.schedule_id,
        weights.national_line_code,
        weights.weight_basis_id,
        coalesce(
            max(weights.trade_value_usd) filter (
                where weights.weighting_method = 'hs6' and weights.is_trade_matched
            ),
            max(weights.trade_value_usd) filter (
                where weights.weighting_method = 'concordance' and weights.is_trade_matched
            ),
            0
        ) as fallback_value_usd
    from weights
    group by weights.schedule_id, weights.national_line_code, weights.weight_basis_id
),

weighted_lines as (
    select
        eligibility.scenario_id,
        eligibility.national_line_code,
        eligibility.hs_revision,
        eligibility.is_taxed,
        eligibility.is_eligible,
        weights.weight_basis_id,
        weights.weighting_method,
        weights.weight_year,
        weights.is_trade_matched,
        weights.is_band_method,
        weights.trade_value_usd,
        cast(eligibility.additional_rate_pct as decimal(12, 4)) as additional_rate_pct,
        case
            when not weights.is_trade_matched then fallback_values.fallback_value_usd
            else 0
        end as unmatched_value_usd
    from eligibility
    inner join weights
        on
            eligibility.base_schedule_id = weights.schedule_id
            and eligibility.national_line_code = weights.national_line_code
    inner join fallback_values
        on
            weights.schedule_id = fallback_values.schedule_id
            and weights.national_line_code = fallback_values.national_line_code
            and weights.weight_basis_id = fallback_values.weight_basis_id
),

lines_in_categories as (
    select
        weighted_lines.*,
        codes_categorized.category
    from weighted_lines
    inner join codes_categorized
        on
            weighted_lines.hs_revision = codes_categorized.hs_revision
            and weighted_lines.national_line_code = codes_categorized.code
    union all
    select
        weighted_lines.*,
        'all' as category
    from weighted_lines
),

sums as (
    select
        lines_in_categories.scenario_id,
        lines_in_categories.weight_basis_id,
        lines_in_categories.weighting_method,
        lines_in_categories.category,
        any_value(lines_in_categories.weight_year) as weight_year,
        bool_and(lines_in_categories.is_band_method) as is_band_method,
        count(*) filter (where lines_in_categories.is_taxed) as lines_taxed,
        count(*) filter (where lines_in_categories.is_eligible) as lines_covered,
        count(*) filter (
            where lines_in_categories.is_taxed and not lines_in_categories.is_trade_matched
        ) as lines_taxed_unmatched,
        coalesce(sum(lines_in_categories.trade_value_usd) filter (
            where lines_in_categories.is_taxed
        ), 0) as taxed_value_usd,
        coalesce(sum(lines_in_categories.trade_value_usd) filter (
            where lines_in_categories.is_eligible
        ), 0) as covered_value_usd,
        coalesce(sum(
            lines_in_categories.trade_value_usd * lines_in_categories.additional_rate_pct
        ) filter (where lines_in_categories.is_taxed), 0) as taxed_rate_x_value,
        coalesce(sum(
            lines_in_categories.trade_value_usd * lines_in_categories.additional_rate_pct
        ) filter (where lines_in_categories.is_eligible), 0) as covered_rate_x_value,
        coalesce(sum(lines_in_categories.unmatched_value_usd) filter (
            where lines_in_categories.is_taxed
        ), 0) as unmatched_taxed_value_usd
    from lines_in_categories
    group by
        lines_in_categories.scenario_id,
        lines_in_categories.weight_basis_id,
        lines_in_categories.weighting_method,
        lines_in_categories.category
),

window_value_shares as (
    -- per eligible line and window: the share of a year's trade in the window's months
    select
        lines_in_categories.scenario_id,
        lines_in_categories.weight_basis_id,
        lines_in_categories.weighting_method,
        lines_in_categories.category,
        window_months_listed.window_months,
        lines_in_categories.national_line_code,
        any_value(lines_in_categories.trade_value_usd * lines_in_categories.additional_rate_pct)
            as rate_x_value,
        bool_or(profile_codes.hs6_code is not null) as has_profile,
        coalesce(sum(seasonal_profiles.month_share), 0) as profile_share,
        any_value(window_months_listed.window_months) / 12 as flat_share
    from lines_in_categories
    inner join window_months_listed
        on lines_in_categories.scenario_id = window_months_listed.scenario_id
    left join profile_codes
        on left(lines_in_categories.national_line_code, 6) = profile_codes.hs6_code
    left join seasonal_profiles
        on
            left(lines_in_categories.national_line_code, 6) = seasonal_profiles.hs6_code
            and window_months_listed.calendar_month = seasonal_profiles.calendar_month
    where lines_in_categories.is_eligible
    group by all
),

relief as (
    select
        window_value_shares.scenario_id,
        window_value_shares.weight_basis_id,
        window_value_shares.weighting_method,
        window_value_shares.category,
        window_value_shares.window_months,
        sum(
            window_value_shares.rate_x_value
            * case
                when window_value_shares.has_profile then window_value_shares.profile_share
                else cast(window_value_shares.flat_share as decimal(18, 12))
            end
        ) / 100 as duty_relief_usd,
        sum(window_value_shares.rate_x_value) filter (where window_value_shares.has_profile)
        / nullif(sum(window_value_shares.rate_x_value), 0) as seasonal_value_share
    from window_value_shares
    group by all
),

grid as (
    select
        sums.scenario_id,
        sums.weight_basis_id,
        sums.weighting_method,
        sums.weight_year,
        sums.is_band_method,
        category_names.category
    from sums
    cross join category_names
    where sums.category = 'all'
),

final as (
    select
        grid.scenario_id,
        grid.weight_basis_id,
        grid.weighting_method,
        grid.category,
        windows.window_months,

        windows.window_start_date,
        windows.window_end_date,
        grid.weight_year,
        grid.is_band_method,
        coalesce(sums.lines_taxed, 0) as lines_taxed,
        coalesce(sums.lines_covered, 0) as lines_covered,
        coalesce(sums.lines_taxed_unmatched, 0) as lines_taxed_unmatched,

        cast(coalesce(sums.taxed_value_usd, 0) as double) as taxed_value_usd,
        cast(coalesce(sums.covered_value_usd, 0) as double) as covered_value_usd,
        cast(sums.covered_value_usd / nullif(sums.taxed_value_usd, 0) as double)
            as coverage_share,
        cast(sums.taxed_rate_x_value / nullif(sums.taxed_value_usd, 0) as double)
            as avg_additional_rate_before_pct,
        cast(
            (sums.taxed_rate_x_value - sums.covered_rate_x_value)
            / nullif(sums.taxed_value_usd, 0) as double
        ) as avg_additional_rate_after_pct,
        cast(coalesce(relief.duty_relief_usd, 0) as double) as duty_relief_usd,
        cast(
            coalesce(sums.covered_rate_x_value, 0) / 100 * windows.window_months / 12 as double
        ) as duty_relief_flat_usd,
        cast(relief.seasonal_value_share as double) as seasonal_value_share,
        cast(coalesce(sums.unmatched_taxed_value_usd, 0) as double)
            as unmatched_taxed_value_usd

    from grid
    inner join windows
        on grid.scenario_id = windows.scenario_id
    left join sums
        on
            grid.scenario_id = sums.scenario_id
            and grid.weight_basis_id = sums.weight_basis_id
            and grid.weighting_method = sums.weighting_method
            and grid.category = sums.category
    left join relief
        on
            grid.scenario_id = relief.scenario_id
            and grid.weight_basis_id = relief.weight_basis_id
            and grid.weighting_method = relief.weighting_method
            and grid.category = relief.category
            and windows.window_months = relief.window_months
)

select * from final
