"""Build every layer from a handful of raw rows and compare with hand-computed results.

Two fixtures: `built` (raw_tables) and `built_with_actions` (raw_tables_with_actions: the same
plus tariff-action records, line lists, the ITA 2025 schedule, more scenarios and a Census
monthly year). test_mart_rows_equal_hand_worked_rows compares whole rows of every mart with
tests/sql/mart_expectations.py; tests/sql/test_mart_columns.py fails when a contract column is
in no expected row."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest

from etl import scenarios, sql_runner, tariff_actions
from etl.atomic import write_parquet_atomic
from etl.customs.schema import LANDED_SCHEMA
from etl.ingest import (
    china_annex_2025,
    china_exclusions,
    china_mof,
    hs_concordance,
    hs_nomenclature,
    piie,
    piie_events,
    product_categories,
)
from tests.helpers import PROJECT_ROOT
from tests.sql import mart_expectations

LINEAGE = {
    "_source_file": "fixture",
    "_source_sha256": "0" * 64,
    "_source_sheet": None,
    "_source_row": 1,
    "_loaded_at": datetime(2026, 1, 1, tzinfo=UTC),
}
SCHEDULE = "piie_2019_06"
MEASURES = [
    ("CHN-20180101-mfn_level", "mfn_level", None, date(2018, 1, 1), 1),
    ("CHN-20180706-retaliation", "retaliation", "s301", date(2018, 7, 6), 2),
    ("CHN-20190101-suspension", "suspension", "s301", date(2019, 1, 1), 3),
]
# line -> (MFN level, retaliation, suspension); None = no ad valorem rate
LINES = {
    "1201901000": (3.0, 25.0, 0.0),
    "8703231911": (25.0, 25.0, -25.0),
    "8703231990": (15.0, 25.0, -25.0),
    "3702520000": (None, 0.0, 0.0),
}
FLOWS = {"12019010": 100.0, "87032319": 50.0, "37025200": 10.0, "99999999": 40.0}
SECTORS = {"12019010": "Soybeans", "87032319": "Autos and parts", "37025200": "All other goods"}
# exclusion A1 lifts 12019010 in March 2019; A2 extends it through April but is incomplete
ANNOUNCEMENTS = [
    ("A1", "CHN-20190301-exclusion-01", date(2019, 3, 1), date(2019, 3, 31), 1, None),
    ("A2", "CHN-20190401-exclusion-02", date(2019, 4, 1), date(2019, 4, 30), 2, "A1"),
]


MFN, RET = "CHN-20180101-mfn_level", "CHN-20180706-retaliation"
EXCL1, EXCL2 = "CHN-20190301-exclusion-01", "CHN-20190401-exclusion-02"


def _table(schema, rows):
    return pa.Table.from_pylist([{**LINEAGE, **r} for r in rows], schema=schema)


LANDED_US_HS4 = [("1201", "2018-01", 30.0), ("1201", "2018-02", 30.0), ("8703", "2018-01", 60.0)]
US_HS4_BASIS = "census_phase_one_products.usa_exports.2018.hs2017.hs4"
CN_HS6_BASIS = "un_comtrade.chn_imports.2017.hs2017.hs6"
PIIE_BASIS = "piie_itc_trade_map.chn_imports.2017.hs2017.hs8"


def _landed(source, reporter, partner, flow, code, period, value, revision="HS2017"):
    return {
        "reporter_iso3": reporter,
        "partner_iso3": partner,
        "flow": flow,
        "hs_code": code,
        "hs_level": 0 if code == "TOTAL" else len(code),
        "hs_revision": revision,
        "period": period,
        "period_year": int(period[:4]),
        "period_month": int(period[5:]) if len(period) > 4 else None,
        "trade_value_usd": value,
        "valuation": "CIF" if flow == "import" else "FOB",
        "source": source,
    }


def raw_tables():
    measures = [
        {
            "measure_id": m,
            "schedule_id": SCHEDULE,
            "reporter_iso3": "CHN",
            "target_partner_iso3": "USA",
            "kind": k,
            "retaliation_basis": b,
            "effective_date": d,
            "sequence": s,
            "description": k,
        }
        for m, k, b, d, s in MEASURES
    ] + [
        {
            "measure_id": m,
            "schedule_id": SCHEDULE,
            "reporter_iso3": "CHN",
            "target_partner_iso3": "USA",
            "kind": "exclusion",
            "retaliation_basis": "s301",
            "effective_date": start,
            "end_date": end + timedelta(days=1),
            "sequence": 100,
            "description": a,
            "legal_reference": a,
        }
        for a, m, start, end, _, _ in ANNOUNCEMENTS
    ]
    return {
        "tariff_measures": _table(piie.MEASURES_SCHEMA, measures),
        "tariff_lines": _table(
            piie.TARIFF_LINES_SCHEMA,
            [
                {
                    "schedule_id": SCHEDULE,
                    "national_line_code": c,
                    "reporter_iso3": "CHN",
                    "hs_revision": "HS2017",
                    "description": c,
                }
                for c in LINES
            ],
        ),
        "tariff_line_rates": _table(
            piie.LINE_RATES_SCHEMA,
            [
                {"schedule_id": SCHEDULE, "national_line_code": c, "measure_id": m[0], "rate_pp": v}
                for c, values in LINES.items()
                for m, v in zip(MEASURES, values, strict=True)
            ],
        ),
        "trade_flows": _table(
            piie.TRADE_FLOWS_SCHEMA,
            [
                {
                    "reporter_iso3": "CHN",
                    "partner_iso3": "USA",
                    "flow": "import",
                    "hs_code": c,
                    "hs_level": 8,
                    "hs_revision": "HS2017",
                    "period": "2017",
                    "period_year": 2017,
                    "trade_value_usd": v,
                    "source": "piie_itc_trade_map",
                }
                for c, v in FLOWS.items()
            ],
        ),
        # customs files landed with `tariff-etl ingest`: US-reported HS4 exports (two months of
        # 2018), China-reported HS6 imports for 2017 (annual rows win over the monthly row of
        # the same basis), a grand total and a third-country flow (neither is a weight basis)
        "landed_trade_flows": _table(
            LANDED_SCHEMA,
            [
                _landed("census_phase_one_products", "USA", "CHN", "export", c, p, v)
                for c, p, v in LANDED_US_HS4
            ]
            + [
                _landed("un_comtrade", "CHN", "USA", "import", "120190", "2017", 80.0),
                # the same year downloaded again in HS2012 (Comtrade serves any edition): a
                # basis of its own, never summed with the HS2017 one
                _landed("un_comtrade", "CHN", "USA", "import", "120190", "2017", 80.0, "HS2012"),
                _landed("un_comtrade", "CHN", "USA", "import", "120190", "2017-01", 999.0),
                _landed("un_comtrade", "CHN", "USA", "import", "TOTAL", "2017", 5000.0),
                _landed("un_comtrade", "CHN", "DEU", "import", "120190", "2017", 7.0),
            ],
        ),
        "piie_sectors": _table(
            piie.SECTORS_SCHEMA,
            [{"hs8_code": c, "sector_label": s, "sector": s} for c, s in SECTORS.items()],
        ),
        "hs_nomenclature": _table(
            hs_nomenclature.NOMENCLATURE_SCHEMA,
            [
                {
                    "hs_revision": "HS2017",
                    "hs_code": "12",
                    "level": 2,
                    "description": "Oil seeds",
                    "section": "II",
                },
                {
                    "hs_revision": "HS2017",
                    "hs_code": "1201",
                    "level": 4,
                    "description": "Soya beans",
                    "section": "II",
                },
                {
                    "hs_revision": "HS2017",
                    "hs_code": "120190",
                    "level": 6,
                    "description": "Soya",
                    "section": "II",
                },
            ],
        ),
        "hs_sections": _table(
            hs_nomenclature.SECTIONS_SCHEMA,
            [{"hs_revision": "HS2017", "section": "II", "section_name": "Vegetable products"}],
        ),
        "mof_retaliation_list_2018": _table(china_mof.MOF_SCHEMA, []),
        # no tariff actions beyond the dataset's measures: the timeline is the measures alone
        "tariff_actions": _table(tariff_actions.ACTIONS_SCHEMA, []),
        "action_line_lists": _table(china_annex_2025.ACTION_LINE_LISTS_SCHEMA, []),
        # PIIE's dated event list is drawn beside the timeline, never folded into it
        "piie_tariff_events": _table(piie_events.SCHEMA, []),
        "hs_concordance": _table(hs_concordance.CONCORDANCE_SCHEMA, []),
        "product_categories": _table(
            product_categories.CATEGORIES_SCHEMA,
            [
                {
                    "category": "soybeans",
                    "subcategory": "soybeans",
                    "hs_revision": "HS2017",
                    "hs_prefix": "1201",
                    "match": "include",
                    "basis": "HS 12.01",
                }
            ],
        ),
        "exclusion_announcements": _table(
            china_exclusions.ANNOUNCEMENTS_SCHEMA,
            [
                {
                    "announcement_id": a,
                    "measure_id": m,
                    "effective_from_date": start,
                    "effective_to_date": end,
                    "stated_item_count": n,
                    "extends_announcement_ids": ext,
                    "is_unofficial": False,
                }
                for a, m, start, end, n, ext in ANNOUNCEMENTS
            ],
        ),
        "exclusion_items": _table(
            china_exclusions.ITEMS_SCHEMA,
            [
                {
                    "announcement_id": "A1",
                    "item_no": "1",
                    "is_ex_line": False,
                    "hs8_code": "12019010",
                }
            ],
        ),
        "exemption_scenarios": _table(
            scenarios.SCENARIOS_SCHEMA,
            [
                {
                    "scenario_id": "fixture_soy",
                    "description": "soybeans",
                    "base_schedule_id": SCHEDULE,
                    "base_date": date(2018, 9, 1),
                    "base_label": "2018-09-01",
                    "claimed_share_low": 0.03,
                    "claimed_share_high": 0.05,
                }
            ],
        ),
        "exemption_scenario_windows": _table(
            scenarios.WINDOWS_SCHEMA,
            [
                {
                    "scenario_id": "fixture_soy",
                    "window_months": m,
                    "window_start_date": date(2019, 1, 1),
                    "window_end_date": date(2019, 1 + m, 1) if m < 12 else date(2020, 1, 1),
                }
                for m in (6, 12)
            ],
        ),
        "exemption_scenario_rules": _table(
            scenarios.RULES_SCHEMA,
            [
                {
                    "scenario_id": "fixture_soy",
                    "rule_type": "include",
                    "rule_kind": "category",
                    "rule_value": "soybeans",
                },
                {
                    "scenario_id": "fixture_soy",
                    "rule_type": "exclude",
                    "rule_kind": "hs_prefix",
                    "rule_value": "8703",
                },
            ],
        ),
    }


# A second fixture: the same rows plus reviewed tariff-action records (one per kind of scope),
# their explicit line lists, the 2025 ITA matrix schedule (two CN8 lines) and a complete year
# of monthly US Census HS6 exports (the seasonal profile of soybeans). It feeds
# dim_tariff_actions and fct_tariff_action_lines, which are empty without action records, and
# the columns the first fixture leaves NULL or constant (incomplete actions, blanket-only
# coverage, seasonal duty relief).
# US exports of HS6 120190 to China in 2019 by calendar month: 30 + 10 + 10 x 6 = 100
CENSUS_2019_120190 = {1: 30.0, 2: 10.0, **{month: 6.0 for month in range(3, 13)}}
ITA = "ita_matrix_2025"
ITA_STATE = "CHN-20250328-retaliation_state"
ITA_LINES = {"12019011": 37.5, "87032319": 15.0}  # CN8 line -> its rate on 2025-03-28
HS6_LIST = "tradewar_tracker_hs6_2019"
# HS6 -> China's applied rate on 2019-06-01 and on 2019-09-01 (PIIE's HS6 list)
HS6_RATES = {"120190": (28.0, 33.0), "870323": (15.0, 20.0)}
# the farm-duty annexes: 12019011 is a 2025 code (the 2018 line is 12019010: a subheading
# match), 87032319 exists in both schedules, 99990000 matches nothing
ANNEXES = {
    "fixture_annex_15": [("12019011", 15.0)],
    "fixture_annex_10": [("87032319", 10.0), ("99990000", 10.0)],
}
SEP, HALF = "CHN-20190901-retaliation", "CHN-20200214-halving"
NEVER, UNKNOWN = "CHN-20191215-retaliation", "CHN-20250210-retaliation"
FARM, BLANKET = "CHN-20250310-farm", "CHN-20250410-blanket_10"
REDUCTION, FARM_OFF = "CHN-20250514-reduction", "CHN-20251110-farm_suspended"
SUSP = "CHN-20190101-suspension"


def _action(action_id, kind, operation, effective, scope_kind, evidence, **extra):
    """One reviewed tariff-action record as `tariff-etl` lands it (title/source are formulaic)."""
    row = dict.fromkeys(tariff_actions.ACTIONS_SCHEMA.names)
    row.update(
        action_id=action_id,
        title=f"title {action_id}",
        effective_date=effective,
        status="in_force",
        kind=kind,
        operation=operation,
        scope_kind=scope_kind,
        evidence=evidence,
        source=f"source {action_id}",
    )
    row.update(extra)
    return {k: v for k, v in row.items() if not k.startswith("_")}


def action_records():
    return [
        _action(MFN, "mfn_level", "set", date(2018, 1, 1), "dataset_measure",
                "published_dataset", scope_measure_id=MFN),
        _action(RET, "retaliation", "add", date(2018, 7, 6), "dataset_measure",
                "published_dataset", basis="s301", scope_measure_id=RET),
        _action(SUSP, "suspension", "suspend", date(2019, 1, 1), "dataset_measure",
                "published_dataset", basis="s301", scope_measure_id=SUSP),
        # the first exclusion list is ended by its extension
        _action(EXCL1, "exclusion", "exclude", date(2019, 3, 1), "exclusion_list",
                "official_list", basis="s301", scope_measure_id=EXCL1,
                announcement="A1", end_date=date(2019, 4, 1), ended_by=EXCL2),
        _action(EXCL2, "exclusion", "exclude", date(2019, 4, 1), "exclusion_list",
                "official_list", basis="s301", scope_measure_id=EXCL2,
                announcement="A2", end_date=date(2019, 5, 1)),
        _action(SEP, "retaliation", "add", date(2019, 9, 1), "derived", "derived",
                basis="s301", announced_date=date(2019, 8, 23),
                scope_method="sep2019_hs6_list_and_matrix_residual", method_note="sep note"),
        _action(HALF, "retaliation_change", "scale", date(2020, 2, 14), "action_lines",
                "derived", basis="s301", factor=0.5, scope_action_id=SEP,
                method_note="halving note"),
        _action(NEVER, "retaliation", "add", date(2019, 12, 15), "all_us_goods", "blanket",
                basis="s301", status="never_in_force", rate_pp=5.0),
        _action(UNKNOWN, "retaliation", "add", date(2025, 2, 10), "unknown_lines",
                "official_list", basis="ieepa", completeness_note="no line list bundled"),
        _action(FARM, "retaliation", "add", date(2025, 3, 10), "line_list", "official_list",
                announcement="cn_tcc_2025_02", announced_date=date(2025, 3, 4),
                scope_list_ids=list(ANNEXES)),
        _action(ITA_STATE, "retaliation_state", "set", date(2025, 3, 28), "dataset_measure",
                "published_dataset", scope_measure_id=ITA_STATE),
        _action(BLANKET, "retaliation", "add", date(2025, 4, 10), "all_us_goods", "blanket",
                basis="ieepa", rate_pp=10.0),
        _action(REDUCTION, "retaliation_change", "suspend", date(2025, 5, 14), "action_lines",
                "blanket", basis="ieepa", points=4.0, scope_action_id=BLANKET),
        _action(FARM_OFF, "suspension", "suspend", date(2025, 11, 10), "action_lines",
                "official_list", scope_action_id=FARM),
    ]  # fmt: skip


def raw_tables_with_actions():
    tables = raw_tables()

    def extended(name, schema, rows):
        return pa.concat_tables([tables[name], _table(schema, rows)])

    tables["tariff_measures"] = extended(
        "tariff_measures",
        piie.MEASURES_SCHEMA,
        [
            {
                "measure_id": ITA_STATE,
                "schedule_id": ITA,
                "reporter_iso3": "CHN",
                "target_partner_iso3": "USA",
                "kind": "retaliation_state",
                "effective_date": date(2025, 3, 28),
                "sequence": 1,
                "description": "ITA state",
            }
        ],
    )
    tables["tariff_lines"] = extended(
        "tariff_lines",
        piie.TARIFF_LINES_SCHEMA,
        [
            {
                "schedule_id": ITA,
                "national_line_code": c,
                "reporter_iso3": "CHN",
                "hs_revision": "HS2022",
                "description": c,
            }
            for c in ITA_LINES
        ],
    )
    tables["tariff_line_rates"] = extended(
        "tariff_line_rates",
        piie.LINE_RATES_SCHEMA,
        [
            {"schedule_id": ITA, "national_line_code": c, "measure_id": ITA_STATE, "rate_pp": v}
            for c, v in ITA_LINES.items()
        ],
    )
    tables["tariff_actions"] = _table(tariff_actions.ACTIONS_SCHEMA, action_records())
    # two more scenarios: one on the ITA schedule (HS2022 codes: the re-coded soybean line has
    # no exact 2017 trade), one whose base date falls inside exclusion A1; and a strategic
    # category (its name only matters: the rule is made up)
    tables["exemption_scenarios"] = extended(
        "exemption_scenarios",
        scenarios.SCENARIOS_SCHEMA,
        [
            {
                "scenario_id": sid,
                "description": sid,
                "base_schedule_id": schedule,
                "base_date": day,
                "base_label": str(day),
            }
            for sid, schedule, day in (
                ("fixture_ita", ITA, date(2025, 4, 1)),
                ("fixture_excluded", SCHEDULE, date(2019, 3, 15)),
            )
        ],
    )
    tables["exemption_scenario_windows"] = extended(
        "exemption_scenario_windows",
        scenarios.WINDOWS_SCHEMA,
        [
            {
                "scenario_id": "fixture_ita",
                "window_months": 12,
                "window_start_date": date(2025, 5, 1),
                "window_end_date": date(2026, 5, 1),
            }
        ],
    )
    tables["exemption_scenario_rules"] = extended(
        "exemption_scenario_rules",
        scenarios.RULES_SCHEMA,
        [
            {
                "scenario_id": "fixture_ita",
                "rule_type": "include",
                "rule_kind": "hs_prefix",
                "rule_value": "1201",
            },
            {
                "scenario_id": "fixture_excluded",
                "rule_type": "include",
                "rule_kind": "category",
                "rule_value": "soybeans",
            },
        ],  # fmt: skip
    )
    tables["product_categories"] = extended(
        "product_categories",
        product_categories.CATEGORIES_SCHEMA,
        [
            {
                "category": "semiconductors",
                "subcategory": "fixture_film",
                "hs_revision": "HS2017",
                "hs_prefix": "3702",
                "match": "include",
                "basis": "made up for the fixture",
            }
        ],
    )
    tables["landed_trade_flows"] = extended(
        "landed_trade_flows",
        LANDED_SCHEMA,
        [
            _landed("us_census", "USA", "CHN", "export", "120190", f"2019-{month:02d}", value)
            for month, value in CENSUS_2019_120190.items()
        ],
    )
    list_rows = [
        {
            "list_id": list_id,
            "item_no": n,
            "code": code,
            "code_level": 8,
            "nomenclature": "CN2025",
            "description": code,
            "as_of_date": date(2025, 3, 10),
            "rate_pct": rate,
        }
        for list_id, items in ANNEXES.items()
        for n, (code, rate) in enumerate(items, start=1)
    ] + [
        {
            "list_id": HS6_LIST,
            "item_no": n,
            "code": code,
            "code_level": 6,
            "nomenclature": "HS2017",
            "description": code,
            "as_of_date": day,
            "rate_pct": rate,
        }
        for n, (code, rates) in enumerate(HS6_RATES.items(), start=1)
        for day, rate in zip((date(2019, 6, 1), date(2019, 9, 1)), rates, strict=True)
    ]
    tables["action_line_lists"] = _table(china_annex_2025.ACTION_LINE_LISTS_SCHEMA, list_rows)
    return tables


def _build(raw_root, tables):
    import duckdb

    for name, table in tables.items():
        write_parquet_atomic(table, raw_root / name / "part-0.parquet")
    con = duckdb.connect()
    sql_runner.set_variables(con, {"raw_root": str(raw_root), "reference_root": str(raw_root)})
    for layer in sql_runner.LAYERS:
        sql_runner.build_layer(con, PROJECT_ROOT / "sql", layer)
    return con


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    con = _build(tmp_path_factory.mktemp("fixture") / "raw", raw_tables())
    yield con
    con.close()


@pytest.fixture(scope="module")
def built_with_actions(tmp_path_factory):
    con = _build(tmp_path_factory.mktemp("fixture_actions") / "raw", raw_tables_with_actions())
    yield con
    con.close()


def test_timeline_opens_a_window_only_when_something_changes(built):
    rows = built.execute(
        "select national_line_code, valid_from_date, valid_to_date, mfn_rate_pct, "
        "additional_rate_pct, applied_rate_pct, action_ids from marts.fct_tariff_timeline "
        "order by 1, 2"
    ).fetchall()
    d = date
    assert rows == [
        ("1201901000", d(2018, 1, 1), d(2018, 7, 6), 3.0, 0.0, 3.0, "CHN-20180101-mfn_level"),
        ("1201901000", d(2018, 7, 6), d(2019, 3, 1), 3.0, 25.0, 28.0, f"{MFN},{RET}"),
        # exclusion A1 lifts the s301 duty, then its extension A2 (a new window: new measure)
        ("1201901000", d(2019, 3, 1), d(2019, 4, 1), 3.0, 0.0, 3.0, f"{MFN},{RET},{EXCL1}"),
        ("1201901000", d(2019, 4, 1), d(2019, 5, 1), 3.0, 0.0, 3.0, f"{MFN},{RET},{EXCL2}"),
        ("1201901000", d(2019, 5, 1), None, 3.0, 25.0, 28.0, f"{MFN},{RET}"),
        ("3702520000", d(2018, 1, 1), None, None, 0.0, None, "CHN-20180101-mfn_level"),
        ("8703231911", d(2018, 1, 1), d(2018, 7, 6), 25.0, 0.0, 25.0, "CHN-20180101-mfn_level"),
        (
            "8703231911",
            d(2018, 7, 6),
            d(2019, 1, 1),
            25.0,
            25.0,
            50.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation",
        ),
        (
            "8703231911",
            d(2019, 1, 1),
            None,
            25.0,
            0.0,
            25.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation,CHN-20190101-suspension",
        ),
        ("8703231990", d(2018, 1, 1), d(2018, 7, 6), 15.0, 0.0, 15.0, "CHN-20180101-mfn_level"),
        (
            "8703231990",
            d(2018, 7, 6),
            d(2019, 1, 1),
            15.0,
            25.0,
            40.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation",
        ),
        (
            "8703231990",
            d(2019, 1, 1),
            None,
            15.0,
            0.0,
            15.0,
            "CHN-20180101-mfn_level,CHN-20180706-retaliation,CHN-20190101-suspension",
        ),
    ]


def test_coverage_counts_unmatched_trade_as_not_covered(built):
    rows = built.execute(
        "select as_of_date, sum(covered_value_usd), sum(not_covered_value_usd), "
        "sum(total_value_usd), sum(unmatched_value_usd), sum(lines_covered) "
        "from marts.fct_retaliation_coverage group by 1 order by 1"
    ).fetchall()
    assert rows == [
        (date(2018, 1, 1), 0.0, 200.0, 200.0, 40.0, 0),
        (date(2018, 7, 6), 150.0, 50.0, 200.0, 40.0, 3),
        (date(2019, 1, 1), 100.0, 100.0, 200.0, 40.0, 1),
        (date(2019, 3, 1), 0.0, 200.0, 200.0, 40.0, 0),
        (date(2019, 4, 1), 0.0, 200.0, 200.0, 40.0, 0),
        (date(2019, 5, 1), 100.0, 100.0, 200.0, 40.0, 1),
    ]
    sectors = built.execute(
        "select sector, covered_value_usd, lines_covered from marts.fct_retaliation_coverage "
        "where as_of_date = date '2018-07-06' order by 1"
    ).fetchall()
    assert sectors == [
        ("All other goods", 0.0, 0),
        ("Autos and parts", 50.0, 2),
        ("Not in PIIE sector list", 0.0, 0),
        ("Soybeans", 100.0, 1),
    ]


def test_average_tariff_averages_lines_within_hs8_then_weights_by_trade(built):
    rows = {
        r[0]: r[1:]
        for r in built.execute(
            "select as_of_date, avg_applied_rate_pct, avg_additional_rate_pct, avg_mfn_rate_pct, "
            "weighted_value_usd, excluded_value_usd from marts.fct_average_tariff "
            "where average_method = 'trade_weighted'"
        ).fetchall()
    }
    # HS8 87032319 = mean of its two lines: MFN 20, +25 -> 45; soybeans 3 -> 28
    applied, additional, mfn, weighted, excluded = rows[date(2018, 7, 6)]
    assert applied == pytest.approx((100 * 28 + 50 * 45) / 150)
    assert additional == pytest.approx((100 * 25 + 50 * 25) / 150)
    assert mfn == pytest.approx((100 * 3 + 50 * 20) / 150)
    assert (weighted, excluded) == (
        150.0,
        50.0,
    )  # 37025200 has no ad valorem rate; 99999999 no line
    assert rows[date(2019, 1, 1)][0] == pytest.approx((100 * 28 + 50 * 20) / 150)


def test_dimension_covers_every_known_hs8(built):
    rows = built.execute(
        "select hs8_code, sector, is_in_tariff_schedule, has_trade_record, hs2_description "
        "from marts.dim_product_categories order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["12019010", "37025200", "87032319", "99999999"]
    assert rows[0] == ("12019010", "Soybeans", True, True, "Oil seeds")
    assert rows[3][1:4] == ("Not in PIIE sector list", False, True)


def test_extension_inherits_the_items_and_flags_an_incomplete_list(built):
    rows = built.execute(
        "select announcement_id, hs8_code, items_found, stated_item_count, is_list_complete "
        "from intermediate.int_exclusion_lines_resolved order by 1"
    ).fetchall()
    assert rows == [("A1", "12019010", 1, 1, True), ("A2", "12019010", 1, 2, False)]
    flags = built.execute(
        "select valid_from_date, is_exclusion_in_force, exclusion_announcement_ids, "
        "is_exclusion_list_complete from marts.fct_tariff_timeline "
        "where national_line_code = '1201901000' and is_exclusion_in_force "
        "order by 1"
    ).fetchall()
    assert flags == [(date(2019, 3, 1), True, "A1", True), (date(2019, 4, 1), True, "A2", False)]
    incomplete = built.execute(
        "select as_of_date from marts.fct_retaliation_coverage where has_incomplete_exclusion_list"
    ).fetchall()
    assert incomplete == [(date(2019, 4, 1),)]


def test_eligibility_names_the_deciding_rule(built):
    rows = built.execute(
        "select national_line_code, is_taxed, is_eligible, decided_by, categories "
        "from marts.fct_exemption_eligibility order by 1"
    ).fetchall()
    assert rows == [
        ("1201901000", True, True, "include:category:soybeans", "soybeans"),
        ("3702520000", False, False, "not_taxed", None),
        ("8703231911", True, False, "exclude:hs_prefix:8703", None),
        ("8703231990", True, False, "exclude:hs_prefix:8703", None),
    ]


def test_coverage_metrics_by_method_and_window(built):
    rows = built.execute(
        "select weighting_method, window_months, taxed_value_usd, covered_value_usd, "
        "coverage_share, avg_additional_rate_before_pct, avg_additional_rate_after_pct, "
        "duty_relief_usd, lines_taxed, lines_covered from marts.fct_exemption_coverage "
        "where category = 'all' and weight_basis_id = ? order by 1, 2",
        [PIIE_BASIS],
    ).fetchall()
    for method in ("concordance", "exact_hs8", "hs6"):
        six, twelve = (r for r in rows if r[0] == method)
        # taxed: soybeans 100 + the two auto lines' halves of 50; covered: soybeans
        assert six[2:4] == (150.0, 100.0) and twelve[2:4] == (150.0, 100.0)
        assert six[4] == pytest.approx(2 / 3)
        assert six[5] == pytest.approx(25.0)
        assert six[6] == pytest.approx(50 * 25 / 150)
        assert (six[7], twelve[7]) == (pytest.approx(12.5), pytest.approx(25.0))
        assert six[8:] == (3, 1)
    soy = built.execute(
        "select taxed_value_usd, covered_value_usd, coverage_share from "
        "marts.fct_exemption_coverage where category = 'soybeans' and window_months = 6 "
        "and weighting_method = 'exact_hs8' and weight_basis_id = ?",
        [PIIE_BASIS],
    ).fetchall()
    assert soy == [(100.0, 100.0, 1.0)]


def test_weight_bases_come_from_every_source_of_us_goods_into_china(built):
    rows = built.execute(
        "select weight_basis_id, reporter_side, weight_year, hs_level, frequency, "
        "months_covered, is_complete_year, product_scope, is_default_basis, hs_codes, "
        "trade_value_usd from marts.dim_weight_bases order by 1"
    ).fetchall()
    assert rows == [
        (US_HS4_BASIS, "us_reported", 2018, 4, "monthly", 2, False, "phase_one_products",
         False, 2, 120.0),
        # the annual row wins over the monthly one of the same basis; TOTAL and DEU are no basis
        (PIIE_BASIS, "china_reported", 2017, 8, "annual", 12, True, "all_products", True, 4,
         200.0),
        ("un_comtrade.chn_imports.2017.hs2012.hs6", "china_reported", 2017, 6, "annual", 12, True,
         "all_products", False, 1, 80.0),
        (CN_HS6_BASIS, "china_reported", 2017, 6, "annual", 12, True, "all_products", False, 1,
         80.0),
    ]  # fmt: skip


def test_hs4_basis_splits_a_heading_equally_among_its_lines(built):
    rows = built.execute(
        "select national_line_code, weighting_method, is_trade_matched, trade_value_usd "
        "from intermediate.int_tariff_lines_weighted where weight_basis_id = ? "
        "and weighting_method = 'hs4' order by 1",
        [US_HS4_BASIS],
    ).fetchall()
    assert [(r[0], r[1], r[2], float(r[3])) for r in rows] == [
        ("1201901000", "hs4", True, 60.0),
        ("3702520000", "hs4", False, 0.0),
        ("8703231911", "hs4", True, 30.0),
        ("8703231990", "hs4", True, 30.0),
    ]
    methods = built.execute(
        "select distinct weighting_method from intermediate.int_tariff_lines_weighted "
        "where weight_basis_id = ? order by 1",
        [CN_HS6_BASIS],
    ).fetchall()
    # no exact_hs8 or hs8_recoded on an HS6 basis
    assert methods == [("by_2017_hs8_shares",), ("concordance",), ("hs6",)]


def test_band_spans_every_basis_and_method_per_product_scope(built):
    rows = built.execute(
        "select product_scope, coverage_share_low, coverage_share_high, estimates, "
        "weight_bases, low_weight_basis_id, high_weight_basis_id, claimed_share_low, "
        "claimed_share_high, is_band_overlapping_claim from marts.fct_exemption_band "
        "order by product_scope"
    ).fetchall()
    # only band methods on complete years define a band: the Census HS4 fixture basis covers
    # two months, so the phase_one_products scope has no band at all
    (everything,) = rows
    # PIIE HS8: 100 of 150 (hs8_recoded); Comtrade HS6: soybeans 80 of 80 taxed
    assert everything[0] == "all_products"
    assert everything[1] == pytest.approx(2 / 3) and everything[2] == pytest.approx(1.0)
    assert everything[5:7] == (PIIE_BASIS, CN_HS6_BASIS)
    assert everything[7:] == (0.03, 0.05, False)


def test_comtrade_cross_check_is_a_warning_that_finds_the_disagreement(built):
    from etl.quality import run_sql_test

    models = sql_runner.discover_models(PROJECT_ROOT / "sql")
    (test,) = [
        t
        for t in sql_runner.discover_tests(PROJECT_ROOT / "sql", models)
        if t.name == "assert_piie_total_agrees_with_comtrade"
    ]
    assert test.severity == "warning"
    assert {t.severity for t in sql_runner.discover_tests(PROJECT_ROOT / "sql", models)} == {
        "critical",
        "warning",
    }
    # fixture: PIIE 2017 rows sum to 200, Comtrade's 2017 TOTAL says 5,000
    result = run_sql_test(built, test.name, test.sql, test.description, test.severity)
    assert not result.success and result.severity == "warning"
    assert result.examples == [[2017, "200.00", "5000.00"]]  # decimals kept exact as text


# -- whole rows: every column of every mart against tests/sql/mart_expectations.py ------------


def _differences(expected: dict, actual: dict) -> dict:
    """{column: (expected, got)} for the columns that differ (floats to 1e-9, types strict)."""
    out = {}
    for column in expected.keys() | actual.keys():
        want, got = expected.get(column, "<absent>"), actual.get(column, "<absent>")
        if isinstance(want, float) and isinstance(got, float) and not isinstance(got, bool):
            same = math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9)
        else:
            same = type(want) is type(got) and want == got
        if not same:
            out[column] = (want, got)
    return out


def test_the_worked_expectations_restate_the_fixture():
    me = mart_expectations
    assert {c: v[0] for c, v in LINES.items()} == me.MFN_PCT
    assert {v[1] for v in LINES.values() if v[1]} == {me.RETALIATION_PP}
    assert me.PIIE_2017 == FLOWS
    sums: dict[str, float] = {}
    for code, _, value in LANDED_US_HS4:
        sums[code] = sums.get(code, 0.0) + value
    assert sums == me.CENSUS_HS4
    assert me.ITA_RATES == ITA_LINES
    listed = {c: r for items in ANNEXES.values() for c, r in items if c != "99990000"}
    assert listed == me.FARM_RATES
    assert {c: b - a for c, (a, b) in HS6_RATES.items()} == me.HS6_RISE
    assert {a["action_id"] for a in action_records()} == {
        r["action_id"] for r in me.DIM_TARIFF_ACTIONS
    }
    year = sum(CENSUS_2019_120190.values())
    assert year == me.CENSUS_2019_120190
    assert {m: v / year for m, v in CENSUS_2019_120190.items()} == me.CENSUS_SHARES


ROW_SETS = [
    pytest.param(mart, i, id=f"{mart}-{spec.fixture}")
    for mart, specs in sorted(mart_expectations.EXPECTED.items())
    for i, spec in enumerate(specs)
]


@pytest.mark.parametrize(("mart", "index"), ROW_SETS)
def test_mart_rows_equal_hand_worked_rows(mart, index, request):
    spec = mart_expectations.EXPECTED[mart][index]
    con = request.getfixturevalue(spec.fixture)
    cursor = con.execute(f"select * from marts.{mart}")
    columns = [d[0] for d in cursor.description]
    actual = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    # every expected row is a whole row: exactly the mart's columns
    for row in spec.rows:
        assert sorted(row) == sorted(columns), (
            f"{mart}: expected row {[row[k] for k in spec.key]} lacks "
            f"{sorted(set(columns) - set(row))} / has extra {sorted(set(row) - set(columns))}"
        )

    def key(row):
        return tuple(row[k] for k in spec.key)

    expected_by_key = {key(r): r for r in spec.rows}
    assert len(expected_by_key) == len(spec.rows), f"{mart}: duplicate keys in the expectations"
    actual_by_key = {key(r): r for r in actual}
    assert len(actual_by_key) == len(actual), f"{mart}: duplicate keys {spec.key} in the mart"
    if spec.complete:
        missing = sorted(expected_by_key.keys() - actual_by_key.keys(), key=str)
        unexpected = sorted(actual_by_key.keys() - expected_by_key.keys(), key=str)
        assert not missing and not unexpected, (
            f"{mart}: rows missing {missing}, rows not worked out {unexpected}"
        )
    wrong = {
        k: diff
        for k, row in expected_by_key.items()
        if (diff := _differences(row, actual_by_key.get(k, {})))
    }
    assert not wrong, f"{mart}: rows differ (column: (expected, got)): {wrong}"
