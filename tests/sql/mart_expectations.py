"""Every mart's rows on the fixture rows of `test_models_on_fixture_rows.py`, worked out by hand.

Each expected row is a dict holding EVERY column of its mart; values are the fixture's inputs
(restated below) put through the arithmetic the mart documents, written out here, never copied
from program output. `test_models_on_fixture_rows.test_mart_rows_equal_hand_worked_rows`
compares whole rows, and `test_mart_columns.py` fails when a contract column is asserted by no
expected row.

The fixture, restated (the row test checks these constants against the fixture's own):
- schedule piie_2019_06 (HS2017), four lines: 1201901000 (MFN 3, +25 on 2018-07-06),
  8703231911 (MFN 25, +25, suspended -25 on 2019-01-01), 8703231990 (MFN 15, same duties),
  3702520000 (no ad valorem MFN rate, never taxed);
- exclusion list A1 lifts HS8 12019010's s.301 duty in March 2019; A2 extends it through April
  but states 2 items and only A1's one is known (incomplete);
- China's 2017 imports (PIIE, HS8): 12019010 100, 87032319 50, 37025200 10, 99999999 40 (no
  line); sectors: Soybeans, Autos and parts, All other goods (99999999: none);
- Comtrade 2017 HS6 120190 = 80 (HS2017 and, separately, HS2012); Census Phase One HS4 2018:
  1201 30 in January + 30 in February, 8703 60 in January;
- scenario fixture_soy on 2018-09-01: include category soybeans (prefix 1201), exclude prefix
  8703; windows of 6 and 12 months from 2019-01-01; claimed share 3-5%.
The second fixture (`built_with_actions`) adds the tariff-action records of
`action_records()`, the annexes and HS6 list, and the ITA 2025 schedule (lines 12019011 at
37.5 and 87032319 at 15 on 2025-03-28).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SCHEDULE, ITA = "piie_2019_06", "ita_matrix_2025"
SOY, AUTO1, AUTO2, FILM = "1201901000", "8703231911", "8703231990", "3702520000"
MFN, RET = "CHN-20180101-mfn_level", "CHN-20180706-retaliation"
SUSP = "CHN-20190101-suspension"
EXCL1, EXCL2 = "CHN-20190301-exclusion-01", "CHN-20190401-exclusion-02"
SEP, HALF = "CHN-20190901-retaliation", "CHN-20200214-halving"
NEVER, UNKNOWN = "CHN-20191215-retaliation", "CHN-20250210-retaliation"
FARM, ITA_STATE = "CHN-20250310-farm", "CHN-20250328-retaliation_state"
BLANKET, REDUCTION = "CHN-20250410-blanket_10", "CHN-20250514-reduction"
FARM_OFF = "CHN-20251110-farm_suspended"

PIIE_BASIS = "piie_itc_trade_map.chn_imports.2017.hs2017.hs8"
CN_HS6_BASIS = "un_comtrade.chn_imports.2017.hs2017.hs6"
CN_HS6_2012_BASIS = "un_comtrade.chn_imports.2017.hs2012.hs6"
US_HS4_BASIS = "census_phase_one_products.usa_exports.2018.hs2017.hs4"

# inputs restated (checked against the fixture by the row test)
MFN_PCT = {SOY: 3.0, AUTO1: 25.0, AUTO2: 15.0, FILM: None}
RETALIATION_PP = 25.0
PIIE_2017 = {"12019010": 100.0, "87032319": 50.0, "37025200": 10.0, "99999999": 40.0}
COMTRADE_120190 = 80.0
CENSUS_HS4 = {"1201": 30.0 + 30.0, "8703": 60.0}

D = date
AS_OF_DATES = [D(2018, 1, 1), D(2018, 7, 6), D(2019, 1, 1), D(2019, 3, 1), D(2019, 4, 1),
               D(2019, 5, 1)]  # fmt: skip
# the additional duty on each date (the measures, less the exclusion while A1/A2 are in force)
SOY_ADDITIONAL = {
    D(2018, 1, 1): 0.0,
    D(2018, 7, 6): RETALIATION_PP,
    D(2019, 1, 1): RETALIATION_PP,  # the suspension is on autos only
    D(2019, 3, 1): RETALIATION_PP - RETALIATION_PP,  # A1 lifts the s.301 duty
    D(2019, 4, 1): RETALIATION_PP - RETALIATION_PP,  # A2 extends it
    D(2019, 5, 1): RETALIATION_PP,  # A2 ended on 30 April
}
# autos: +25 from 2018-07-06, suspended (-25) from 2019-01-01
AUTO_ADDITIONAL = {
    d: (RETALIATION_PP if d >= D(2018, 7, 6) else 0.0)
    - (RETALIATION_PP if d >= D(2019, 1, 1) else 0.0)
    for d in AS_OF_DATES
}
INCOMPLETE_LIST_DATES = {D(2019, 4, 1)}  # only A2 is incomplete


@dataclass(frozen=True)
class MartRows:
    """The hand-worked rows of one mart on one fixture (`built` or `built_with_actions`).
    complete = the rows are the whole mart (the test also compares the set of keys)."""

    fixture: str
    key: tuple[str, ...]
    rows: tuple[dict, ...]
    complete: bool = True


# -- dim_product_categories -----------------------------------------------------------------


def _category_row(hs8, sector, *, in_schedule=True, soy=False, revision="HS2017", **overrides):
    hs2017 = revision == "HS2017"
    row = {
        "hs_revision": revision,
        "hs8_code": hs8,
        "hs6_code": hs8[:6],
        "hs4_code": hs8[:4],
        "hs2_code": hs8[:2],
        # the only category rule: soybeans = prefix 1201 of HS2017 (subcategory soybeans)
        "categories": "soybeans" if soy else None,
        "subcategories": "soybeans" if soy else None,
        "is_strategic_exclusion": False,  # soybeans is no strategic category
        "sector": sector,
        # the nomenclature fixture holds chapter 12 (section II), 1201 and 120190 of HS2017
        "hs6_description": "Soya" if soy else None,
        "hs4_description": "Soya beans" if soy else None,
        "hs2_description": "Oil seeds" if soy else None,
        "hs_section": "II" if soy else None,
        "hs_section_name": "Vegetable products" if soy else None,
        "is_in_tariff_schedule": in_schedule,
        # China-reported HS8 trade: the PIIE rows, all HS2017
        "has_trade_record": hs2017 and hs8 in PIIE_2017,
        "is_hs6_in_nomenclature": soy,
    }
    assert not set(overrides) - set(row), overrides
    return {**row, **overrides}


DIM_PRODUCT_CATEGORIES = (
    _category_row("12019010", "Soybeans", soy=True),
    _category_row("37025200", "All other goods"),
    _category_row("87032319", "Autos and parts"),
    _category_row("99999999", "Not in PIIE sector list", in_schedule=False),
)

# -- fct_tariff_timeline ----------------------------------------------------------------------


def _window(line, start, end, additional, measures, exclusion=None, incomplete=None):
    mfn = MFN_PCT[line]
    return {
        "schedule_id": SCHEDULE,
        "national_line_code": line,
        "valid_from_date": start,
        "valid_to_date": end,
        "reporter_iso3": "CHN",
        "partner_iso3": "USA",
        "hs_revision": "HS2017",
        "hs8_code": line[:8],
        "hs6_code": line[:6],
        "line_description": line,  # the fixture's descriptions are the codes
        "action_ids": ",".join(measures),
        "is_ad_valorem": mfn is not None,
        "is_retaliation_in_force": additional > 0,
        "is_exclusion_in_force": exclusion is not None,
        "exclusion_announcement_ids": exclusion[0] if exclusion else None,
        "is_exclusion_list_complete": exclusion[1] if exclusion else None,
        "incomplete_action_ids": incomplete,
        "is_rate_complete": incomplete is None,
        "mfn_rate_pct": mfn,
        "additional_rate_pct": additional,
        "applied_rate_pct": None if mfn is None else mfn + additional,
    }


R = RETALIATION_PP
FCT_TARIFF_TIMELINE = (
    _window(SOY, D(2018, 1, 1), D(2018, 7, 6), 0.0, [MFN]),
    _window(SOY, D(2018, 7, 6), D(2019, 3, 1), R, [MFN, RET]),
    _window(SOY, D(2019, 3, 1), D(2019, 4, 1), R - R, [MFN, RET, EXCL1], ("A1", True)),
    _window(SOY, D(2019, 4, 1), D(2019, 5, 1), R - R, [MFN, RET, EXCL2], ("A2", False)),
    _window(SOY, D(2019, 5, 1), None, R, [MFN, RET]),
    _window(FILM, D(2018, 1, 1), None, 0.0, [MFN]),
    *(
        row
        for line in (AUTO1, AUTO2)
        for row in (
            _window(line, D(2018, 1, 1), D(2018, 7, 6), 0.0, [MFN]),
            _window(line, D(2018, 7, 6), D(2019, 1, 1), R, [MFN, RET]),
            _window(line, D(2019, 1, 1), None, R - R, [MFN, RET, SUSP]),
        )
    ),
)

# -- fct_retaliation_coverage ---------------------------------------------------------------
# sector -> (2017 value, national lines, is the sector's trade taxed on a date, has a line)
SECTOR_FACTS = {
    "Soybeans": (PIIE_2017["12019010"], 1, lambda d: SOY_ADDITIONAL[d] > 0, True),
    "Autos and parts": (PIIE_2017["87032319"], 2, lambda d: AUTO_ADDITIONAL[d] > 0, True),
    "All other goods": (PIIE_2017["37025200"], 1, lambda d: False, True),
    "Not in PIIE sector list": (PIIE_2017["99999999"], 0, lambda d: False, False),
}


def _coverage_row(day, sector):
    value, lines, taxed, has_line = SECTOR_FACTS[sector]
    covered = value if taxed(day) else 0.0
    return {
        "as_of_date": day,
        "sector": sector,
        "weight_year": 2017,
        "weight_basis_id": PIIE_BASIS,
        "lines_covered": lines if taxed(day) else 0,  # both auto lines move together
        "lines_total": lines,
        "has_incomplete_exclusion_list": sector == "Soybeans" and day in INCOMPLETE_LIST_DATES,
        "has_incomplete_action": False,
        "covered_value_usd": covered,
        "not_covered_value_usd": value - covered,
        "total_value_usd": value,
        "unmatched_value_usd": 0.0 if has_line else value,
        "covered_by_blanket_only_value_usd": 0.0,  # no duty on all US goods in this fixture
        "coverage_share": covered / value,
    }


FCT_RETALIATION_COVERAGE = tuple(_coverage_row(d, s) for d in AS_OF_DATES for s in SECTOR_FACTS)

# -- fct_average_tariff -----------------------------------------------------------------------
# HS8 87032319 = the mean of its two lines; 37025200 (no ad valorem rate) and 99999999 (no
# line) are left out of the averages
AUTO_HS8_MFN = (MFN_PCT[AUTO1] + MFN_PCT[AUTO2]) / 2


def _average_rows(day):
    soy_w, auto_w = PIIE_2017["12019010"], PIIE_2017["87032319"]
    s_add, a_add = SOY_ADDITIONAL[day], AUTO_ADDITIONAL[day]
    s_mfn = MFN_PCT[SOY]
    flags = {
        "has_incomplete_exclusion_list": day in INCOMPLETE_LIST_DATES,
        "has_incomplete_action": False,
    }
    weighted = {
        "as_of_date": day,
        "average_method": "trade_weighted",
        "weight_basis_id": PIIE_BASIS,
        "avg_applied_rate_pct": (soy_w * (s_mfn + s_add) + auto_w * (AUTO_HS8_MFN + a_add))
        / (soy_w + auto_w),
        "avg_additional_rate_pct": (soy_w * s_add + auto_w * a_add) / (soy_w + auto_w),
        "avg_mfn_rate_pct": (soy_w * s_mfn + auto_w * AUTO_HS8_MFN) / (soy_w + auto_w),
        "hs8_codes_weighted": 2,
        **flags,
        "weighted_value_usd": soy_w + auto_w,
        "excluded_value_usd": PIIE_2017["37025200"] + PIIE_2017["99999999"],
    }
    simple = {
        "as_of_date": day,
        "average_method": "simple",
        "weight_basis_id": None,
        "avg_applied_rate_pct": ((s_mfn + s_add) + (AUTO_HS8_MFN + a_add)) / 2,
        "avg_additional_rate_pct": (s_add + a_add) / 2,
        "avg_mfn_rate_pct": (s_mfn + AUTO_HS8_MFN) / 2,
        "hs8_codes_weighted": 2,
        **flags,
        "weighted_value_usd": None,
        "excluded_value_usd": None,
    }
    return weighted, simple


FCT_AVERAGE_TARIFF = tuple(row for d in AS_OF_DATES for row in _average_rows(d))

# -- fct_exemption_eligibility (base date 2018-09-01: the 2018-07-06 windows) ----------------


def _eligibility_row(line, additional, *, include=None, exclude=None, value, **overrides):
    taxed = additional > 0
    row = {
        "scenario_id": "fixture_soy",
        "national_line_code": line,
        "base_schedule_id": SCHEDULE,
        "base_date": D(2018, 9, 1),
        "hs_revision": "HS2017",
        "hs8_code": line[:8],
        "hs6_code": line[:6],
        "line_description": line,
        "categories": "soybeans" if line.startswith("1201") else None,
        "include_rules_matched": include,
        "exclude_rules_matched": exclude,
        "is_taxed": taxed,
        "is_eligible": taxed and include is not None and exclude is None,
        # exclude wins over include; an untaxed line is decided by that alone
        "decided_by": exclude or include or "no_include_rule_matched" if taxed else "not_taxed",
        "has_exclusion_in_force_at_base": False,
        "weight_year": 2017,
        "mfn_rate_pct": MFN_PCT.get(line),
        "additional_rate_pct": additional,
        # default basis (PIIE HS8): each HS8 / HS6 value split equally over its lines; the
        # concordance method on a same-revision basis is the hs6 method
        "trade_value_exact_hs8_usd": value,
        "trade_value_hs6_usd": value,
        "trade_value_concordance_usd": value,
    }
    assert not set(overrides) - set(row), overrides
    return {**row, **overrides}


FCT_EXEMPTION_ELIGIBILITY = (
    _eligibility_row(SOY, R, include="include:category:soybeans", value=PIIE_2017["12019010"]),
    _eligibility_row(FILM, 0.0, value=PIIE_2017["37025200"]),
    _eligibility_row(AUTO1, R, exclude="exclude:hs_prefix:8703", value=PIIE_2017["87032319"] / 2),
    _eligibility_row(AUTO2, R, exclude="exclude:hs_prefix:8703", value=PIIE_2017["87032319"] / 2),
)

# -- fct_exemption_coverage -------------------------------------------------------------------
# (basis, method) -> (weight year, band method?, soy value, auto line values, autos matched?)
# Taxed on the base date: soybeans and both auto lines (+25 each); eligible: soybeans.
HALF_AUTO = PIIE_2017["87032319"] / 2
SOY_SHARE_OF_1201 = PIIE_2017["12019010"] / PIIE_2017["12019010"]  # the only 1201 code in 2017
AUTO_SHARE_OF_8703 = HALF_AUTO / PIIE_2017["87032319"]  # each auto line's hs8_recoded share
LINE_VALUES = {
    (PIIE_BASIS, "exact_hs8"): (2017, False, PIIE_2017["12019010"], HALF_AUTO, True),
    (PIIE_BASIS, "hs6"): (2017, False, PIIE_2017["12019010"], HALF_AUTO, True),
    (PIIE_BASIS, "concordance"): (2017, False, PIIE_2017["12019010"], HALF_AUTO, True),
    # 99999999's value has no new code of its subheading to go to: it stays off the lines
    (PIIE_BASIS, "hs8_recoded"): (2017, True, PIIE_2017["12019010"], HALF_AUTO, True),
    # Comtrade has subheading 120190 only: the auto lines match no trade
    (CN_HS6_BASIS, "hs6"): (2017, False, COMTRADE_120190, 0.0, False),
    (CN_HS6_BASIS, "concordance"): (2017, False, COMTRADE_120190, 0.0, False),
    (CN_HS6_BASIS, "by_2017_hs8_shares"): (
        2017, True, COMTRADE_120190 * SOY_SHARE_OF_1201, 0.0, False
    ),
    (CN_HS6_2012_BASIS, "hs6"): (2017, False, COMTRADE_120190, 0.0, False),
    (CN_HS6_2012_BASIS, "by_2017_hs8_shares"): (
        2017, True, COMTRADE_120190 * SOY_SHARE_OF_1201, 0.0, False
    ),
    # heading 1201 has one line, 8703 two
    (US_HS4_BASIS, "hs4"): (2018, False, CENSUS_HS4["1201"] / 1, CENSUS_HS4["8703"] / 2, True),
    (US_HS4_BASIS, "by_2017_hs8_shares"): (
        2018, True, CENSUS_HS4["1201"] * SOY_SHARE_OF_1201,
        CENSUS_HS4["8703"] * AUTO_SHARE_OF_8703, True,
    ),
}  # fmt: skip
WINDOW_END = {6: D(2019, 7, 1), 12: D(2020, 1, 1)}
COVERAGE_KEY = ("scenario_id", "weight_basis_id", "weighting_method", "category", "window_months")


def _exemption_coverage_row(basis, method, category, months):
    year, band, soy, auto, autos_matched = LINE_VALUES[(basis, method)]
    if category == "all":
        taxed = soy + auto + auto
        taxed_lines, unmatched_lines = 3, 0 if autos_matched else 2
        after = (R * auto + R * auto) / taxed  # the autos stay taxed, soybeans go to 0
    else:  # soybeans: the soybean line alone
        taxed, taxed_lines, unmatched_lines, after = soy, 1, 0, 0.0
    relief = soy * R / 100 * months / 12  # no monthly profile (no us_census basis): flat
    return {
        "scenario_id": "fixture_soy",
        "weight_basis_id": basis,
        "weighting_method": method,
        "category": category,
        "window_months": months,
        "window_start_date": D(2019, 1, 1),
        "window_end_date": WINDOW_END[months],
        "weight_year": year,
        "is_band_method": band,
        "lines_taxed": taxed_lines,
        "lines_covered": 1,
        "lines_taxed_unmatched": unmatched_lines,
        "taxed_value_usd": taxed,
        "covered_value_usd": soy,
        "coverage_share": soy / taxed,
        "avg_additional_rate_before_pct": R,  # every taxed line carries +25
        "avg_additional_rate_after_pct": after,
        "duty_relief_usd": relief,
        "duty_relief_flat_usd": relief,
        "seasonal_value_share": None,
        # unmatched auto lines: no other method of the basis matches them either
        "unmatched_taxed_value_usd": 0.0,
    }


FCT_EXEMPTION_COVERAGE = tuple(
    _exemption_coverage_row(basis, method, category, months)
    for basis, method in LINE_VALUES
    for category in ("all", "soybeans")
    for months in (6, 12)
)

# -- fct_exemption_band ------------------------------------------------------------------------
# band estimates: band methods on complete-year bases (the Census HS4 basis has 2 months)
_ESTIMATES = [
    (basis, method, soy / (soy + 2 * auto), soy + 2 * auto, soy)
    for (basis, method), (_, band, soy, auto, _) in LINE_VALUES.items()
    if band and basis != US_HS4_BASIS
]
_LOW = min(_ESTIMATES, key=lambda e: (e[2], e[0], e[1]))
_HIGH = max(_ESTIMATES, key=lambda e: (e[2], e[0], e[1]))
FCT_EXEMPTION_BAND = (
    {
        "scenario_id": "fixture_soy",
        "product_scope": "all_products",
        "scenario_description": "soybeans",
        "base_schedule_id": SCHEDULE,
        "base_date": D(2018, 9, 1),
        # PIIE hs8_recoded: 100 of 150
        "low_weight_basis_id": PIIE_BASIS,
        "low_method": "hs8_recoded",
        # both Comtrade bases reach 80 of 80; the tie goes to the larger basis id
        "high_weight_basis_id": CN_HS6_BASIS,
        "high_method": "by_2017_hs8_shares",
        "estimates": 3,
        "weight_bases": 3,
        "claimed_share_low": 0.03,
        "claimed_share_high": 0.05,
        "is_band_overlapping_claim": False,  # 2/3 > 5%
        "coverage_share_low": 100 / 150,
        "coverage_share_high": 80 / 80,
        "covered_value_low_usd": COMTRADE_120190,
        "covered_value_high_usd": PIIE_2017["12019010"],
        "taxed_value_low_usd": COMTRADE_120190,
        "taxed_value_high_usd": PIIE_2017["12019010"] + PIIE_2017["87032319"],
    },
)
# the worked band above, checked against the estimates list
assert (_LOW[0], _LOW[1], _HIGH[0], _HIGH[1]) == (
    PIIE_BASIS,
    "hs8_recoded",
    CN_HS6_BASIS,
    "by_2017_hs8_shares",
)

# -- dim_weight_bases ---------------------------------------------------------------------------


def _basis(basis_id, source, reporter, year, level, revision, valuation, months, codes, value):
    china = reporter == "CHN"
    label = (
        ("China-reported imports from the US" if china else "US-reported exports to China")
        + f", {year}"
        + (f" (partial year: {months} of 12 months, not an annual weight)" if months < 12 else "")
        + f", HS{level}"
        + (", Phase One products only" if source == "census_phase_one_products" else "")
        + f" [{source}]"
    )
    return {
        "weight_basis_id": basis_id,
        "weight_source": source,
        "reporter_side": "china_reported" if china else "us_reported",
        "reporter_iso3": reporter,
        "partner_iso3": "USA" if china else "CHN",
        "flow_direction": "import" if china else "export",
        "weight_year": year,
        "hs_level": level,
        "hs_revision": revision,
        "valuation": valuation,
        "frequency": "annual" if months == 12 else "monthly",
        "months_covered": months,
        "is_complete_year": months == 12,
        "product_scope": "phase_one_products"
        if source == "census_phase_one_products"
        else "all_products",
        "is_default_basis": source == "piie_itc_trade_map",
        "weight_basis_label": label,
        "hs_codes": codes,
        "trade_value_usd": value,
    }


DIM_WEIGHT_BASES = (
    # two months landed (January, February); the fixture's landed rows carry FOB for exports
    _basis(US_HS4_BASIS, "census_phase_one_products", "USA", 2018, 4, "HS2017", "FOB", 2, 2,
           sum(CENSUS_HS4.values())),
    # the PIIE workbook rows carry no valuation
    _basis(PIIE_BASIS, "piie_itc_trade_map", "CHN", 2017, 8, "HS2017", None, 12, 4,
           sum(PIIE_2017.values())),
    # annual rows win over the monthly 999 row; TOTAL and the DEU row are no basis
    _basis(CN_HS6_2012_BASIS, "un_comtrade", "CHN", 2017, 6, "HS2012", "CIF", 12, 1,
           COMTRADE_120190),
    _basis(CN_HS6_BASIS, "un_comtrade", "CHN", 2017, 6, "HS2017", "CIF", 12, 1, COMTRADE_120190),
)  # fmt: skip

# -- fct_weight_value_mapping ------------------------------------------------------------------


def _mapping(basis, code, step, value, on_lines_total, on_lines=None):
    """on_lines: the part of the code's value on lines (default: all of it, none if unmatched)"""
    if on_lines is None:
        on_lines = 0.0 if step == "unmatched" else value
    return {
        "schedule_id": SCHEDULE,
        "weight_basis_id": basis,
        "hs_code": code,
        "hs_level": len(code),
        "mapping_step": step,
        "is_value_on_lines": step != "unmatched",
        "trade_value_usd": value,
        "value_on_lines_usd": on_lines,
        "basis_value_on_lines_usd": on_lines_total,
    }


