"""Every suite passes the real data and fails data broken in the way it guards against."""

from __future__ import annotations

import duckdb
import pytest

from etl import pipeline, runs, sql_runner
from etl.errors import QualityGateError
from etl.quality import validate_frame, validate_relation
from expectations import SUITES
from tests.helpers import PROJECT_ROOT


@pytest.fixture(scope="module")
def rebuilt(published):
    """All layers rebuilt in memory from the published run's raw Parquet."""
    settings, _ = published
    con = duckdb.connect()
    sql_runner.set_variables(
        con,
        {
            "raw_root": str(settings.current_dir / "raw"),
            "reference_root": str(settings.reference_dir),
        },
    )
    for layer in sql_runner.LAYERS:
        sql_runner.build_layer(con, PROJECT_ROOT / "sql", layer)
    yield settings, con
    con.close()


def frame(con, layer, name, settings):
    if layer == "raw":
        return con.execute(
            f"select * from read_parquet('{settings.current_dir}/raw/{name}/*.parquet')"
        ).df()
    return con.execute(f"select * from {layer}.{name}").df()


def suite_named(full_name):
    layer, name = full_name.split(".", 1)
    return next(b() for b in SUITES[layer] if b.__name__ == name)


def failures(results):
    return {(r.check, r.column) for r in results if not r.success and r.severity == "critical"}


@pytest.mark.parametrize("layer", list(SUITES))
def test_every_suite_passes_on_the_real_data(rebuilt, layer):
    settings, con = rebuilt
    for builder in SUITES[layer]:
        suite = builder()
        assert suite.name == f"{layer}.{builder.__name__}"
        results = validate_frame(frame(con, layer, builder.__name__, settings), suite)
        assert failures(results) == set(), suite.name


def test_codes_that_lost_their_leading_zero_fail_raw(rebuilt):
    settings, con = rebuilt
    df = frame(con, "raw", "tariff_lines", settings)
    df.loc[0, "national_line_code"] = df.loc[0, "national_line_code"].lstrip("0")
    assert ("expect_column_values_to_match_regex", "national_line_code") in failures(
        validate_frame(df, suite_named("raw.tariff_lines"))
    )


def test_duplicate_key_fails_staging(rebuilt):
    settings, con = rebuilt
    df = frame(con, "staging", "stg_tariffs__schedule_lines", settings)
    first, second = df.index[df["schedule_id"] == "piie_2019_06"][:2]
    df.loc[second, "national_line_code"] = df.loc[first, "national_line_code"]
    code = df.loc[first, "national_line_code"]
    results = validate_frame(df, suite_named("staging.stg_tariffs__schedule_lines"))
    key = ("expect_compound_columns_to_be_unique", "schedule_id,national_line_code")
    assert key in failures(results)
    failed = next(r for r in results if (r.check, r.column) == key)
    assert failed.unexpected_count == 2
    assert code in str(failed.examples)
    assert failed.line().startswith(
        "staging.stg_tariffs__schedule_lines: expect_compound_columns_to_be_unique on column "
        "'schedule_id,national_line_code' failed (2 unexpected values; e.g."
    )


def test_implausible_rate_fails_staging(rebuilt):
    settings, con = rebuilt
    df = frame(con, "staging", "stg_tariffs__line_rates", settings)
    df.loc[5, "rate_pp"] = 1e6
    assert ("expect_column_values_to_be_between", "rate_pp") in failures(
        validate_frame(df, suite_named("staging.stg_tariffs__line_rates"))
    )


def test_fanned_out_join_fails_intermediate(rebuilt):
    settings, con = rebuilt
    import pandas as pd

    df = frame(con, "intermediate", "int_trade_flows_joined_to_tariff_lines", settings)
    df = pd.concat([df, df.head(3)], ignore_index=True)
    assert ("expect_compound_columns_to_be_unique", "trade_flow_id,as_of_date") in failures(
        validate_frame(df, suite_named("intermediate.int_trade_flows_joined_to_tariff_lines"))
    )


def test_covered_above_taxed_fails_marts(rebuilt):
    settings, con = rebuilt
    df = frame(con, "marts", "fct_retaliation_coverage", settings)
    df.loc[0, "covered_value_usd"] = df.loc[0, "total_value_usd"] + 1
    df.loc[1, "coverage_share"] = 1.2
    found = failures(validate_frame(df, suite_named("marts.fct_retaliation_coverage")))
    assert (
        "expect_column_pair_values_a_to_be_greater_than_b",
        "total_value_usd>=covered_value_usd",
    ) in found
    assert ("expect_column_values_to_be_between", "coverage_share") in found


def test_large_tables_are_validated_in_chunks_with_the_same_verdict(rebuilt):
    settings, con = rebuilt
    suite = suite_named("raw.tariff_line_rates")
    path = f"read_parquet('{settings.current_dir}/raw/tariff_line_rates/*.parquet')"
    # the suite has a row-count expectation, so it is validated whole; a row-level-only suite
    # is chunked: same verdict either way
    import great_expectations as gx

    row_level = gx.ExpectationSuite(
        name="raw.rates_rows",
        expectations=[e for e in suite.expectations if "row_count" not in e.expectation_type],
    )
    whole = validate_relation(con, path, row_level, chunk_rows=10**9)
    chunked = validate_relation(con, path, row_level, chunk_rows=20_000)
    assert [r.success for r in whole] == [r.success for r in chunked]
    assert all(r.success for r in chunked)


def test_a_failing_gate_stops_the_run_before_publish(published, tmp_path):
    """Tamper with a built mart: the marts gate names suite, check and values; nothing publishes."""
    from etl.settings import Settings

    settings = Settings(warehouse=tmp_path / "wh")
    pipeline.ingest_raw(settings)
    run_id = pipeline.start_run(settings)
    pipeline.check_layer(settings, run_id, "raw")
    for layer in sql_runner.LAYERS:
        pipeline.build_layer(settings, run_id, layer)
        if layer != "marts":
            pipeline.check_layer(settings, run_id, layer)
    con = duckdb.connect(str(settings.run_dir(run_id) / "build.duckdb"))
    con.execute(
        "update marts.fct_retaliation_coverage set coverage_share = 1.5 where sector = 'Soybeans'"
    )
    con.close()
    with pytest.raises(QualityGateError) as err:
        pipeline.check_layer(settings, run_id, "marts")
    message = str(err.value)
    assert message.startswith(
        "quality gate 'marts' failed: marts.fct_retaliation_coverage: "
        "expect_column_values_to_be_between on column 'coverage_share'"
    )
    assert "1.5" in message
    with pytest.raises(QualityGateError, match="cannot be published"):
        pipeline.publish(settings, run_id)
    assert runs.current_run_id(settings) is None
    assert not settings.duckdb_path.exists()
