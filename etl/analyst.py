"""Ad-hoc SQL for analysts over the published DuckDB file: read-only, SELECT only.

A read-only DuckDB connection still lets `COPY ... TO` write files, so statements are checked
with DuckDB's own parser and only SELECT (incl. WITH, DESCRIBE, SHOW, SUMMARIZE) and EXPLAIN
run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from etl.errors import EtlError
from etl.settings import Settings

ALLOWED = {"SELECT", "EXPLAIN"}


class ReadOnlyQueryError(EtlError):
    """A statement other than a query was given to the read-only SQL tool."""


@contextmanager
def read_only_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    if not settings.duckdb_path.exists():
        raise EtlError(f"no published database at {settings.duckdb_path}: run `tariff-etl run`")
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    try:
        con.execute("set lock_configuration = true")
        yield con
    finally:
        con.close()


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise EtlError(f"SQL does not parse: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise EtlError("no SQL statement given")
    for statement in statements:
        kind = str(statement.type).rsplit(".", 1)[-1]
        if kind not in ALLOWED:
            raise ReadOnlyQueryError(
                f"only queries are allowed here (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN); got "
                f"{kind}: the published data is read-only"
            )


def run_query(settings: Settings, sql: str) -> tuple[list[str], list[tuple]]:
    """Run read-only SQL against `<warehouse>/tariffs.duckdb`; the last statement's rows."""
    with read_only_connection(settings) as con:
        check_read_only(con, sql)
        try:
            cursor = None
            for statement in con.extract_statements(sql):
                cursor = con.execute(statement.query)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            return columns, cursor.fetchall()
        except duckdb.Error as exc:
            raise EtlError(f"query failed: {str(exc).strip().splitlines()[0]}") from None


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_csv(columns: list[str], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_plain(v) for v in row] for row in rows])
    return buffer.getvalue()


def to_json(columns: list[str], rows: list[tuple]) -> str:
    return json.dumps(
        [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows],
        ensure_ascii=False,
        indent=1,
    )


def list_tables(settings: Settings) -> list[dict[str, Any]]:
    from etl.contract import MARTS

    with read_only_connection(settings) as con:
        out = []
        for name, spec in MARTS.items():
            rows = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
            out.append(
                {"mart": name, "grain": spec.grain, "key": ", ".join(spec.key), "rows": rows}
            )
        return out