# the basis total on the lines under its band method (hs8_recoded / by_2017_hs8_shares)
PIIE_ON_LINES = PIIE_2017["12019010"] + PIIE_2017["87032319"] + PIIE_2017["37025200"]
US_ON_LINES = CENSUS_HS4["1201"] * SOY_SHARE_OF_1201 + 2 * CENSUS_HS4["8703"] * AUTO_SHARE_OF_8703
FCT_WEIGHT_VALUE_MAPPING = (
    *(
        _mapping(PIIE_BASIS, code, "exact", value, PIIE_ON_LINES)
        for code, value in PIIE_2017.items()
        if code != "99999999"
    ),
    _mapping(PIIE_BASIS, "99999999", "unmatched", PIIE_2017["99999999"], PIIE_ON_LINES),
    # subheading 120190 / headings 1201, 8703 had China trade in 2017
    _mapping(CN_HS6_BASIS, "120190", "shared_by_2017_hs8", COMTRADE_120190, COMTRADE_120190),
    _mapping(CN_HS6_2012_BASIS, "120190", "shared_by_2017_hs8", COMTRADE_120190, COMTRADE_120190),
    # each heading's lines take their 2017 HS8 shares of it (the rest falls on untaxed codes)
    _mapping(
        US_HS4_BASIS,
        "1201",
        "shared_by_2017_hs8",
        CENSUS_HS4["1201"],
        US_ON_LINES,
        CENSUS_HS4["1201"] * SOY_SHARE_OF_1201,
    ),
    _mapping(
        US_HS4_BASIS,
        "8703",
        "shared_by_2017_hs8",
        CENSUS_HS4["8703"],
        US_ON_LINES,
        2 * CENSUS_HS4["8703"] * AUTO_SHARE_OF_8703,
    ),
)

