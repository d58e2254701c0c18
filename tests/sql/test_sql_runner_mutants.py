"""The SQL runner on small model folders: what counts as a dependency, how a failure is named,
which layer's gate runs each SQL assertion, and what a header says about it."""

from __future__ import annotations

import duckdb
import pytest

from etl import sql_runner
from etl.errors import ModelError


def write(root, folder, name, sql):
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / f"{name}.sql").write_text(sql)


# ---------------------------------------------------------------- dependencies


def test_references_in_comments_are_not_dependencies(tmp_path):
    write(tmp_path, "staging", "stg_a", "select 1 as x")
    write(
        tmp_path,
        "staging",
        "stg_b",
        "/* reads\n   staging.stg_gone, once */\n"
        "select x -- staging.stg_also_gone\nfrom staging.stg_a",
    )
    models = sql_runner.discover_models(tmp_path)
    assert models["staging.stg_b"].depends_on == {"staging.stg_a"}
    assert models["staging.stg_a"].depends_on == frozenset()


def test_a_reference_right_after_a_comment_is_still_a_dependency(tmp_path):
    write(tmp_path, "staging", "stg_a", "select 1 as x")
    write(tmp_path, "staging", "stg_b", "select x from/* the base */staging.stg_a")
    assert sql_runner.discover_models(tmp_path)["staging.stg_b"].depends_on == {"staging.stg_a"}


def test_a_model_naming_itself_is_not_its_own_dependency(tmp_path, con):
    write(tmp_path, "staging", "stg_a", "select 'staging.stg_a' as built_by")
    models = sql_runner.discover_models(tmp_path)
    assert models["staging.stg_a"].depends_on == frozenset()
    assert sql_runner.build_layer(con, tmp_path, "staging") == ["staging.stg_a"]
    assert con.execute("select built_by from staging.stg_a").fetchall() == [("staging.stg_a",)]


def test_references_across_layers_and_names_with_digits(tmp_path):
    write(tmp_path, "staging", "stg_2018_lines", "select 1 as x")
    write(tmp_path, "intermediate", "int_lines", "select * from staging.stg_2018_lines")
    write(
        tmp_path,
        "marts",
        "fct_lines",
        "select * from intermediate.int_lines join staging.stg_2018_lines using (x)",
    )
    models = sql_runner.discover_models(tmp_path)
    assert set(models) == {"staging.stg_2018_lines", "intermediate.int_lines", "marts.fct_lines"}
    assert models["marts.fct_lines"].depends_on == {
        "intermediate.int_lines",
        "staging.stg_2018_lines",
    }
    model = models["intermediate.int_lines"]
    assert (model.layer, model.name, model.path) == (
        "intermediate",
        "int_lines",
        tmp_path / "intermediate" / "int_lines.sql",
    )
    assert model.sql == "select * from staging.stg_2018_lines"


def test_only_sql_files_of_the_three_layer_folders_are_models(tmp_path):
    write(tmp_path, "staging", "stg_a", "select 1 as x")
    (tmp_path / "staging" / "notes.md").write_text("staging.stg_nothing")
    write(tmp_path, "seeds", "stg_b", "select 2 as x")
    assert list(sql_runner.discover_models(tmp_path)) == ["staging.stg_a"]


def test_unknown_references_are_all_named_sorted(tmp_path):
    write(tmp_path, "marts", "fct_a", "select * from staging.stg_z, staging.stg_y")
    with pytest.raises(ModelError) as caught:
        sql_runner.discover_models(tmp_path)
    assert str(caught.value) == (
        "model marts.fct_a (fct_a.sql) references unknown model(s) staging.stg_y, staging.stg_z"
    )


def test_a_reference_to_a_later_layer_names_it(tmp_path):
    write(tmp_path, "intermediate", "int_a", "select * from marts.fct_a")
    write(tmp_path, "marts", "fct_a", "select 1 as x")
    with pytest.raises(ModelError) as caught:
        sql_runner.discover_models(tmp_path)
    assert str(caught.value) == (
        "model intermediate.int_a references a later layer: ['marts.fct_a']"
    )


def test_a_cycle_names_the_models_in_it(tmp_path):
    write(tmp_path, "staging", "stg_a", "select * from staging.stg_b")
    write(tmp_path, "staging", "stg_b", "select * from staging.stg_a")
    write(tmp_path, "staging", "stg_c", "select 1 as x")
    with pytest.raises(ModelError, match="models reference each other in a cycle: ") as caught:
        sql_runner.build_order(sql_runner.discover_models(tmp_path))
    assert "staging.stg_a" in str(caught.value) and "staging.stg_b" in str(caught.value)
    assert "staging.stg_c" not in str(caught.value)


# ---------------------------------------------------------------- building


def test_a_layer_builds_only_its_own_models_and_a_trailing_semicolon_is_fine(tmp_path):
    con = duckdb.connect()  # no schemas yet: build_layer creates all three
    write(tmp_path, "staging", "stg_a", "select 41 as x;\n\n")
    write(tmp_path, "intermediate", "int_b", "select x + 1 as y from staging.stg_a;")
    write(tmp_path, "marts", "fct_c", "select y from intermediate.int_b")
    assert sql_runner.build_layer(con, tmp_path, "staging") == ["staging.stg_a"]
    schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    assert {"staging", "intermediate", "marts"} <= schemas
    tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    assert tables == [("staging", "stg_a")]
    assert sql_runner.build_layer(con, tmp_path, "intermediate") == ["intermediate.int_b"]
    assert con.execute("select y from intermediate.int_b").fetchall() == [(42,)]
    # building again replaces the tables
    write(tmp_path, "staging", "stg_a", "select 1 as x")
    sql_runner.build_layer(con, tmp_path, "staging")
    sql_runner.build_layer(con, tmp_path, "intermediate")
    assert con.execute("select y from intermediate.int_b").fetchall() == [(2,)]
    con.close()


