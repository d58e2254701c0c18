/*  Include and exclude rules of each scenario (categories or HS prefixes; exclude wins).
    grain: one row per scenario and rule
    primary key: scenario_id, rule_type, rule_kind, rule_value */

with

rules as (
    select * from read_parquet(
        getvariable('raw_root') || '/exemption_scenario_rules/*.parquet'
    )
),

renamed as (
    select
        rules.scenario_id,
        rules.rule_type,
        rules.rule_kind,
        rules.rule_value,

        rules.rule_type || ':' || rules.rule_kind || ':' || rules.rule_value as rule_label

    from rules
)

select * from renamed
