"""The Parquet contract: what BI tools and analysts read matches the one source of truth."""

from __future__ import annotations

import re

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from etl import analyst
from etl.contract import CONTRACT_VERSION, MARTS, data_dictionary_markdown
from etl.errors import EtlError
from tests.helpers import PROJECT_ROOT

pytestmark = pytest.mark.e2e
DUCKDB_TO_ARROW = {
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}


def test_committed_data_dictionary_is_generated_from_the_contract():
    committed = (PROJECT_ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary_markdown() + "\n", "run `tariff-etl docs`"


def test_published_schema_equals_the_contract(marts_con):
    for name, spec in MARTS.items():
        got = [(r[0], r[1]) for r in marts_con.execute(f"describe {name}").fetchall()]
        assert got == [(c.name, c.type) for c in spec.columns], name


def test_parquet_files_carry_the_contract_version(published):
    settings, _ = published
    for name in MARTS:
        for path in (settings.current_dir / "marts" / name).rglob("*.parquet"):
            meta = pq.read_metadata(path).metadata
            assert meta[b"contract_version"] == CONTRACT_VERSION.encode(), path
            assert meta[b"mart"] == name.encode()


def test_readme_examples_on_the_tariff_actions(published):
    """The two examples on the action timeline: soybeans' windows and the incomplete actions."""
    from etl.tariff_actions import load_actions

    settings, _ = published
    examples = readme_examples()
    cols, soy = analyst.run_query(settings, examples["soybeans_through_the_trade_war"])
    windows = [dict(zip(cols, r, strict=True)) for r in soy]
    assert str(windows[0]["valid_from_date"]) == "2018-01-01"
    assert windows[0]["additional_rate_pct"] == 0.0
    assert {str(w["valid_from_date"]): w["additional_rate_pct"] for w in windows}[
        "2018-07-06"
    ] == 25.0  # PIIE: the 6 July 2018 list
    for before, after in zip(windows, windows[1:], strict=False):
        assert before["valid_to_date"] == after["valid_from_date"]  # no gap, no overlap
    assert windows[-1]["valid_to_date"] is None
    assert all(w["action_ids"] for w in windows)  # every window names its actions

    cols, incomplete = analyst.run_query(settings, examples["actions_without_a_full_line_list"])
    listed = {r[cols.index("action_id")] for r in incomplete}
    reviewed = load_actions(settings.reference_dir / "tariff_actions")
    unknown = {a for a, (action, _) in reviewed.items() if action.scope.kind == "unknown_lines"}
    assert unknown and unknown <= listed  # an action with no line list is never complete
    assert listed <= set(reviewed)
    assert all(r[cols.index("evidence")] for r in incomplete)


@pytest.mark.parametrize("name", list(MARTS))
def test_three_readers_see_the_same_rows_and_types(published, marts_con, name):
    settings, _ = published
    spec = MARTS[name]
    folder = settings.current_dir / "marts" / name
    columns = [c.name for c in spec.columns]
    expected_types = {c.name: DUCKDB_TO_ARROW[c.type] for c in spec.columns}

    partitioning = (
        ds.partitioning(pa.schema([(p, pa.string()) for p in spec.partition_by]), flavor="hive")
        if spec.partition_by
        else None
    )
    arrow = ds.dataset(folder, format="parquet", partitioning=partitioning).to_table()
    arrow = arrow.select(columns).sort_by([(k, "ascending") for k in spec.key])
    for column in columns:
        assert arrow.schema.field(column).type == expected_types[column], (name, column)

    lazy = pl.scan_parquet(str(folder / "**" / "*.parquet"), hive_partitioning=True)
    polars_frame = lazy.collect().select(columns).sort(list(spec.key))

    order = ", ".join(spec.key)
    duck = marts_con.execute(f"select * from {name} order by {order}").to_arrow_table()

    assert arrow.num_rows == polars_frame.height == duck.num_rows > 0
    assert arrow.to_pylist() == duck.to_pylist()
    assert polars_frame.to_arrow().cast(arrow.schema).to_pylist() == arrow.to_pylist()


def readme_examples() -> dict[str, str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"```sql\n-- example: (\w+)\n(.*?)```", text, re.S))