def test_an_unknown_layer_is_refused_naming_the_layers(tmp_path, con):
    with pytest.raises(ModelError) as caught:
        sql_runner.build_layer(con, tmp_path, "raw")
    assert str(caught.value) == (
        "unknown layer 'raw'; layers are ('staging', 'intermediate', 'marts')"
    )


def test_a_failing_model_gives_the_first_line_of_the_database_error(tmp_path, con):
    write(tmp_path, "staging", "stg_bad", "select no_such_column from (select 1 as x)")
    with pytest.raises(ModelError) as caught:
        sql_runner.build_layer(con, tmp_path, "staging")
    message = str(caught.value)
    assert message.startswith("model staging.stg_bad (stg_bad.sql) failed: Binder Error: ")
    assert "no_such_column" in message and "\n" not in message
    assert isinstance(caught.value.__cause__, duckdb.Error)


def test_variables_are_set_for_the_sql_to_read(con):
    sql_runner.set_variables(con, {"raw_root": "/data/raw", "reference_root2": "/ref"})
    assert con.execute(
        "select getvariable('raw_root'), getvariable('reference_root2')"
    ).fetchall() == [("/data/raw", "/ref")]
    for bad in ("Raw_root", "2raw", "raw-root", "raw root", ""):
        with pytest.raises(ModelError, match=f"invalid variable name {bad!r}"):
            sql_runner.set_variables(con, {bad: "x"})


# ---------------------------------------------------------------- SQL assertion tests


def test_assertions_read_their_header_severity_and_dependencies(tmp_path):
    write(tmp_path, "staging", "stg_a", "select 1 as x")
    write(tmp_path, "marts", "fct_b", "select * from staging.stg_a")
    write(
        tmp_path,
        "tests",
        "assert_warned",
        "/*  Totals agree\n    within a cent.\n    severity: warning */\nselect * from marts.fct_b",
    )
    write(
        tmp_path,
        "tests",
        "assert_default",
        "/* No duplicate keys. */\nselect * from staging.stg_a\n-- severity: warning\n"
        "/* a later comment is not the header:\n   severity: warning\n*/",
    )
    write(
        tmp_path,
        "tests",
        "assert_critical",
        "/* Keys are unique.\n   severity: critical */ select * from staging.stg_a",
    )
    write(tmp_path, "tests", "not_an_assertion", "select * from staging.stg_nothing")
    write(tmp_path, "tests", "assert_bare", "select 1 where false")
    models = sql_runner.discover_models(tmp_path)
    tests = {t.name: t for t in sql_runner.discover_tests(tmp_path, models)}
    assert list(tests) == ["assert_bare", "assert_critical", "assert_default", "assert_warned"]
    warned = tests["assert_warned"]
    assert warned.severity == "warning"
    assert warned.description == "Totals agree within a cent. severity: warning"
    assert warned.depends_on == {"marts.fct_b"}
    assert warned.path == tmp_path / "tests" / "assert_warned.sql"
    assert warned.sql.endswith("select * from marts.fct_b")
    assert tests["assert_default"].severity == "critical"  # only the header counts
    assert tests["assert_default"].description == "No duplicate keys."
    assert tests["assert_critical"].severity == "critical"
    assert tests["assert_bare"].description == "" and tests["assert_bare"].severity == "critical"


def test_an_assertion_on_an_unknown_model_is_refused(tmp_path):
    write(tmp_path, "staging", "stg_a", "select 1 as x")
    write(tmp_path, "tests", "assert_x", "select * from marts.fct_gone join staging.stg_a on true")
    models = sql_runner.discover_models(tmp_path)
    with pytest.raises(ModelError) as caught:
        sql_runner.discover_tests(tmp_path, models)
    assert str(caught.value) == (
        "SQL test assert_x.sql references unknown model(s) ['marts.fct_gone']"
    )


def test_each_assertion_runs_at_the_gate_of_its_latest_layer(tmp_path):
    write(tmp_path, "staging", "stg_a", "select 1 as x")
    write(tmp_path, "intermediate", "int_b", "select * from staging.stg_a")
    write(tmp_path, "marts", "fct_c", "select * from intermediate.int_b")
    write(tmp_path, "tests", "assert_on_staging", "select * from staging.stg_a")
    write(
        tmp_path,
        "tests",
        "assert_on_both",
        "select * from intermediate.int_b join staging.stg_a using (x)",
    )
    write(tmp_path, "tests", "assert_on_marts", "select * from marts.fct_c, staging.stg_a")
    write(tmp_path, "tests", "assert_on_nothing", "select 1 where false")
    models = sql_runner.discover_models(tmp_path)
    tests = sql_runner.discover_tests(tmp_path, models)
    by_layer = {
        layer: [t.name for t in sql_runner.tests_for_layer(tests, layer)]
        for layer in sql_runner.LAYERS
    }
    assert by_layer == {
        "staging": ["assert_on_staging"],
        "intermediate": ["assert_on_both"],
        "marts": ["assert_on_marts", "assert_on_nothing"],
    }
