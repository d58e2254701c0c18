"""Hostile SQL against the read-only analyst tools (`sql`, `shell`, `tables`): the attacks of
issue 11 and their relatives. Every case must leave the published files as they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import PROJECT_ROOT, tree_checksums


def _mart_file(settings, mart="fct_exemption_band"):
    return next((settings.current_dir / "marts" / mart).rglob("*.parquet"))


def copy_over_mart(settings):
    return (
        f"explain analyze copy (select 'x' as scenario_id) to '{_mart_file(settings)}' "
        "(format parquet)"
    )


# case -> (sql built from the published settings, what the refusal says)
ATTACKS = {
    "explain_analyze_copy_over_a_mart": (copy_over_mart, "got COPY"),
    "copy_over_a_mart": (
        lambda s: f"copy (select 1 as x) to '{_mart_file(s)}' (format parquet)",
        "got COPY",
    ),
    "explain_analyze_copy_behind_comments": (
        lambda s: (
            f"/* x */ EXPLAIN /* y */ ANALYZE -- z\n COPY (select 1) TO '{s.warehouse}/x.csv'"
        ),
        "got COPY",
    ),
    "explain_options_then_copy": (
        lambda s: f"explain (format json) copy (select 1) to '{s.warehouse}/x.csv'",
        "got COPY",
    ),
    "explain_analyze_install_httpfs": (lambda s: "explain analyze install httpfs", "got LOAD"),
    "install_httpfs": (lambda s: "install httpfs", "got LOAD"),
    "load_httpfs": (lambda s: "load httpfs", "got LOAD"),
    "export_database": (lambda s: f"export database '{s.warehouse}/dump'", "got EXPORT"),
    "attach_a_file": (lambda s: f"attach '{s.warehouse}/evil.duckdb' as evil", "got ATTACH"),
    "second_statement_copies": (
        lambda s: f"select 1; copy (select 1) to '{s.warehouse}/x.csv'",
        "got COPY",
    ),
    "prepare_execute": (
        lambda s: f"prepare p as copy (select 1) to '{s.warehouse}/x.csv'; execute p",
        "got PREPARE",
    ),
    "set_external_access_back_on": (lambda s: "set enable_external_access = true", "got SET"),
    "reset_allowed_directories": (lambda s: "reset allowed_directories", "got SET"),
    "pragma": (lambda s: "pragma enable_profiling", "got PRAGMA"),
    "call_query": (lambda s: "call query('select 1')", "got CALL"),
    "create_table": (lambda s: "create table t as select 1", "got CREATE"),
    "query_function_runs_text": (
        lambda s: "select * from query('select 42')",
        "query() runs SQL given as text",
    ),
    "query_function_quoted_upper": (
        lambda s: "select * from \"QUERY\"('select 42')",
        "query() runs SQL given as text",
    ),
    "query_table_function": (
        lambda s: "from main.query_table('fct_exemption_band')",
        "query_table() runs SQL given as text",
    ),
    "serialized_sql": (
        lambda s: "select * from json_execute_serialized_sql(json_serialize_sql('select 1'))",
        "json_execute_serialized_sql() runs SQL",
    ),
    "enable_logging_function": (lambda s: "select * from enable_logging()", "acts on the engine"),
    "read_etc_passwd": (
        lambda s: "select * from read_csv('/etc/passwd', sep=':')",
        "Permission Error",
    ),
    "read_text_outside": (lambda s: "select * from read_text('/etc/hostname')", "Permission Error"),
    "dot_dot_out_of_the_warehouse": (
        lambda s: f"select * from read_text('{s.current_dir}/../../../../etc/passwd')",
        "Permission Error",
    ),
    "remote_url": (
        lambda s: "select * from read_csv('https://example.com/data.csv')",
        "Permission Error",
    ),
    "glob_outside": (lambda s: "select * from glob('/etc/*')", "Permission Error"),
    "not_sql": (lambda s: "drop everything now", "does not parse"),
    "empty": (lambda s: "  ;  ", "no SQL statement"),
}


@pytest.fixture(scope="module")
def before(published):
    settings, _ = published
    return tree_checksums(settings.current_dir), settings.duckdb_path.read_bytes()


@pytest.mark.parametrize("case", list(ATTACKS))
def test_hostile_sql_is_refused_and_changes_nothing(published, before, run_cli, tmp_path, case):
    settings, _ = published
    build, says = ATTACKS[case]
    result = run_cli(settings.warehouse, "sql", build(settings))
    assert result.code == 2, (case, result.err)
    assert says in result.err and result.err.count("\n") == 1, result.err
    assert (tree_checksums(settings.current_dir), settings.duckdb_path.read_bytes()) == before
    assert not (tmp_path / "home" / ".duckdb").exists()
    leftovers = {"x.csv", "dump", "evil.duckdb"} & {p.name for p in settings.warehouse.iterdir()}
    assert not leftovers


@pytest.mark.parametrize(
    "query",
    [
        "select count(*) as n from fct_exemption_band",
        "explain analyze select count(*) from fct_tariff_timeline",
        "explain (select 1)",
        "describe fct_exemption_band",
        "show tables",
        "summarize select 1 as a",
        "select 'query(' as text, 1 as query",
    ],
)
def test_queries_still_run(published, run_cli, query):
    settings, _ = published
    result = run_cli(settings.warehouse, "sql", query, "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)


def test_published_parquet_readable_inside_the_sandbox_and_allow_files_opens_a_folder(
    published, run_cli, tmp_path
):
    settings, _ = published
    mart = _mart_file(settings)
    inside = run_cli(
        settings.warehouse, "sql", f"select count(*) as n from '{mart}'", "--format", "csv"
    )
    assert inside.code == 0 and int(inside.out.split("\r\n")[1]) > 0
    extra = tmp_path / "mine"
    extra.mkdir()
    (extra / "a.csv").write_text("x\n41\n")
    query = f"select x + 1 as y from read_csv('{extra / 'a.csv'}')"
    assert run_cli(settings.warehouse, "sql", query).code == 2
    allowed = run_cli(
        settings.warehouse, "sql", query, "--allow-files", str(extra), "--format", "csv"
    )
    assert allowed.code == 0 and allowed.out == "y\r\n42\r\n"


def test_attacks_through_the_shell_fail_and_the_shell_exits_non_zero(published, before, tmp_path):
    settings, _ = published
    script = f"select 1 as ok;\n{copy_over_mart(settings)};\nexplain analyze install httpfs;\n"
    env = {**os.environ, "TARIFF_ETL_WAREHOUSE": str(settings.warehouse), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "etl.cli", "shell", "--format", "csv"],
        input=script,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "ok\n1\n" in result.stdout  # (text mode reads CRLF as \\n)
    assert result.stderr.count("got COPY") == 1 and result.stderr.count("got LOAD") == 1
    assert "2 statement(s) failed" in result.stderr
    assert (tree_checksums(settings.current_dir), settings.duckdb_path.read_bytes()) == before
    assert not (tmp_path / ".duckdb").exists()
    clean = subprocess.run(
        [sys.executable, "-m", "etl.cli", "shell"],
        input="select 1;\n.quit\n",
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert clean.returncode == 0, clean.stderr


def test_a_remote_url_creates_no_duckdb_folder_in_home(published, tmp_path):
    settings, _ = published
    env = {**os.environ, "TARIFF_ETL_WAREHOUSE": str(settings.warehouse), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "etl.cli", "sql", "select * from 'https://example.com/x.parquet'"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Permission Error" in result.stderr, result.stderr
    assert not (tmp_path / ".duckdb").exists()