# -- dim_tariff_actions (second fixture) -----------------------------------------------------
BOTH = f"{ITA},{SCHEDULE}"


def _action_row(action_id, effective, kind, operation, scope_kind, reference, evidence, **kw):
    row = {
        "action_id": action_id,
        "action_title": f"title {action_id}",
        "announcement": None,
        "announced_date": None,
        "effective_date": effective,
        "end_date": None,
        "ended_by_action_id": None,
        "is_in_force": True,
        "action_kind": kind,
        "retaliation_basis": None,
        "operation": operation,
        "scope_kind": scope_kind,
        "scope_reference": reference,
        "evidence": evidence,
        "is_complete": True,
        "folded_on_schedules": SCHEDULE,
        "lines_in_scope": 0,
        "lines_in_scope_2025_matrix": 0,
        "listed_codes": None,  # only line-list actions list codes
        "listed_codes_unmatched_2018": None,
        "method_note": None,
        "completeness_note": None,
        "evidence_source": f"source {action_id}",
        "source_file": "fixture",  # the lineage of the fixture's raw rows
        "rate_pp": None,
        "scale_factor": None,
        "suspended_points": None,
    }
    unknown = set(kw) - set(row)
    assert not unknown, unknown
    return {**row, **kw}


DIM_TARIFF_ACTIONS = (
    # dataset measures: lines with a non-zero rate in their column (FILM has no ad valorem MFN
    # rate and a 0 retaliation)
    _action_row(MFN, D(2018, 1, 1), "mfn_level", "set", "dataset_measure", MFN,
                "published_dataset", lines_in_scope=3),
    _action_row(RET, D(2018, 7, 6), "retaliation", "add", "dataset_measure", RET,
                "published_dataset", retaliation_basis="s301", lines_in_scope=3),
    _action_row(SUSP, D(2019, 1, 1), "suspension", "suspend", "dataset_measure", SUSP,
                "published_dataset", retaliation_basis="s301", lines_in_scope=2),
    # A1 lists its one stated item; A2 states 2 and holds only the inherited one
    _action_row(EXCL1, D(2019, 3, 1), "exclusion", "exclude", "exclusion_list", EXCL1,
                "official_list", retaliation_basis="s301", announcement="A1",
                end_date=D(2019, 4, 1), ended_by_action_id=EXCL2, lines_in_scope=1),
    _action_row(EXCL2, D(2019, 4, 1), "exclusion", "exclude", "exclusion_list", EXCL2,
                "official_list", retaliation_basis="s301", announcement="A2",
                end_date=D(2019, 5, 1), is_complete=False, lines_in_scope=1),
    _action_row(SEP, D(2019, 9, 1), "retaliation", "add", "derived",
                "sep2019_hs6_list_and_matrix_residual", "derived", retaliation_basis="s301",
                announced_date=D(2019, 8, 23), method_note="sep note", lines_in_scope=3),
    _action_row(HALF, D(2020, 2, 14), "retaliation_change", "scale", "action_lines", SEP,
                "derived", retaliation_basis="s301", method_note="halving note",
                lines_in_scope=3, scale_factor=0.5),
    # never in force: folds nothing
    _action_row(NEVER, D(2019, 12, 15), "retaliation", "add", "all_us_goods", None, "blanket",
                retaliation_basis="s301", is_in_force=False, folded_on_schedules=None,
                rate_pp=5.0),
    _action_row(UNKNOWN, D(2025, 2, 10), "retaliation", "add", "unknown_lines", None,
                "official_list", retaliation_basis="ieepa", is_complete=False,
                folded_on_schedules=None, completeness_note="no line list bundled"),
    # 3 codes listed; 99990000 matches no 2018 line; on the ITA schedule (state of
    # 2025-03-28, after the duty) its lines are found but not folded
    _action_row(FARM, D(2025, 3, 10), "retaliation", "add", "line_list",
                "fixture_annex_15,fixture_annex_10", "official_list",
                announcement="cn_tcc_2025_02", announced_date=D(2025, 3, 4), lines_in_scope=3,
                lines_in_scope_2025_matrix=2, listed_codes=3, listed_codes_unmatched_2018=1),
    _action_row(ITA_STATE, D(2025, 3, 28), "retaliation_state", "set", "dataset_measure",
                ITA_STATE, "published_dataset", folded_on_schedules=ITA,
                lines_in_scope_2025_matrix=2),
    _action_row(BLANKET, D(2025, 4, 10), "retaliation", "add", "all_us_goods", None, "blanket",
                retaliation_basis="ieepa", folded_on_schedules=BOTH, lines_in_scope=4,
                lines_in_scope_2025_matrix=2, rate_pp=10.0),
    _action_row(REDUCTION, D(2025, 5, 14), "retaliation_change", "suspend", "action_lines",
                BLANKET, "blanket", retaliation_basis="ieepa", folded_on_schedules=BOTH,
                lines_in_scope=4, lines_in_scope_2025_matrix=2, suspended_points=4.0),
    _action_row(FARM_OFF, D(2025, 11, 10), "suspension", "suspend", "action_lines", FARM,
                "official_list", folded_on_schedules=BOTH, lines_in_scope=3,
                lines_in_scope_2025_matrix=2),
)  # fmt: skip

