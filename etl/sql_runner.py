"""Build the DuckDB SQL models of one layer in dependency order.

A model is `sql/<layer>/<name>.sql` holding one SELECT; it becomes the table `<layer>.<name>`.
Its dependencies are the `<layer>.<name>` names it references; an unknown name or a cycle
fails before anything is built. SQL files hold no paths: they read DuckDB variables that the
runner sets from Settings (`raw_root`, `reference_root`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb

from etl.errors import ModelError

LAYERS = ("staging", "intermediate", "marts")
_REF = re.compile(r"\b(staging|intermediate|marts)\.([a-z_][a-z0-9_]*)\b")
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)


@dataclass(frozen=True)
class Model:
    layer: str
    name: str
    path: Path
    sql: str
    depends_on: frozenset[str]

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.name}"


@dataclass(frozen=True)
class SqlTest:
    name: str
    path: Path
    sql: str
    depends_on: frozenset[str]
    description: str
    # "severity: warning" in the header comment: reported, does not fail the gate
    severity: str = "critical"


def _refs(sql: str) -> frozenset[str]:
    return frozenset(f"{layer}.{name}" for layer, name in _REF.findall(_COMMENT.sub(" ", sql)))


def _header(sql: str) -> str:
    match = re.match(r"\s*/\*(.*?)\*/", sql, re.S)
    return " ".join(match.group(1).split()) if match else ""


def discover_models(sql_dir: Path) -> dict[str, Model]:
    """All models under sql_dir, keyed by `layer.name`; unknown references raise ModelError."""
    models: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            model = Model(layer, path.stem, path, sql, _refs(sql) - {f"{layer}.{path.stem}"})
            models[model.relation] = model
    for model in models.values():
        unknown = sorted(model.depends_on - models.keys())
        if unknown:
            raise ModelError(
                f"model {model.relation} ({model.path.name}) references unknown "
                f"model(s) {', '.join(unknown)}"
            )
        later = [
            d for d in model.depends_on if LAYERS.index(d.split(".")[0]) > LAYERS.index(model.layer)
        ]
        if later:
            raise ModelError(f"model {model.relation} references a later layer: {later}")
    return models


def build_order(models: dict[str, Model]) -> list[Model]:
    sorter = TopologicalSorter({name: m.depends_on for name, m in models.items()})
    try:
        order = list(sorter.static_order())
    except CycleError as exc:
        raise ModelError(f"models reference each other in a cycle: {exc.args[1]}") from exc
    return [models[name] for name in order]


_SEVERITY = re.compile(r"^\s*severity:\s*(warning|critical)\s*$", re.M)


def discover_tests(sql_dir: Path, models: dict[str, Model]) -> list[SqlTest]:
    tests = []
    for path in sorted((sql_dir / "tests").glob("assert_*.sql")):
        sql = path.read_text(encoding="utf-8")
        deps = _refs(sql)
        unknown = sorted(deps - models.keys())
        if unknown:
            raise ModelError(f"SQL test {path.name} references unknown model(s) {unknown}")
        severity = _SEVERITY.search(sql.split("*/", 1)[0])
        tests.append(
            SqlTest(
                path.stem,
                path,
                sql,
                deps,
                _header(sql),
                severity.group(1) if severity else "critical",
            )
        )
    return tests


def tests_for_layer(tests: list[SqlTest], layer: str) -> list[SqlTest]:
    """Tests whose latest dependency is in `layer` (they run once that layer is built)."""

    def last_layer(test: SqlTest) -> str:
        return max((d.split(".")[0] for d in test.depends_on), key=LAYERS.index, default="marts")

    return [t for t in tests if last_layer(t) == layer]


def set_variables(con: duckdb.DuckDBPyConnection, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ModelError(f"invalid variable name {name!r}")
        con.execute(f"set variable {name} = ?", [value])


def build_layer(con: duckdb.DuckDBPyConnection, sql_dir: Path, layer: str) -> list[str]:
    """Create or replace every table of `layer`; return the relations built, in order."""
    if layer not in LAYERS:
        raise ModelError(f"unknown layer {layer!r}; layers are {LAYERS}")
    models = discover_models(sql_dir)
    built = []
    for schema in LAYERS:
        con.execute(f"create schema if not exists {schema}")
    for model in build_order(models):
        if model.layer != layer:
            continue
        body = model.sql.strip().rstrip(";")
        try:
            con.execute(f"create or replace table {model.relation} as\n{body}")
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise ModelError(f"model {model.relation} ({model.path.name}) failed: {first}") from exc
        built.append(model.relation)
    return built