def test_readme_has_eight_example_queries():
    assert len(readme_examples()) == 8


def test_readme_example_queries_return_the_expected_rows(published):
    settings, _ = published
    examples = readme_examples()
    rows = {name: analyst.run_query(settings, sql) for name, sql in examples.items()}

    cols, soy = rows["soybean_lines_exempted"]
    assert [r[0] for r in soy] == [
        "12011000",
        "12019011",
        "12019019",
        "12019020",
        "12019030",
        "12019090",
    ]
    assert dict((r[0], r[1]) for r in soy)["12019011"] == 37.5

    cols, heavy = rows["taxed_above_25_with_big_trade"]
    assert heavy and all(r[cols.index("additional_rate_pct")] > 25 for r in heavy)
    assert all(r[cols.index("trade_value_2017_usd")] > 1e8 for r in heavy)
    assert "12019011" in {r[0] for r in heavy}  # soybeans: +37.5%, $2.8bn of 2017 trade

    cols, sectors = rows["coverage_by_sector_june_2019"]
    by_sector = {r[0]: r[1] for r in sectors}
    assert by_sector["Soybeans"] == 13.93 and by_sector["Autos and parts"] == 0.0

    cols, band = rows["band_against_the_claim"]
    assert {r[0] for r in band} >= {"seed_story", "pharma_medical_only"}
    assert {r[1] for r in band} == {"all_products", "phase_one_products"}

    cols, by_basis = rows["seed_story_by_weight_basis"]
    shares = {(r[0], r[1]): r[2] for r in by_basis}
    # PIIE 2017 + Census Phase One HS4 2013..2020 + Census HS6 2013..2021 (2021: January only)
    assert len({label for label, _ in shares}) == 18
    piie = [v for (label, method), v in shares.items() if "[piie_itc_trade_map]" in label]
    assert sorted(piie) == [4.8, 18.1, 18.4, 18.7]
    assert {m for (label, m) in shares if "Phase One products only" in label} == {
        "hs4",
        "by_2017_hs8_shares",
    }

    cols, shrimp = rows["what_lifted_a_line"]
    windows = [(str(r[1]), r[3]) for r in shrimp]
    assert windows[0] == ("2018-01-01", 0.0)
    assert ("2019-09-17", 0.0) in windows and any(rate > 0 for _, rate in windows)


@pytest.mark.parametrize(
    "statement",
    [
        "create table x as select 1",
        "copy (select 1) to '/tmp/tariff_etl_should_not_exist.csv'",
        "select 1; drop view fct_exemption_band",
        "attach '/tmp/other.duckdb'",
    ],
)
def test_sql_tool_refuses_to_write(published, statement):
    settings, _ = published
    with pytest.raises(EtlError, match="only queries are allowed|does not parse"):
        analyst.run_query(settings, statement)
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        assert con.execute("select count(*) from fct_exemption_band").fetchall()[0][0] > 0
    finally:
        con.close()


def cli(settings, *args):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TARIFF_ETL_WAREHOUSE": str(settings.warehouse)}
    return subprocess.run(
        [sys.executable, "-m", "etl.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_json_output_and_refusals(published):
    import json

    settings, _ = published
    bands = json.loads(cli(settings, "scenarios", "--json").stdout)
    assert {b["scenario_id"] for b in bands} >= {"seed_story", "exclusion_2019_first_list"}
    rows = json.loads(
        cli(
            settings, "sql", "select count(*) as n from fct_exemption_band", "--format", "json"
        ).stdout
    )
    assert rows == [{"n": len(bands)}]
    refused = cli(settings, "sql", "copy (select 1) to '/tmp/tariff_etl_nope.csv'")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: only queries are allowed here (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, "
        "EXPLAIN of a query); got COPY: the published data is read-only"
    ]
