"""The published contract: every mart, its grain and key, and each column's type, unit and
meaning. This is the one source of truth: `docs/data-dictionary.md` is generated from it and
`publish` refuses a run whose exported Parquet schema differs from it.

Money is DOUBLE in USD (computed exactly in DECIMAL, cast at the end); rates are DOUBLE in
percent; shares are DOUBLE in [0, 1]; dates are DATE; counts are BIGINT; no unsigned integers.
Change a column -> bump CONTRACT_VERSION (major for removals/renames/type changes).
"""

from __future__ import annotations

from dataclasses import dataclass

CONTRACT_VERSION = "5.0.0"

# What changed, newest first (rendered at the top of docs/data-dictionary.md).
CONTRACT_CHANGES: tuple[tuple[str, str], ...] = (
    (
        "5.0.0",
        "One weight-basis vocabulary, joinable to `dim_weight_bases`: "
        "`fct_retaliation_coverage.weight_basis` (the constant 'china_imports_from_usa_hs8') "
        "is now `weight_basis_id` (e.g. 'piie_itc_trade_map.chn_imports.2017.hs2017.hs8'); "
        "`fct_average_tariff.weight_basis` ('china_imports_from_usa_2017' or "
        "'simple_average_hs8') is split into `average_method` ('trade_weighted' or 'simple'; "
        "the key is now `as_of_date, average_method`) and `weight_basis_id` (the basis of the "
        "trade-weighted rows, null for the simple average). The never-null columns of each "
        "mart are declared in the contract (the mart gates check them; this dictionary's "
        "`nullable` column). No number changed.",
    ),
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    unit: str
    meaning: str


@dataclass(frozen=True)
class MartSpec:
    name: str
    grain: str
    key: tuple[str, ...]
    description: str
    columns: tuple[Column, ...]
    partition_by: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()  # besides the key, whose columns are never null either

    @property
    def never_null(self) -> tuple[str, ...]:
        """Columns the mart gate requires to be non-null: the key's, then `not_null`."""
        return self.key + tuple(c for c in self.not_null if c not in self.key)


def _c(name: str, type_: str, unit: str, meaning: str) -> Column:
    return Column(name, type_, unit, meaning)


TXT, BOOL, DATE, DBL, INT, BIG = "VARCHAR", "BOOLEAN", "DATE", "DOUBLE", "INTEGER", "BIGINT"
HS_REVISION = _c("hs_revision", TXT, "", "HS edition the code belongs to: HS2017 or HS2022")
HS8 = _c("hs8_code", TXT, "", "8-digit code as text, leading zeros kept")
HS6 = _c("hs6_code", TXT, "", "6-digit HS subheading as text")
SCHEDULE = _c(
    "schedule_id",
    TXT,
    "",
    "tariff schedule: piie_2019_06 (China's 2018 HS10 lines with every recorded action "
    "from 2018-01-01 folded on them) or ita_matrix_2025 (CN8 lines: the ITA state on "
    "2025-03-28 and the actions after it)",
)
LINE = _c(
    "national_line_code",
    TXT,
    "",
    "China's national tariff line: HS10 (PIIE; A/B suffix "
    "= value-split line) or CN 8-digit (2025 matrix)",
)
DESCRIPTION = _c("line_description", TXT, "", "description of the tariff line (English)")
SCENARIO = _c("scenario_id", TXT, "", "exemption scenario id (scenarios/<file>.yaml)")
WEIGHT_YEAR = _c("weight_year", INT, "year", "year of the trade values used as weights")
PRODUCT_SCOPE = _c(
    "product_scope",
    TXT,
    "",
    "all_products, or phase_one_products (the source covers only the Phase One list)",
)
WEIGHT_BASIS = _c(
    "weight_basis_id",
    TXT,
    "",
    "weight basis (dim_weight_bases): <source>.<reporter>_<flow>s.<year>.<revision>.hs<level>",
)

MARTS: dict[str, MartSpec] = {
    spec.name: spec
    for spec in [
        MartSpec(
            "dim_product_categories",
            "one row per HS revision and HS8 code",
            ("hs_revision", "hs8_code"),
            "Every HS8 code known to the pipeline with its categories, PIIE sector and place "
            "in the nomenclature.",
            (
                HS_REVISION,
                HS8,
                HS6,
                _c("hs4_code", TXT, "", "4-digit HS heading"),
                _c("hs2_code", TXT, "", "2-digit HS chapter"),
                _c(
                    "categories",
                    TXT,
                    "",
                    "comma-separated product categories "
                    "(data/reference/product_categories.csv); NULL = none",
                ),
                _c("subcategories", TXT, "", "subcategory of each category, same order"),
                _c(
                    "is_strategic_exclusion",
                    BOOL,
                    "",
                    "in semiconductors, renewable_energy "
                    "or electric_vehicles (kept taxed in the story)",
                ),
                _c("sector", TXT, "", "PIIE sector (HS2017 codes only; full Figure 2 names)"),
                _c("hs6_description", TXT, "", "subheading description"),
                _c("hs4_description", TXT, "", "heading description"),
                _c("hs2_description", TXT, "", "chapter description"),
                _c("hs_section", TXT, "", "HS section (Roman numeral)"),
                _c("hs_section_name", TXT, "", "HS section name"),
                _c("is_in_tariff_schedule", BOOL, "", "code has a national tariff line"),
                _c("has_trade_record", BOOL, "", "code has a trade-flow record"),
                _c(
                    "is_hs6_in_nomenclature",
                    BOOL,
                    "",
                    "its HS6 exists in the nomenclature of its revision",
                ),
            ),
            not_null=("hs6_code", "is_strategic_exclusion"),
        ),
        MartSpec(
            "fct_tariff_timeline",
            "one row per schedule, national tariff line and validity window",
            ("schedule_id", "national_line_code", "valid_from_date"),
            "China's tariff on US goods per national line as validity windows.",
            (
                SCHEDULE,
                LINE,
                _c("valid_from_date", DATE, "date", "first day the window is in force"),
                _c(
                    "valid_to_date",
                    DATE,
                    "date",
                    "first day it is no longer in force (exclusive); NULL = still in force",
                ),
                _c("reporter_iso3", TXT, "", "country applying the tariff (CHN)"),
                _c("partner_iso3", TXT, "", "country whose goods are taxed (USA)"),
                HS_REVISION,
                HS8,
                HS6,
                DESCRIPTION,
                _c(
                    "action_ids",
                    TXT,
                    "",
                    "comma-separated tariff actions (dim_tariff_actions) whose rates are in "
                    "force in the window, in effective order",
                ),
                _c(
                    "is_ad_valorem",
                    BOOL,
                    "",
                    "false = specific/compound MFN duty with no ad "
                    "valorem rate (MFN and applied rates NULL)",
                ),
                _c("is_retaliation_in_force", BOOL, "", "additional_rate_pct > 0"),
                _c(
                    "is_exclusion_in_force",
                    BOOL,
                    "",
                    "an exclusion list lifts the line's s.301 retaliation in this window",
                ),
                _c("exclusion_announcement_ids", TXT, "", "the exclusion announcements in force"),
                _c(
                    "is_exclusion_list_complete",
                    BOOL,
                    "",
                    "false = the list in force is known only in part (fewer items than it states)",
                ),
                _c(
                    "incomplete_action_ids",
                    TXT,
                    "",
                    "recorded actions in effect before the window ends whose lines the bundled "
                    "data does not hold (MFN changes after 2019, Feb 2025 duties); NULL = none",
                ),
                _c(
                    "is_rate_complete",
                    BOOL,
                    "",
                    "false = an incomplete action may change this line's rate in the window",
                ),
                _c(
                    "mfn_rate_pct",
                    DBL,
                    "percent",
                    "MFN rate (PIIE schedule, 2019 rates carried forward; NULL for the 2025 "
                    "matrix and for specific duties)",
                ),
                _c(
                    "additional_rate_pct", DBL, "percent", "additional retaliatory duty on US goods"
                ),
                _c("applied_rate_pct", DBL, "percent", "mfn_rate_pct + additional_rate_pct"),
            ),
            partition_by=("schedule_id",),
            not_null=("additional_rate_pct", "hs8_code"),
        ),
        MartSpec(
            "fct_retaliation_coverage",
            "one row per as-of date and PIIE sector",
            ("as_of_date", "sector"),
            "China's 2017 imports from the US covered by retaliation on each measure date "
            "(PIIE Figure 2).",
            (
                _c("as_of_date", DATE, "date", "date the tariff state is taken"),
                _c(
                    "sector",
                    TXT,
                    "",
                    "PIIE sector ('Not in PIIE sector list' for lines without one)",
                ),
                WEIGHT_YEAR,
                WEIGHT_BASIS,
                _c("lines_covered", BIG, "count", "national lines with retaliation in force"),
                _c("lines_total", BIG, "count", "national lines of the sector"),
                _c(
                    "has_incomplete_exclusion_list",
                    BOOL,
                    "",
                    "the figure rests on an exclusion list known only in part",
                ),
                _c(
                    "has_incomplete_action",
                    BOOL,
                    "",
                    "a recorded action with lines the bundled data does not hold took effect "
                    "on or before this date",
                ),
                _c(
                    "covered_value_usd",
                    DBL,
                    "USD",
                    "trade in HS8s with retaliation in force, and while a duty on all US goods "
                    "is in force also trade in codes that match no line",
                ),
                _c("not_covered_value_usd", DBL, "USD", "the rest of the sector's trade"),
                _c("total_value_usd", DBL, "USD", "covered + not covered"),
                _c(
                    "unmatched_value_usd",
                    DBL,
                    "USD",
                    "trade in HS8s absent from the schedule",
                ),
                _c(
                    "covered_by_blanket_only_value_usd",
                    DBL,
                    "USD",
                    "part of covered_value_usd that is unmatched trade covered only by a duty "
                    "on all US goods",
                ),
                _c("coverage_share", DBL, "share 0-1", "covered / total"),
            ),
            not_null=("covered_value_usd", "total_value_usd", "weight_year", "weight_basis_id"),
        ),
        MartSpec(
            "fct_average_tariff",
            "one row per as-of date and averaging method",
            ("as_of_date", "average_method"),
            "China's average tariff on US goods on each measure date (PIIE Figure 1).",
            (
                _c("as_of_date", DATE, "date", "date the tariff state is taken"),
                _c(
                    "average_method",
                    TXT,
                    "",
                    "trade_weighted (by the trade values of weight_basis_id) or simple "
                    "(unweighted mean over the HS8s of the schedule)",
                ),
                _c(
                    "weight_basis_id",
                    TXT,
                    "",
                    "weight basis (dim_weight_bases) of a trade-weighted row; null for simple",
                ),
                _c("avg_applied_rate_pct", DBL, "percent", "average applied rate"),
                _c("avg_additional_rate_pct", DBL, "percent", "average additional rate"),
                _c("avg_mfn_rate_pct", DBL, "percent", "average MFN rate"),
                _c("hs8_codes_weighted", BIG, "count", "HS8 codes in the average"),
                _c("has_incomplete_exclusion_list", BOOL, "", "rests on a partial list"),
                _c(
                    "has_incomplete_action",
                    BOOL,
                    "",
                    "a recorded action with lines the bundled data does not hold took effect "
                    "on or before this date (left out of the average)",
                ),
                _c("weighted_value_usd", DBL, "USD", "trade value in the weights"),
                _c(
                    "excluded_value_usd",
                    DBL,
                    "USD",
                    "trade left out (no line or no ad valorem rate)",
                ),
            ),
            not_null=("avg_applied_rate_pct",),
        ),
        MartSpec(
            "fct_exemption_eligibility",
            "one row per scenario and national tariff line of its base state",
            ("scenario_id", "national_line_code"),
            "Whether each line is taxed and exempted by a scenario, and the rule that decided.",
            (
                SCENARIO,
                LINE,
                _c("base_schedule_id", TXT, "", "schedule of the base tariff state"),
                _c("base_date", DATE, "date", "date of the base tariff state"),
                HS_REVISION,
                HS8,
                HS6,
                DESCRIPTION,
                _c("categories", TXT, "", "comma-separated product categories of the line"),
                _c("include_rules_matched", TXT, "", "include rules the line matches"),
                _c("exclude_rules_matched", TXT, "", "exclude rules the line matches"),
                _c("is_taxed", BOOL, "", "additional rate > 0 on the base date"),
                _c(
                    "is_eligible",
                    BOOL,
                    "",
                    "taxed, an include rule matches, no exclude rule matches",
                ),
                _c(
                    "decided_by",
                    TXT,
                    "",
                    "the deciding rule (exclude wins), not_taxed or no_include_rule_matched",
                ),
                _c(
                    "has_exclusion_in_force_at_base",
                    BOOL,
                    "",
                    "an exclusion list covers the line on the base date",
                ),
                WEIGHT_YEAR,
                _c("mfn_rate_pct", DBL, "percent", "MFN rate on the base date"),
                _c("additional_rate_pct", DBL, "percent", "additional rate on the base date"),
                _c(
                    "trade_value_exact_hs8_usd",
                    DBL,
                    "USD",
                    "line's trade, exact_hs8 method, default basis (China-reported 2017 HS8)",
                ),
                _c("trade_value_hs6_usd", DBL, "USD", "line's trade, hs6 method, default basis"),
                _c(
                    "trade_value_concordance_usd",
                    DBL,
                    "USD",
                    "line's trade, concordance method, default basis",
                ),
            ),
            partition_by=("scenario_id",),
            not_null=("is_taxed", "is_eligible", "decided_by"),
        ),
        MartSpec(
            "fct_exemption_coverage",
            "one row per scenario, weight basis, weighting method, category and window length",
            ("scenario_id", "weight_basis_id", "weighting_method", "category", "window_months"),
            "How much of the taxed trade a scenario reaches, per weight basis, method, category "
            "and window.",
            (
                SCENARIO,
                WEIGHT_BASIS,
                _c(
                    "weighting_method",
                    TXT,
                    "",
                    "band methods: hs8_recoded (China HS8 bases), by_2017_hs8_shares (HS6/HS4 "
                    "bases); diagnostics: exact_hs8, hs6, concordance, hs4",
                ),
                _c("category", TXT, "", "product category, or 'all' (whole taxed base)"),
                _c("window_months", INT, "months", "length of the exemption window"),
                _c("window_start_date", DATE, "date", "first day of the window"),
                _c("window_end_date", DATE, "date", "end of the window (exclusive)"),
                WEIGHT_YEAR,
                _c(
                    "is_band_method",
                    BOOL,
                    "",
                    "the method defines fct_exemption_band; false = a diagnostic",
                ),
                _c("lines_taxed", BIG, "count", "taxed lines"),
                _c("lines_covered", BIG, "count", "taxed lines the scenario exempts"),
                _c(
                    "lines_taxed_unmatched",
                    BIG,
                    "count",
                    "taxed lines with no trade match under this method",
                ),
                _c("taxed_value_usd", DBL, "USD", "trade of taxed lines"),
                _c("covered_value_usd", DBL, "USD", "trade of exempted lines"),
                _c("coverage_share", DBL, "share 0-1", "covered / taxed"),
                _c(
                    "avg_additional_rate_before_pct",
                    DBL,
                    "percent",
                    "trade-weighted additional rate on the taxed base before the exemption",
                ),
                _c(
                    "avg_additional_rate_after_pct",
                    DBL,
                    "percent",
                    "the same with exempted lines at 0",
                ),
                _c(
                    "duty_relief_usd",
                    DBL,
                    "USD",
                    "value x rate / 100 x the share of a year's trade in the window's months "
                    "(seasonal profile of US exports by HS6; months / 12 without one)",
                ),
                _c(
                    "duty_relief_flat_usd",
                    DBL,
                    "USD",
                    "value x rate / 100 x window_months / 12 (no seasonality)",
                ),
                _c(
                    "seasonal_value_share",
                    DBL,
                    "share 0-1",
                    "share of the relief base (value x rate) whose product had a seasonal profile",
                ),
                _c(
                    "unmatched_taxed_value_usd",
                    DBL,
                    "USD",
                    "taxed lines without a match, "
                    "valued by the first other method of the same basis that matches them",
                ),
            ),
            not_null=(
                "taxed_value_usd",
                "covered_value_usd",
                "lines_taxed",
                "lines_covered",
                "duty_relief_usd",
                "weight_year",
            ),
        ),
        MartSpec(
            "fct_exemption_band",
            "one row per scenario and product scope of the weight bases",
            ("scenario_id", "product_scope"),
            "The range of coverage shares across weight bases and weighting methods, beside the "
            "claimed share.",
            (
                SCENARIO,
                PRODUCT_SCOPE,
                _c("scenario_description", TXT, "", "what the scenario exempts"),
                _c("base_schedule_id", TXT, "", "schedule of the base tariff state"),
                _c("base_date", DATE, "date", "date of the base tariff state"),
                _c("low_weight_basis_id", TXT, "", "weight basis giving the lowest share"),
                _c("low_method", TXT, "", "method giving the lowest share"),
                _c("high_weight_basis_id", TXT, "", "weight basis giving the highest share"),
                _c("high_method", TXT, "", "method giving the highest share"),
                _c("estimates", BIG, "count", "estimates (basis x method) in the band"),
                _c("weight_bases", BIG, "count", "weight bases in the band"),
                _c("claimed_share_low", DBL, "share 0-1", "lower end of the claimed share"),
                _c("claimed_share_high", DBL, "share 0-1", "upper end of the claimed share"),
                _c(
                    "is_band_overlapping_claim", BOOL, "", "band and claim overlap; NULL = no claim"
                ),
                _c("coverage_share_low", DBL, "share 0-1", "lowest coverage share"),
                _c("coverage_share_high", DBL, "share 0-1", "highest coverage share"),
                _c("covered_value_low_usd", DBL, "USD", "lowest covered value"),
                _c("covered_value_high_usd", DBL, "USD", "highest covered value"),
                _c("taxed_value_low_usd", DBL, "USD", "lowest taxed base"),
                _c("taxed_value_high_usd", DBL, "USD", "highest taxed base"),
            ),
            not_null=(
                "coverage_share_low",
                "coverage_share_high",
                "low_method",
                "high_method",
                "low_weight_basis_id",
                "high_weight_basis_id",
            ),
        ),
        MartSpec(
            "dim_weight_bases",
            "one row per weight basis",
            ("weight_basis_id",),
            "The trade-flow bases coverage can be weighted by: source, reporter side, year, HS "
            "level.",
            (
                WEIGHT_BASIS,
                _c(
                    "weight_source",
                    TXT,
                    "",
                    "piie_itc_trade_map, un_comtrade, census_phase_one_products, us_census or "
                    "china_customs",
                ),
                _c("reporter_side", TXT, "", "china_reported or us_reported"),
                _c("reporter_iso3", TXT, "", "reporting country (CHN or USA)"),
                _c("partner_iso3", TXT, "", "partner country (USA or CHN)"),
                _c("flow_direction", TXT, "", "import (China-reported) or export (US-reported)"),
                WEIGHT_YEAR,
                _c("hs_level", INT, "digits", "HS level of the basis's codes: 4, 6, 8 or 10"),
                _c("hs_revision", TXT, "", "HS edition(s) of the basis's codes"),
                _c("valuation", TXT, "", "CIF (imports) or FOB (exports)"),
                _c("frequency", TXT, "", "annual or monthly rows summed"),
                _c("months_covered", BIG, "months", "months of the year present (12 = full)"),
                _c("is_complete_year", BOOL, "", "all 12 months present"),
                PRODUCT_SCOPE,
                _c(
                    "is_default_basis",
                    BOOL,
                    "",
                    "the basis of the line values in fct_exemption_eligibility (PIIE 2017 HS8)",
                ),
                _c("weight_basis_label", TXT, "", "human-readable description of the basis"),
                _c("hs_codes", BIG, "count", "distinct HS codes with trade"),
                _c("trade_value_usd", DBL, "USD", "total trade of the basis"),
            ),
            not_null=("weight_year", "hs_level", "trade_value_usd"),
        ),
        MartSpec(
            "dim_tariff_actions",
            "one row per tariff action",
            ("action_id",),
            "Every recorded change of China's duties on US goods since 2018 "
            "(data/reference/tariff_actions) with its scope, operation and evidence.",
            (
                _c("action_id", TXT, "", "action id: CHN-<effective yyyymmdd>-<what>"),
                _c("action_title", TXT, "", "what the action did"),
                _c("announcement", TXT, "", "the announcement, where the bundled data names it"),
                _c("announced_date", DATE, "date", "date announced, where known"),
                _c("effective_date", DATE, "date", "first day in force"),
                _c("end_date", DATE, "date", "first day no longer in force; NULL = open"),
                _c("ended_by_action_id", TXT, "", "the later action that ended it"),
                _c("is_in_force", BOOL, "", "false = announced but never took effect"),
                _c(
                    "action_kind",
                    TXT,
                    "",
                    "mfn_level, mfn_change, retaliation, retaliation_change, "
                    "retaliation_state, suspension, exclusion",
                ),
                _c("retaliation_basis", TXT, "", "US measure answered: s232, s301, ieepa"),
                _c("operation", TXT, "", "add, set, scale, suspend or exclude"),
                _c(
                    "scope_kind",
                    TXT,
                    "",
                    "dataset_measure, exclusion_list, line_list, derived, action_lines, "
                    "all_us_goods or unknown_lines",
                ),
                _c(
                    "scope_reference",
                    TXT,
                    "",
                    "the measure, list ids, derivation method or earlier action of the scope",
                ),
                _c(
                    "evidence",
                    TXT,
                    "",
                    "official_list, published_dataset, derived (method_note) or blanket",
                ),
                _c(
                    "is_complete",
                    BOOL,
                    "",
                    "false = its line list is not (fully) in the bundled data",
                ),
                _c("folded_on_schedules", TXT, "", "schedules whose timeline takes it"),
                _c("lines_in_scope", BIG, "count", "2018 national lines (piie_2019_06) it changes"),
                _c(
                    "lines_in_scope_2025_matrix",
                    BIG,
                    "count",
                    "CN8 lines of the 2025 matrix it changes",
                ),
                _c("listed_codes", BIG, "count", "codes in its explicit line list(s)"),
                _c(
                    "listed_codes_unmatched_2018",
                    BIG,
                    "count",
                    "listed codes matching no 2018 line, exactly or by subheading",
                ),
                _c("method_note", TXT, "", "how derived lines were reconstructed"),
                _c("completeness_note", TXT, "", "what the bundled data cannot say"),
                _c("evidence_source", TXT, "", "where the dates and lines come from"),
                _c("source_file", TXT, "", "the reviewed record's file"),
                _c("rate_pp", DBL, "percentage points", "rate of a blanket action"),
                _c("scale_factor", DBL, "factor", "factor of a scale action"),
                _c("suspended_points", DBL, "percentage points", "points a suspension lifts"),
            ),
            not_null=(
                "effective_date",
                "operation",
                "scope_kind",
                "evidence",
                "is_complete",
                "is_in_force",
                "lines_in_scope",
            ),
        ),
        MartSpec(
            "fct_tariff_action_lines",
            "one row per schedule, tariff action and national tariff line",
            ("schedule_id", "action_id", "national_line_code"),
            "The national lines each tariff action changes, by how much, and how they were found.",
            (
                SCHEDULE,
                _c("action_id", TXT, "", "tariff action (dim_tariff_actions)"),
                LINE,
                _c("effective_date", DATE, "date", "the action's first day in force"),
                _c(
                    "match_step",
                    TXT,
                    "",
                    "published_dataset, exclusion_list, exact, subheading, all_us_goods, "
                    "action_lines, or sep2019_<support> for the reconstructed 2019 round",
                ),
                _c("is_folded", BOOL, "", "the line's timeline takes this change"),
                _c("listed_code", TXT, "", "the listed code that matched the line"),
                HS8,
                DESCRIPTION,
                _c(
                    "rate_change_pp",
                    DBL,
                    "percentage points",
                    "change of the additional rate (NULL for exclusions: they lift the s.301 "
                    "part; 0 = evidence considered, not applied)",
                ),
                _c(
                    "hs6_list_rise_pp",
                    DBL,
                    "percentage points",
                    "2019 round: rise of the HS6's rate in PIIE's December 2019 list",
                ),
                _c(
                    "matrix_residual_pp",
                    DBL,
                    "percentage points",
                    "2019 round: twice the 2025 ITA rate less the June 2019 state and the "
                    "March 2025 annex duties",
                ),
            ),
            partition_by=("schedule_id",),
            not_null=("match_step",),
        ),
        MartSpec(
            "fct_weight_value_mapping",
            "one row per schedule, weight basis and basis code",
            ("schedule_id", "weight_basis_id", "hs_code"),
            "Where each code's trade value of a weight basis goes on a schedule under the band "
            "methods: exact, re-coded, kept out as untaxed, shared, or unmatched.",
            (
                SCHEDULE,
                WEIGHT_BASIS,
                _c("hs_code", TXT, "", "the basis's code (HS8 for China HS8 bases, else HS6/HS4)"),
                _c("hs_level", INT, "digits", "level of the basis code"),
                _c(
                    "mapping_step",
                    TXT,
                    "",
                    "exact, recoded_spread, recoded_spread_partly, kept_out_untaxed, "
                    "shared_by_2017_hs8, equal_split or unmatched",
                ),
                _c("is_value_on_lines", BOOL, "", "the value (or part of it) reaches lines"),
                _c("trade_value_usd", DBL, "USD", "the code's trade value in the basis"),
                _c(
                    "value_on_lines_usd",
                    DBL,
                    "USD",
                    "the part of the code's value that reaches the schedule's lines",
                ),
                _c(
                    "basis_value_on_lines_usd",
                    DBL,
                    "USD",
                    "the basis's total value on the schedule's lines under its band method",
                ),
            ),
            partition_by=("schedule_id",),
            not_null=("mapping_step",),
        ),
    ]
}


def data_dictionary_markdown() -> str:
    """`docs/data-dictionary.md`, generated from MARTS."""
    out = [
        "# Data dictionary",
        "",
        f"Contract version **{CONTRACT_VERSION}**. Generated from `etl/contract.py` by "
        "`tariff-etl docs`; do not edit by hand (a test fails when they differ).",
        "",
        "Marts are published as Parquet under `<warehouse>/current/marts/<mart>/` and as views "
        "in `<warehouse>/tariffs.duckdb`. Money is DOUBLE in USD, rates DOUBLE in percent, "
        "shares DOUBLE in [0, 1], dates DATE, counts BIGINT. `nullable: no` columns (the key "
        "and the columns the contract declares never null) are checked by the mart gate.",
        "",
        "## What changed",
        "",
        *(f"- **{version}**: {change}" for version, change in CONTRACT_CHANGES),
        "",
    ]
    for spec in MARTS.values():
        layout = (
            f"Hive-partitioned by `{', '.join(spec.partition_by)}`"
            if spec.partition_by
            else "one file"
        )
        out += [
            f"## `{spec.name}`",
            "",
            spec.description,
            "",
            f"- grain: {spec.grain}",
            f"- key: `{', '.join(spec.key)}`",
            f"- files: {layout}",
            "",
            "| column | type | nullable | unit | meaning |",
            "|---|---|---|---|---|",
        ]
        out += [
            f"| `{c.name}` | {c.type} | {'no' if c.name in spec.never_null else 'yes'} | "
            f"{c.unit} | {c.meaning} |"
            for c in spec.columns
        ]
        out.append("")
    return "\n".join(out)
