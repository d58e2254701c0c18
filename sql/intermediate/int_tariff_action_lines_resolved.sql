/*  The lines and rate changes (percentage points) of every tariff action that is folded by
    action rather than read from a published dataset's column, on each schedule it applies to.
    Which schedules: an action is folded on a schedule when it takes effect after the
    schedule's first state (piie_2019_06 starts 2018-01-01, so every later action; the ITA
    matrix is the state on 2025-03-28, which already holds every earlier action). Actions never
    in force, and actions whose lines are unknown, fold nothing.
    How lines are found (match_step):
    exact            a listed 8-digit code equals the line's HS8;
    subheading       a listed code that is no line of the schedule (re-coded) applies to the
                     schedule's lines of its HS6 that no listed code matches exactly;
    all_us_goods     every line of the schedule (a blanket duty);
    action_lines     the lines of an earlier action (scale: rate x (factor - 1); suspend: minus
                     the suspended points, or minus the action's whole rate);
    sep2019_*        the 1 September 2019 round, reconstructed (the action's method_note):
                     matrix_and_hs6_list  the ITA 2025 rate less the June 2019 state and the
                                          March 2025 annex duties, doubled (the round was
                                          halved), is 5 or 10, and the HS6 list rose;
                     hs6_list_only        no ITA line for the code (re-coded): the HS6 rise;
                     hs6_list_matrix_unclear  the ITA residual is no 5/10 (other duties in
                                          it): the HS6 rise;
                     matrix_only          residual 5/10 but the HS6 list did not rise: not
                                          applied (rate 0; may be the unlisted Feb 2025 duties);
                     hs6_list_matrix_none  the HS6 rose but the residual is 0: not applied.
    grain: one row per schedule, action and national tariff line
    primary key: schedule_id, action_id, national_line_code */

with

actions as (
    select * from staging.stg_tariffs__actions
),

lists as (
    select * from staging.stg_tariffs__action_line_lists
),

tariff_lines as (
    select * from staging.stg_tariffs__schedule_lines
),

line_rates as (
    select * from staging.stg_tariffs__line_rates
),

measures as (
    select * from staging.stg_tariffs__measures
),

schedule_starts as (
    select
        measures.schedule_id,
        min(measures.effective_date) as first_state_date
    from measures
    group by measures.schedule_id
),

folded_actions as (
    select
        schedule_starts.schedule_id,
        actions.*
    from actions
    inner join schedule_starts
        on actions.effective_date > schedule_starts.first_state_date
    where
        actions.is_in_force
        and actions.scope_kind in ('line_list', 'derived', 'all_us_goods', 'action_lines')
),

-- line lists ------------------------------------------------------------------------------
listed_codes as (
    select
        actions.action_id,
        lists.code,
        lists.hs6_code,
        max(lists.rate_pct) as rate_pp
    from actions
    inner join lists
        on list_contains(actions.scope_list_ids, lists.list_id)
    where actions.scope_kind = 'line_list' and lists.code_level = 8
    group by actions.action_id, lists.code, lists.hs6_code
),

schedules_of_list_actions as (
    select distinct
        tariff_lines.schedule_id,
        listed_codes.action_id
    from listed_codes
    cross join (select distinct tariff_lines.schedule_id from tariff_lines) as tariff_lines
),

list_exact as (
    select
        tariff_lines.schedule_id,
        listed_codes.action_id,
        tariff_lines.national_line_code,
        'exact' as match_step,
        listed_codes.rate_pp,
        listed_codes.code as listed_code,
        cast(null as decimal(12, 4)) as hs6_rise_pp,
        cast(null as decimal(12, 4)) as matrix_residual_pp
    from listed_codes
    inner join tariff_lines
        on listed_codes.code = tariff_lines.hs8_code
),

list_recoded as (
    -- listed codes that match no line of a schedule
    select
        schedules_of_list_actions.schedule_id,
        listed_codes.action_id,
        listed_codes.hs6_code,
        max(listed_codes.rate_pp) as rate_pp,
        list(listed_codes.code order by listed_codes.code) as listed_codes
    from listed_codes
    inner join schedules_of_list_actions
        on listed_codes.action_id = schedules_of_list_actions.action_id
    where
        not exists (
            select 1
            from tariff_lines
            where
                tariff_lines.schedule_id = schedules_of_list_actions.schedule_id
                and tariff_lines.hs8_code = listed_codes.code
        )
    group by schedules_of_list_actions.schedule_id, listed_codes.action_id, listed_codes.hs6_code
),