# -- fct_tariff_action_lines (second fixture) -----------------------------------------------
EFFECTIVE = {r["action_id"]: r["effective_date"] for r in DIM_TARIFF_ACTIONS}
ITA_RATES = {"12019011": 37.5, "87032319": 15.0}
FARM_RATES = {"12019011": 15.0, "87032319": 10.0}  # the two annexes
HS6_RISE = {"120190": 33.0 - 28.0, "870323": 20.0 - 15.0}
# 87032319: twice (ITA rate - June 2019 state (+25 - 25) - the March 2025 annex duty)
AUTO_RESIDUAL = 2 * (ITA_RATES["87032319"] - (R - R) - FARM_RATES["87032319"])
SEP_RATES = {SOY: HS6_RISE["120190"], AUTO1: AUTO_RESIDUAL, AUTO2: AUTO_RESIDUAL}


def _line(schedule, action, line, step, rate, *, folded=True, listed=None, rise=None, res=None):
    return {
        "schedule_id": schedule,
        "action_id": action,
        "national_line_code": line,
        "effective_date": EFFECTIVE[action],
        "match_step": step,
        "is_folded": folded,
        "listed_code": listed,
        "hs8_code": line[:8],
        "line_description": line,
        "rate_change_pp": rate,
        "hs6_list_rise_pp": rise,
        "matrix_residual_pp": res,
    }


