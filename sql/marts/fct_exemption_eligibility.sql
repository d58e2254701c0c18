/*  For every exemption scenario, every national tariff line of its base tariff state: the
    line's categories, whether it is taxed (additional retaliatory rate > 0 on the base date),
    whether the scenario exempts it, and the rule that decided (exclude wins over include), so
    an analyst can ask "why is 12019011 eligible?".
    grain: one row per scenario and national tariff line
    primary key: scenario_id, national_line_code */

with

scenarios as (
    select * from staging.stg_scenarios__scenarios
),

rules as (
    select * from staging.stg_scenarios__rules
),

windows as (
    select * from intermediate.int_tariff_line_windows
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

codes_categorized as (
    select * from intermediate.int_hs_codes_categorized
),

weights as (
    -- line values shown here use the default basis (China-reported 2017 HS8 imports, PIIE);
    -- fct_exemption_coverage has every basis
    select * from intermediate.int_tariff_lines_weighted
    where int_tariff_lines_weighted.weight_basis_id in (
        select dim_weight_bases.weight_basis_id
        from marts.dim_weight_bases
        where dim_weight_bases.is_default_basis
    )
),

line_values as (
    select
        weights.schedule_id,
        weights.national_line_code,
        any_value(weights.weight_year) as weight_year,
        sum(weights.trade_value_usd) filter (where weights.weighting_method = 'exact_hs8')
            as trade_value_exact_hs8_usd,
        sum(weights.trade_value_usd) filter (where weights.weighting_method = 'hs6')
            as trade_value_hs6_usd,
        sum(weights.trade_value_usd) filter (where weights.weighting_method = 'concordance')
            as trade_value_concordance_usd
    from weights
    group by weights.schedule_id, weights.national_line_code
),

base_lines as (
    select
        scenarios.scenario_id,
        scenarios.base_schedule_id,
        scenarios.base_date,
        windows.national_line_code,
        windows.mfn_rate_pct,
        windows.additional_rate_pct,
        windows.is_exclusion_in_force
    from scenarios
    inner join windows
        on
            scenarios.base_schedule_id = windows.schedule_id
            and scenarios.base_date >= windows.valid_from_date
            and (windows.valid_to_date is null or scenarios.base_date < windows.valid_to_date)
),

line_categories as (
    select
        base_lines.scenario_id,
        base_lines.national_line_code,
        string_agg(codes_categorized.category, ',' order by codes_categorized.category)
            as categories
    from base_lines
    inner join tariff_lines
        on
            base_lines.base_schedule_id = tariff_lines.schedule_id
            and base_lines.national_line_code = tariff_lines.national_line_code
    inner join codes_categorized
        on
            tariff_lines.hs_revision = codes_categorized.hs_revision
            and tariff_lines.national_line_code = codes_categorized.code
    group by base_lines.scenario_id, base_lines.national_line_code
),

rule_matches as (
    select
        base_lines.scenario_id,
        base_lines.national_line_code,
        rules.rule_type,
        rules.rule_label
    from base_lines
    inner join tariff_lines
        on
            base_lines.base_schedule_id = tariff_lines.schedule_id
            and base_lines.national_line_code = tariff_lines.national_line_code
    inner join rules
        on base_lines.scenario_id = rules.scenario_id
    left join codes_categorized
        on
            tariff_lines.hs_revision = codes_categorized.hs_revision
            and tariff_lines.national_line_code = codes_categorized.code
            and rules.rule_kind = 'category'
            and rules.rule_value = codes_categorized.category
    where
        codes_categorized.category is not null
        or (
            rules.rule_kind = 'hs_prefix'
            and starts_with(base_lines.national_line_code, rules.rule_value)
        )
),

matches_by_line as (
    select
        rule_matches.scenario_id,
        rule_matches.national_line_code,
        string_agg(rule_matches.rule_label, ',' order by rule_matches.rule_label) filter (
            where rule_matches.rule_type = 'include'
        ) as include_rules_matched,
        string_agg(rule_matches.rule_label, ',' order by rule_matches.rule_label) filter (
            where rule_matches.rule_type = 'exclude'
        ) as exclude_rules_matched
    from rule_matches
    group by rule_matches.scenario_id, rule_matches.national_line_code
),

decided as (
    select
        base_lines.scenario_id,
        base_lines.national_line_code,

        base_lines.base_schedule_id,
        base_lines.base_date,
        tariff_lines.hs_revision,
        tariff_lines.hs8_code,
        tariff_lines.hs6_code,
        tariff_lines.line_description,
        line_categories.categories,
        matches_by_line.include_rules_matched,
        matches_by_line.exclude_rules_matched,
        base_lines.additional_rate_pct > 0 as is_taxed,
        base_lines.additional_rate_pct > 0
        and matches_by_line.include_rules_matched is not null
        and matches_by_line.exclude_rules_matched is null as is_eligible,
        case
            when base_lines.additional_rate_pct <= 0 then 'not_taxed'
            when matches_by_line.exclude_rules_matched is not null
                then split_part(matches_by_line.exclude_rules_matched, ',', 1)
            when matches_by_line.include_rules_matched is not null
                then split_part(matches_by_line.include_rules_matched, ',', 1)
            else 'no_include_rule_matched'
        end as decided_by,
        base_lines.is_exclusion_in_force as has_exclusion_in_force_at_base,

        line_values.weight_year,

        cast(base_lines.mfn_rate_pct as double) as mfn_rate_pct,
        cast(base_lines.additional_rate_pct as double) as additional_rate_pct,
        cast(line_values.trade_value_exact_hs8_usd as double) as trade_value_exact_hs8_usd,
        cast(line_values.trade_value_hs6_usd as double) as trade_value_hs6_usd,
        cast(line_values.trade_value_concordance_usd as double) as trade_value_concordance_usd

    from base_lines
    inner join tariff_lines
        on
            base_lines.base_schedule_id = tariff_lines.schedule_id
            and base_lines.national_line_code = tariff_lines.national_line_code
    left join line_categories
        on
            base_lines.scenario_id = line_categories.scenario_id
            and base_lines.national_line_code = line_categories.national_line_code
    left join matches_by_line
        on
            base_lines.scenario_id = matches_by_line.scenario_id
            and base_lines.national_line_code = matches_by_line.national_line_code
    left join line_values
        on
            base_lines.base_schedule_id = line_values.schedule_id
            and base_lines.national_line_code = line_values.national_line_code
)

select * from decided