list_subheading as (
    select
        tariff_lines.schedule_id,
        list_recoded.action_id,
        tariff_lines.national_line_code,
        'subheading' as match_step,
        list_recoded.rate_pp,
        list_recoded.listed_codes[1] as listed_code,
        cast(null as decimal(12, 4)) as hs6_rise_pp,
        cast(null as decimal(12, 4)) as matrix_residual_pp
    from list_recoded
    inner join tariff_lines
        on
            list_recoded.schedule_id = tariff_lines.schedule_id
            and list_recoded.hs6_code = tariff_lines.hs6_code
    where not exists (
        select 1
        from list_exact
        where
            list_exact.schedule_id = tariff_lines.schedule_id
            and list_exact.action_id = list_recoded.action_id
            and list_exact.national_line_code = tariff_lines.national_line_code
    )
),

list_lines as (
    select * from list_exact
    union all
    select * from list_subheading
),

-- the 1 September 2019 round, reconstructed ----------------------------------------------
june_2019_state as (
    select
        line_rates.schedule_id,
        line_rates.national_line_code,
        sum(cast(line_rates.rate_pp as decimal(12, 4))) as additional_pct
    from line_rates
    inner join measures
        on line_rates.measure_id = measures.measure_id
    where
        measures.is_additional_component
        and measures.effective_date <= date '2019-06-01'
    group by line_rates.schedule_id, line_rates.national_line_code
),

matrix_2025 as (
    select
        line_rates.national_line_code as hs8_code,
        cast(line_rates.rate_pp as decimal(12, 4)) as matrix_pct
    from line_rates
    inner join measures
        on line_rates.measure_id = measures.measure_id
    where measures.schedule_id = 'ita_matrix_2025'
),

annex_in_matrix as (
    -- listed duties that took effect after the round and are part of the matrix's state
    select
        list_lines.national_line_code as hs8_code,
        sum(list_lines.rate_pp) as annex_pct
    from list_lines
    inner join actions
        on list_lines.action_id = actions.action_id
    where
        list_lines.schedule_id = 'ita_matrix_2025'
        and actions.effective_date > date '2019-09-01'
        and actions.effective_date <= date '2025-03-28'
    group by list_lines.national_line_code
),

hs6_list_rise as (
    select
        lists.code as hs6_code,
        max(lists.rate_pct) filter (where lists.as_of_date = date '2019-09-01')
        - max(lists.rate_pct) filter (where lists.as_of_date = date '2019-06-01') as rise_pp
    from lists
    where lists.list_id = 'tradewar_tracker_hs6_2019'
    group by lists.code
),

sep2019_evidence as (
    select
        tariff_lines.schedule_id,
        tariff_lines.national_line_code,
        hs6_list_rise.rise_pp as hs6_rise_pp,
        matrix_2025.matrix_pct is not null as is_in_matrix,
        2 * (
            matrix_2025.matrix_pct
            - coalesce(june_2019_state.additional_pct, 0)
            - coalesce(annex_in_matrix.annex_pct, 0)
        ) as matrix_residual_pp
    from tariff_lines
    left join june_2019_state
        on
            tariff_lines.schedule_id = june_2019_state.schedule_id
            and tariff_lines.national_line_code = june_2019_state.national_line_code
    left join matrix_2025
        on tariff_lines.hs8_code = matrix_2025.hs8_code
    left join annex_in_matrix
        on tariff_lines.hs8_code = annex_in_matrix.hs8_code
    left join hs6_list_rise
        on tariff_lines.hs6_code = hs6_list_rise.hs6_code
    where tariff_lines.schedule_id = 'piie_2019_06'
),