# the farm annexes on each schedule: (schedule, line, match step, listed code, rate, folded)
FARM_LINES = [
    (SCHEDULE, SOY, "subheading", "12019011", FARM_RATES["12019011"], True),
    (SCHEDULE, AUTO1, "exact", "87032319", FARM_RATES["87032319"], True),
    (SCHEDULE, AUTO2, "exact", "87032319", FARM_RATES["87032319"], True),
    (ITA, "12019011", "exact", "12019011", FARM_RATES["12019011"], False),
    (ITA, "87032319", "exact", "87032319", FARM_RATES["87032319"], False),
]
ALL_LINES = [(SCHEDULE, line) for line in (SOY, AUTO1, AUTO2, FILM)] + [
    (ITA, line) for line in ITA_RATES
]
FCT_TARIFF_ACTION_LINES = (
    *(
        _line(SCHEDULE, MFN, line, "published_dataset", MFN_PCT[line])
        for line in (SOY, AUTO1, AUTO2)
    ),
    *(_line(SCHEDULE, RET, line, "published_dataset", R) for line in (SOY, AUTO1, AUTO2)),
    *(_line(SCHEDULE, SUSP, line, "published_dataset", -R) for line in (AUTO1, AUTO2)),
    *(_line(ITA, ITA_STATE, line, "published_dataset", v) for line, v in ITA_RATES.items()),
    _line(SCHEDULE, EXCL1, SOY, "exclusion_list", None, listed="12019010"),
    _line(SCHEDULE, EXCL2, SOY, "exclusion_list", None, listed="12019010"),
    *(
        _line(s, FARM, line, step, rate, folded=folded, listed=listed)
        for s, line, step, listed, rate, folded in FARM_LINES
    ),
    _line(SCHEDULE, SEP, SOY, "sep2019_hs6_list_only", SEP_RATES[SOY], rise=HS6_RISE["120190"]),
    *(
        _line(
            SCHEDULE,
            SEP,
            line,
            "sep2019_matrix_and_hs6_list",
            SEP_RATES[line],
            rise=HS6_RISE["870323"],
            res=AUTO_RESIDUAL,
        )
        for line in (AUTO1, AUTO2)
    ),  # fmt: skip
    *(
        _line(SCHEDULE, HALF, line, "action_lines", rate * (0.5 - 1))
        for line, rate in SEP_RATES.items()
    ),
    *(_line(s, BLANKET, line, "all_us_goods", 10.0) for s, line in ALL_LINES),
    *(_line(s, REDUCTION, line, "action_lines", -4.0) for s, line in ALL_LINES),
    *(_line(s, FARM_OFF, line, "action_lines", -rate) for s, line, _, _, rate, _ in FARM_LINES),
)

