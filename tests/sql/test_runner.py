from __future__ import annotations

import pytest

from etl import sql_runner
from etl.errors import ModelError
from tests.helpers import PROJECT_ROOT


def write_model(root, layer, name, sql):
    (root / layer).mkdir(parents=True, exist_ok=True)
    (root / layer / f"{name}.sql").write_text(sql)


def test_models_build_in_dependency_order(tmp_path, con):
    write_model(tmp_path, "staging", "stg_b", "select * from staging.stg_a")
    write_model(tmp_path, "staging", "stg_a", "select 1 as x")
    write_model(
        tmp_path,
        "marts",
        "fct_c",
        "/* staging.stg_nothing in a comment */ select x + 1 as y from staging.stg_b",
    )
    assert sql_runner.build_layer(con, tmp_path, "staging") == ["staging.stg_a", "staging.stg_b"]
    assert sql_runner.build_layer(con, tmp_path, "marts") == ["marts.fct_c"]
    assert con.execute("select y from marts.fct_c").fetchall() == [(2,)]


def test_unknown_reference_fails_before_building(tmp_path):
    write_model(tmp_path, "staging", "stg_a", "select * from staging.stg_missing")
    with pytest.raises(ModelError, match=r"staging.stg_a .*unknown model\(s\) staging.stg_missing"):
        sql_runner.discover_models(tmp_path)


def test_cycles_and_backward_layer_references_fail(tmp_path):
    write_model(tmp_path, "staging", "stg_a", "select * from staging.stg_b")
    write_model(tmp_path, "staging", "stg_b", "select * from staging.stg_a")
    with pytest.raises(ModelError, match="cycle"):
        sql_runner.build_order(sql_runner.discover_models(tmp_path))
    other = tmp_path / "other"
    write_model(other, "marts", "fct_a", "select 1 as x")
    write_model(other, "staging", "stg_a", "select * from marts.fct_a")
    with pytest.raises(ModelError, match="later layer"):
        sql_runner.discover_models(other)


def test_a_failing_model_names_itself(tmp_path, con):
    write_model(tmp_path, "staging", "stg_bad", "select no_such_column from (select 1 as x)")
    with pytest.raises(ModelError, match=r"model staging.stg_bad \(stg_bad.sql\) failed"):
        sql_runner.build_layer(con, tmp_path, "staging")


def test_project_models_resolve_and_every_model_has_a_header():
    models = sql_runner.discover_models(PROJECT_ROOT / "sql")
    assert {m.layer for m in models.values()} == {"staging", "intermediate", "marts"}
    for model in models.values():
        assert model.sql.lstrip().startswith("/*"), model.relation
        assert "grain:" in model.sql and "primary key:" in model.sql, model.relation
        # only staging reads files
        assert ("read_parquet" in model.sql) == (model.layer == "staging"), model.relation
    tests = sql_runner.discover_tests(PROJECT_ROOT / "sql", models)
    assert tests, "the project ships SQL assertion tests"


def test_variable_names_are_validated(con):
    with pytest.raises(ModelError):
        sql_runner.set_variables(con, {"raw_root; drop table x": "y"})
    sql_runner.set_variables(con, {"raw_root": "it's/a/path"})
    assert con.execute("select getvariable('raw_root')").fetchall() == [("it's/a/path",)]