sep2019_classified as (
    select
        sep2019_evidence.*,
        coalesce(sep2019_evidence.hs6_rise_pp, 0) > 0 as hs6_list_rose,
        sep2019_evidence.matrix_residual_pp in (5, 10) as is_residual_a_round_rate,
        case
            when sep2019_evidence.is_in_matrix and sep2019_evidence.matrix_residual_pp in (5, 10)
                then
                    case
                        when coalesce(sep2019_evidence.hs6_rise_pp, 0) > 0
                            then 'sep2019_matrix_and_hs6_list'
                        else 'sep2019_matrix_only'
                    end
            when coalesce(sep2019_evidence.hs6_rise_pp, 0) <= 0 then null
            when not sep2019_evidence.is_in_matrix then 'sep2019_hs6_list_only'
            when sep2019_evidence.matrix_residual_pp = 0 then 'sep2019_hs6_list_matrix_none'
            else 'sep2019_hs6_list_matrix_unclear'
        end as match_step
    from sep2019_evidence
),

sep2019_lines as (
    select
        sep2019_classified.schedule_id,
        actions.action_id,
        sep2019_classified.national_line_code,
        sep2019_classified.match_step,
        case
            when sep2019_classified.match_step = 'sep2019_matrix_and_hs6_list'
                then sep2019_classified.matrix_residual_pp
            when
                sep2019_classified.match_step in (
                    'sep2019_hs6_list_only', 'sep2019_hs6_list_matrix_unclear'
                )
                and sep2019_classified.hs6_rise_pp in (5, 10)
                then sep2019_classified.hs6_rise_pp
            else 0
        end as rate_pp,
        cast(null as varchar) as listed_code,
        sep2019_classified.hs6_rise_pp,
        sep2019_classified.matrix_residual_pp
    from sep2019_classified
    inner join actions
        on actions.scope_method = 'sep2019_hs6_list_and_matrix_residual'
    where sep2019_classified.match_step is not null
),

-- blanket duties -------------------------------------------------------------------------
blanket_lines as (
    select
        folded_actions.schedule_id,
        folded_actions.action_id,
        tariff_lines.national_line_code,
        'all_us_goods' as match_step,
        folded_actions.rate_pp,
        cast(null as varchar) as listed_code,
        cast(null as decimal(12, 4)) as hs6_rise_pp,
        cast(null as decimal(12, 4)) as matrix_residual_pp
    from folded_actions
    inner join tariff_lines
        on folded_actions.schedule_id = tariff_lines.schedule_id
    where folded_actions.scope_kind = 'all_us_goods'
),

own_lines as (
    select * from list_lines
    union all
    select * from sep2019_lines
    union all
    select * from blanket_lines
),

-- actions on the lines of an earlier action (scale, suspend) ----------------------------
derived_from_action as (
    select
        own_lines.schedule_id,
        actions.action_id,
        own_lines.national_line_code,
        'action_lines' as match_step,
        case actions.operation
            when 'scale' then cast(own_lines.rate_pp * (actions.scale_factor - 1) as decimal(12, 4))
            when 'suspend' then -coalesce(actions.suspended_points, own_lines.rate_pp)
        end as rate_pp,
        cast(null as varchar) as listed_code,
        cast(null as decimal(12, 4)) as hs6_rise_pp,
        cast(null as decimal(12, 4)) as matrix_residual_pp
    from actions
    inner join own_lines
        on actions.scope_action_id = own_lines.action_id
    where actions.scope_kind = 'action_lines' and own_lines.rate_pp <> 0
),

all_lines as (
    select * from own_lines
    union all
    select * from derived_from_action
),

final as (
    select
        all_lines.schedule_id,
        all_lines.action_id,
        all_lines.national_line_code,

        all_lines.match_step,
        folded_actions.action_id is not null as is_folded,
        all_lines.listed_code,
        cast(all_lines.hs6_rise_pp as decimal(12, 4)) as hs6_rise_pp,
        cast(all_lines.matrix_residual_pp as decimal(12, 4)) as matrix_residual_pp,
        cast(all_lines.rate_pp as decimal(12, 4)) as rate_pp

    from all_lines
    left join folded_actions
        on
            all_lines.schedule_id = folded_actions.schedule_id
            and all_lines.action_id = folded_actions.action_id
)

select * from final
