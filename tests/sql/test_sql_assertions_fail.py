"""Every SQL assertion of `sql/tests/` can fail: a fixture that breaks its rule makes it return
exactly the offending rows, and a fixture where the rule holds (at its limits) makes it pass.

Fixtures live in `tests/fixtures/sql_assertions/<assertion>/` (see the README there): tables are
loaded into an in-memory DuckDB, a model the assertion reads that the fixture does not create is
built from its real SQL, and the assertion runs through `etl.quality.run_sql_test`, the function
the pipeline's gates call. A new assertion without a violated case here fails the suite.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from etl import sql_runner
from etl.quality import run_sql_test
from tests.helpers import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "sql"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "sql_assertions"
ASSERTIONS = sorted(p.stem for p in (SQL_DIR / "tests").glob("assert_*.sql"))

# (assertion, violated case) -> the offending rows the assertion must return, as the gate
# reports them (dates and decimals as text)
VIOLATIONS: dict[tuple[str, str], list[list]] = {
    ("assert_every_line_has_a_value_for_every_measure", "missing_value"): [
        ["1201901000", "CHN-20180706-retaliation", False, True]
    ],
    ("assert_every_line_has_a_value_for_every_measure", "extra_value"): [
        ["8703231911", "CHN-20190301-exclusion-01", True, False]
    ],
    ("assert_every_measure_is_a_reviewed_action", "measure_without_record"): [
        [
            "CHN-20180823-retaliation",
            None,
            "2018-08-23",
            None,
            "measure without a tariff-action record",
        ]
    ],
    ("assert_every_measure_is_a_reviewed_action", "record_without_measure"): [
        [
            "CHN-20180924-retaliation",
            "CHN-20180924-retaliation",
            None,
            "2018-09-24",
            "tariff-action record names no measure",
        ]
    ],
    ("assert_every_measure_is_a_reviewed_action", "dates_differ"): [
        [
            "CHN-20180706-retaliation",
            "CHN-20180706-retaliation",
            "2018-07-06",
            "2018-07-07",
            "dates differ",
        ]
    ],
    ("assert_mof_2018_list_matches_piie", "rate_differs"): [
        ["08111000", "rate_differs", 25.0, 15.0]
    ],
    ("assert_mof_2018_list_matches_piie", "only_in_mof_list"): [
        ["22042100", "only_in_mof_list", 15.0, None]
    ],
    ("assert_mof_2018_list_matches_piie", "only_in_piie"): [
        ["12019010", "only_in_piie", None, 25.0]
    ],
    ("assert_piie_total_agrees_with_comtrade", "totals_differ"): [[2017, "100.00", "101.02"]],
    ("assert_raw_trade_value_reconciles_to_staging", "row_dropped"): [[3, 2, "175.75", "150.75"]],
    ("assert_raw_trade_value_reconciles_to_staging", "cent_lost"): [[3, 3, "175.75", "175.74"]],
    ("assert_scenario_covered_never_exceeds_taxed", "covered_above_taxed"): [
        ["seed_story", "b1", "hs8_recoded", "soybeans", 12]
    ],
    ("assert_scenario_covered_never_exceeds_taxed", "more_lines_covered_than_taxed"): [
        ["seed_story", "b1", "hs8_recoded", "all", 12]
    ],
    ("assert_scenario_covered_never_exceeds_taxed", "average_rises"): [
        ["seed_story", "b1", "hs8_recoded", "soybeans", 12]
    ],
    ("assert_timeline_windows_do_not_overlap", "window_ends_a_day_late"): [
        ["piie_2019_06", "1201901000", "2018-01-01", "2018-07-06"]
    ],
    ("assert_timeline_windows_do_not_overlap", "open_window_never_closed"): [
        ["piie_2019_06", "8703231911", "2018-01-01", "2019-01-01"]
    ],
    ("assert_trade_join_does_not_fan_out", "join_fans_out"): [[4, 5]],
    ("assert_trade_join_does_not_fan_out", "join_loses_a_row"): [[4, 3]],
    ("assert_trade_value_reconciles_staging_to_marts", "total_loses_a_cent"): [
        ["2018-07-06", "149.99", "150.00", "150.00"]
    ],
    ("assert_trade_value_reconciles_staging_to_marts", "covered_counted_twice"): [
        ["2018-07-06", "150.00", "180.00", "150.00"]
    ],
    ("assert_weight_basis_ids_name_a_weight_basis", "old_vocabulary"): [
        ["fct_retaliation_coverage", "china_imports_from_usa_hs8"]
    ],
    ("assert_weight_basis_ids_name_a_weight_basis", "trade_weighted_without_a_basis"): [
        ["fct_average_tariff", None]
    ],
    ("assert_weight_basis_ids_name_a_weight_basis", "band_names_an_unknown_basis"): [
        ["fct_exemption_band", "b2018"]
    ],
    ("assert_weight_value_mapping_accounts_for_every_dollar", "value_dropped_unseen"): [
        ["ita", "b6", None]
    ],
    ("assert_weight_value_mapping_accounts_for_every_dollar", "code_gives_more_than_it_has"): [
        ["ita", "b6", "120190"]
    ],
}


def _assertion(name: str) -> sql_runner.SqlTest:
    models = sql_runner.discover_models(SQL_DIR)
    (test,) = [t for t in sql_runner.discover_tests(SQL_DIR, models) if t.name == name]
    return test


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _build_missing(
    con: duckdb.DuckDBPyConnection, relation: str, models: dict[str, sql_runner.Model]
) -> None:
    """Build `relation` from its real model SQL (after its inputs) unless the fixture made it."""
    if _exists(con, relation):
        return
    model = models[relation]
    for dependency in sorted(model.depends_on):
        _build_missing(con, dependency, models)
    con.execute(f"create table {relation} as\n{model.sql.strip().rstrip(';')}")


def _load(con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str, *files: Path) -> None:
    con.execute("create schema raw_files")
    for path in files:
        con.execute(path.read_text(encoding="utf-8"))
    raw_root = tmp_path / "raw"
    for (table,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw_files'"
    ).fetchall():
        target = raw_root / table / "part-0.parquet"
        target.parent.mkdir(parents=True)
        con.execute(f"copy raw_files.{table} to '{target}' (format parquet)")
    sql_runner.set_variables(con, {"raw_root": str(raw_root), "reference_root": str(raw_root)})
    models = sql_runner.discover_models(SQL_DIR)
    for relation in sorted(_assertion(name).depends_on):
        _build_missing(con, relation, models)


def _run(con: duckdb.DuckDBPyConnection, name: str):
    test = _assertion(name)
    return run_sql_test(con, test.name, test.sql, test.description, test.severity)


@pytest.mark.parametrize("name", ASSERTIONS)
def test_assertion_passes_where_its_rule_holds(con, tmp_path, name):
    _load(con, tmp_path, name, FIXTURES / name / "satisfied.sql")
    result = _run(con, name)
    assert result.success, (
        f"{name} fails on satisfied.sql, where its rule holds: offending rows {result.examples}"
    )


@pytest.mark.parametrize(("name", "case"), sorted(VIOLATIONS))
def test_assertion_fails_on_the_fixture_that_breaks_its_rule(con, tmp_path, name, case):
    violated = FIXTURES / name / f"violated_{case}.sql"
    _load(con, tmp_path, name, FIXTURES / name / "satisfied.sql", violated)
    result = _run(con, name)
    assert not result.success, (
        f"{name} PASSED on {violated.name}, a fixture that breaks its rule: the assertion no "
        f"longer catches {case.replace('_', ' ')}"
    )
    assert result.examples == VIOLATIONS[name, case], (
        f"{name} on {violated.name} returned {result.examples}, "
        f"expected the offending rows {VIOLATIONS[name, case]}"
    )
    assert result.suite == f"sql_tests.{name}"


def test_every_assertion_has_a_fixture_that_violates_it():
    """A new file in sql/tests/ without a violated case (and its expected rows) fails here."""
    assert len(ASSERTIONS) >= 9
    without_case = [a for a in ASSERTIONS if not any(n == a for n, _ in VIOLATIONS)]
    assert not without_case, f"SQL assertions with no violating fixture case: {without_case}"
    on_disk = {
        (p.parent.name, p.stem.removeprefix("violated_"))
        for p in FIXTURES.glob("assert_*/violated_*.sql")
    }
    assert on_disk == set(VIOLATIONS), (
        f"fixture files without expected rows: {sorted(on_disk - set(VIOLATIONS))}; "
        f"expected rows without a fixture file: {sorted(set(VIOLATIONS) - on_disk)}"
    )
    assert {p.name for p in FIXTURES.glob("assert_*")} == set(ASSERTIONS), (
        "fixture folders and sql/tests/ assertions differ"
    )


def test_the_gates_run_every_assertion_tested_here():
    """The assertions tested here are the ones the gates run (same discovery)."""
    models = sql_runner.discover_models(SQL_DIR)
    tests = sql_runner.discover_tests(SQL_DIR, models)
    assert sorted(t.name for t in tests) == ASSERTIONS
    gated = [
        t.name for layer in sql_runner.LAYERS for t in sql_runner.tests_for_layer(tests, layer)
    ]
    assert sorted(gated) == ASSERTIONS