# -- the second fixture: columns the first one leaves NULL or constant -------------------------
# From 2025-02-10 a recorded action whose lines are not bundled (UNKNOWN) is in force: every
# piie window still open then is rate-incomplete, and every mart row from that date says so.
# The film line (no ad valorem MFN, never taxed before) gets the blanket +10 on 2025-04-10,
# less the 4 suspended points from 2025-05-14.
TIMELINE_FILM_WITH_ACTIONS = (
    _window(FILM, D(2018, 1, 1), D(2025, 4, 10), 0.0, [MFN], incomplete=UNKNOWN),
    _window(FILM, D(2025, 4, 10), D(2025, 5, 14), 10.0, [MFN, BLANKET], incomplete=UNKNOWN),
    _window(FILM, D(2025, 5, 14), None, 10.0 - 4.0, [MFN, BLANKET, REDUCTION],
            incomplete=UNKNOWN),
)  # fmt: skip


def _average_with_actions():
    # 2025-02-10 (a state date: the unknown action's): soybeans +25 (s.301; the exclusions
    # have ended) + the Sep 2019 HS6 rise, halved in 2020; each auto line +25 - 25 (suspended)
    # + the Sep 2019 matrix residual, halved
    day = D(2025, 2, 10)
    soy_w, auto_w = PIIE_2017["12019010"], PIIE_2017["87032319"]
    s_add = R + SEP_RATES[SOY] * 0.5
    a_add = R - R + SEP_RATES[AUTO1] * 0.5
    s_mfn = MFN_PCT[SOY]
    flags = {"has_incomplete_exclusion_list": False, "has_incomplete_action": True}
    return (
        {
            "as_of_date": day,
            "average_method": "trade_weighted",
            "weight_basis_id": PIIE_BASIS,
            "avg_applied_rate_pct": (soy_w * (s_mfn + s_add) + auto_w * (AUTO_HS8_MFN + a_add))
            / (soy_w + auto_w),
            "avg_additional_rate_pct": (soy_w * s_add + auto_w * a_add) / (soy_w + auto_w),
            "avg_mfn_rate_pct": (soy_w * s_mfn + auto_w * AUTO_HS8_MFN) / (soy_w + auto_w),
            "hs8_codes_weighted": 2,
            **flags,
            "weighted_value_usd": soy_w + auto_w,
            "excluded_value_usd": PIIE_2017["37025200"] + PIIE_2017["99999999"],
        },
        {
            "as_of_date": day,
            "average_method": "simple",
            "weight_basis_id": None,  # the ITA lines (HS2022) are not averaged
            "avg_applied_rate_pct": ((s_mfn + s_add) + (AUTO_HS8_MFN + a_add)) / 2,
            "avg_additional_rate_pct": (s_add + a_add) / 2,
            "avg_mfn_rate_pct": (s_mfn + AUTO_HS8_MFN) / 2,
            "hs8_codes_weighted": 2,
            **flags,
            "weighted_value_usd": None,
            "excluded_value_usd": None,
        },
    )


# 2025-04-10: the duty on all US goods also covers 99999999, which matches no line
UNMATCHED = PIIE_2017["99999999"]
COVERAGE_BLANKET_ONLY = (
    {
        "as_of_date": D(2025, 4, 10),
        "sector": "Not in PIIE sector list",
        "weight_year": 2017,
        "weight_basis_id": PIIE_BASIS,
        "lines_covered": 0,
        "lines_total": 0,
        "has_incomplete_exclusion_list": False,
        "has_incomplete_action": True,
        "covered_value_usd": UNMATCHED,
        "not_covered_value_usd": 0.0,
        "total_value_usd": UNMATCHED,
        "unmatched_value_usd": UNMATCHED,
        "covered_by_blanket_only_value_usd": UNMATCHED,
        "coverage_share": UNMATCHED / UNMATCHED,
    },
)
# seasonal duty relief: the Census 2019 profile of 120190 (shares of its year's 100: January
# 30, February 10, March-December 6 each); the base date (2018-09-01) precedes every added
# action, so lines, taxes and the PIIE values are those of the first fixture
CENSUS_SHARES = {1: 30 / 100, 2: 10 / 100, **{m: 6 / 100 for m in range(3, 13)}}


def _seasonal_row(months):
    row = _exemption_coverage_row(PIIE_BASIS, "exact_hs8", "soybeans", months)
    window_share = sum(CENSUS_SHARES[m] for m in range(1, 1 + months))  # from January
    return {
        **row,
        "duty_relief_usd": PIIE_2017["12019010"] * R / 100 * window_share,
        "seasonal_value_share": 1.0,  # the one covered line has a monthly profile
    }


SEASONAL_COVERAGE = (_seasonal_row(6), _seasonal_row(12))

# a strategic category (made-up rule 3702 -> semiconductors) and a 2025 (HS2022) code: no PIIE
# sector, no category rule, no nomenclature, no China-reported HS2017 trade
CATEGORIES_WITH_ACTIONS = (
    _category_row("37025200", "All other goods", categories="semiconductors",
                  subcategories="fixture_film", is_strategic_exclusion=True),
    _category_row("12019011", None, revision="HS2022"),
)  # fmt: skip

# fixture_ita: the ITA schedule on 2025-04-01 (the 2025-03-28 state: the farm annex is in it,
# the blanket duty not yet): 12019011 at 37.5, 87032319 at 15; include prefix 1201.
# PIIE 2017 values: 12019011 is a 2025 code with no exact trade (exact_hs8 0); its subheading
# 120190 has 100 (hs6: one ITA line in it); 87032319 has 50 exactly; the concordance method
# needs the HS2022->HS2017 table, empty here (0).
ITA_SOY, ITA_AUTO = "12019011", "87032319"
ITA_BASE = {"scenario_id": "fixture_ita", "base_schedule_id": ITA, "base_date": D(2025, 4, 1),
            "hs_revision": "HS2022", "categories": None, "mfn_rate_pct": None}  # fmt: skip
ELIGIBILITY_WITH_ACTIONS = (
    _eligibility_row(ITA_SOY, ITA_RATES[ITA_SOY], include="include:hs_prefix:1201", value=0.0,
                     **ITA_BASE, trade_value_hs6_usd=PIIE_2017["12019010"]),
    _eligibility_row(ITA_AUTO, ITA_RATES[ITA_AUTO], value=PIIE_2017["87032319"], **ITA_BASE,
                     trade_value_concordance_usd=0.0),
    # 2019-03-15: exclusion A1 lifts the soybean line's +25
    _eligibility_row(SOY, R - R, include="include:category:soybeans",
                     value=PIIE_2017["12019010"], scenario_id="fixture_excluded",
                     base_date=D(2019, 3, 15), has_exclusion_in_force_at_base=True),
)  # fmt: skip


def _ita_coverage(method, category, soy, auto, unmatched_soy_value):
    taxed = soy + auto if category == "all" else 0.0
    covered = soy if category == "all" else 0.0
    soy_rate, auto_rate = ITA_RATES[ITA_SOY], ITA_RATES[ITA_AUTO]
    rate_x_taxed = soy_rate * soy + auto_rate * auto
    # the window May 2025 - April 2026 spans all 12 months of the soybean profile (sum 1)
    relief = soy_rate * soy / 100 * 1.0 if category == "all" else 0.0
    some = category == "all"
    return {
        "scenario_id": "fixture_ita",
        "weight_basis_id": PIIE_BASIS,
        "weighting_method": method,
        "category": category,
        "window_months": 12,
        "window_start_date": D(2025, 5, 1),
        "window_end_date": D(2026, 5, 1),
        "weight_year": 2017,
        "is_band_method": False,
        "lines_taxed": 2 if some else 0,
        "lines_covered": 1 if some else 0,
        "lines_taxed_unmatched": (1 if unmatched_soy_value is not None else 0) if some else 0,
        "taxed_value_usd": taxed,
        "covered_value_usd": covered,
        "coverage_share": covered / taxed if taxed else None,
        "avg_additional_rate_before_pct": rate_x_taxed / taxed if taxed else None,
        "avg_additional_rate_after_pct": (rate_x_taxed - soy_rate * soy) / taxed if taxed else None,
        "duty_relief_usd": relief,
        "duty_relief_flat_usd": soy_rate * soy / 100 * 12 / 12 if some else 0.0,
        # the covered line has a profile, but its duty is 0 x rate when it has no value
        "seasonal_value_share": (1.0 if soy else None) if some else None,
        "unmatched_taxed_value_usd": (unmatched_soy_value or 0.0) if some else 0.0,
    }


COVERAGE_WITH_ACTIONS = (
    # exact_hs8 loses the re-coded soybeans: 0 of 50 covered; the hs6 method would give the
    # unmatched soybean line its subheading's 100 (unmatched_taxed_value_usd)
    _ita_coverage("exact_hs8", "all", 0.0, PIIE_2017["87032319"], PIIE_2017["12019010"]),
    _ita_coverage("hs6", "all", PIIE_2017["12019010"], PIIE_2017["87032319"], None),
    # no HS2022 code is in a category: an all-empty row
    _ita_coverage("hs6", "soybeans", PIIE_2017["12019010"], PIIE_2017["87032319"], None),
)

# the bands on the second fixture: its complete-year Census 2019 HS6 basis adds an estimate
CENSUS_2019_BASIS = "us_census.usa_exports.2019.hs2017.hs6"
CENSUS_2019_120190 = 30.0 + 10.0 + 10 * 6.0
BAND_WITH_ACTIONS = (
    {
        **FCT_EXEMPTION_BAND[0],
        # Census: 120190's 100, all on the soybean line (its 2017 HS8 share is 1); the autos'
        # subheading has no Census trade: 100 of 100. Ties at 1.0 go to the larger basis id.
        "high_weight_basis_id": CENSUS_2019_BASIS,
        "estimates": 4,
        "weight_bases": 4,
        "covered_value_high_usd": max(PIIE_2017["12019010"], CENSUS_2019_120190),
    },
    {
        # on the ITA lines only the PIIE hs8_recoded estimate has a taxed base: 12019011 has
        # no 2017 trade of its own and, without an HS2022->HS2017 table in the fixture, gets
        # none of 12019010's (0 of 50); the HS6 bases share by those 2017 values: 0 taxed, no
        # share, no estimate
        "scenario_id": "fixture_ita",
        "product_scope": "all_products",
        "scenario_description": "fixture_ita",
        "base_schedule_id": ITA,
        "base_date": D(2025, 4, 1),
        "low_weight_basis_id": PIIE_BASIS,
        "low_method": "hs8_recoded",
        "high_weight_basis_id": PIIE_BASIS,
        "high_method": "hs8_recoded",
        "estimates": 1,
        "weight_bases": 1,
        "claimed_share_low": None,
        "claimed_share_high": None,
        "is_band_overlapping_claim": None,  # no claim to compare
        "coverage_share_low": 0.0 / PIIE_2017["87032319"],
        "coverage_share_high": 0.0 / PIIE_2017["87032319"],
        "covered_value_low_usd": 0.0,
        "covered_value_high_usd": 0.0,
        "taxed_value_low_usd": PIIE_2017["87032319"],
        "taxed_value_high_usd": PIIE_2017["87032319"],
    },
)

A = "built_with_actions"
EXPECTED: dict[str, tuple[MartRows, ...]] = {
    "dim_product_categories": (
        MartRows("built", ("hs_revision", "hs8_code"), DIM_PRODUCT_CATEGORIES),
        MartRows(A, ("hs_revision", "hs8_code"), CATEGORIES_WITH_ACTIONS, complete=False),
    ),
    "fct_tariff_timeline": (
        MartRows(
            "built", ("schedule_id", "national_line_code", "valid_from_date"), FCT_TARIFF_TIMELINE
        ),
        MartRows(
            A,
            ("schedule_id", "national_line_code", "valid_from_date"),
            TIMELINE_FILM_WITH_ACTIONS,
            complete=False,
        ),
    ),
    "fct_retaliation_coverage": (
        MartRows("built", ("as_of_date", "sector"), FCT_RETALIATION_COVERAGE),
        MartRows(A, ("as_of_date", "sector"), COVERAGE_BLANKET_ONLY, complete=False),
    ),
    "fct_average_tariff": (
        MartRows("built", ("as_of_date", "average_method"), FCT_AVERAGE_TARIFF),
        MartRows(A, ("as_of_date", "average_method"), _average_with_actions(), complete=False),
    ),
    "fct_exemption_eligibility": (
        MartRows("built", ("scenario_id", "national_line_code"), FCT_EXEMPTION_ELIGIBILITY),
        MartRows(
            A, ("scenario_id", "national_line_code"), ELIGIBILITY_WITH_ACTIONS, complete=False
        ),
    ),
    "fct_exemption_coverage": (
        MartRows("built", COVERAGE_KEY, FCT_EXEMPTION_COVERAGE),
        MartRows(A, COVERAGE_KEY, SEASONAL_COVERAGE + COVERAGE_WITH_ACTIONS, complete=False),
    ),
    "fct_exemption_band": (
        MartRows("built", ("scenario_id", "product_scope"), FCT_EXEMPTION_BAND),
        # fixture_excluded has no window, so no coverage row and no band
        MartRows(A, ("scenario_id", "product_scope"), BAND_WITH_ACTIONS),
    ),
    "dim_weight_bases": (MartRows("built", ("weight_basis_id",), DIM_WEIGHT_BASES),),
    "fct_weight_value_mapping": (
        MartRows("built", ("schedule_id", "weight_basis_id", "hs_code"), FCT_WEIGHT_VALUE_MAPPING),
    ),
    "dim_tariff_actions": (MartRows(A, ("action_id",), DIM_TARIFF_ACTIONS),),
    "fct_tariff_action_lines": (
        MartRows(A, ("schedule_id", "action_id", "national_line_code"), FCT_TARIFF_ACTION_LINES),
    ),
}
