"""Run GX suites against built tables and SQL assertion tests; decide whether the gate passes.

Data reaches GX as pandas DataFrames pulled from DuckDB (GX's SQL path on DuckDB is broken),
one table at a time; tables larger than `chunk_rows` are validated in slices so memory stays
bounded.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import duckdb

from etl.errors import QualityGateError

log = logging.getLogger(__name__)
MAX_EXAMPLES = 5


@dataclass
class CheckResult:
    suite: str
    check: str
    column: str | None
    success: bool
    severity: str
    observed: Any = None
    unexpected_count: int | None = None
    examples: list[Any] = field(default_factory=list)

    def line(self) -> str:
        where = f" on column {self.column!r}" if self.column else ""
        what = f"{self.unexpected_count} unexpected values" if self.unexpected_count else ""
        if self.observed is not None and not what:
            what = f"observed {self.observed!r}"
        ex = f"; e.g. {self.examples[:MAX_EXAMPLES]}" if self.examples else ""
        return f"{self.suite}: {self.check}{where} failed ({what}{ex})"


@dataclass
class GateReport:
    layer: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed_critical(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "critical"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def passed(self) -> int:
        return sum(r.success for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "passed": self.passed,
            "failed_critical": len(self.failed_critical),
            "warnings": len(self.warnings),
            "results": [asdict(r) for r in self.results],
        }

    def raise_if_failed(self) -> None:
        failed = self.failed_critical
        if failed:
            more = f" (+{len(failed) - 1} more critical failures)" if len(failed) > 1 else ""
            raise QualityGateError(f"quality gate '{self.layer}' failed: {failed[0].line()}{more}")


@lru_cache(maxsize=1)
def _validator() -> Any:
    """One ephemeral GX context per process (it costs ~1 s to create), no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("frames")
    asset = source.add_dataframe_asset(name="frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def _json_safe(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def _exception_message(info: Any) -> str | None:
    """GX reports errors either flat or keyed by metric; return the first message."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def validate_frame(frame: Any, suite: Any) -> list[CheckResult]:
    """Validate one pandas DataFrame with one GX suite."""
    batch = _validator().get_batch(batch_parameters={"dataframe": frame})
    outcome = batch.validate(suite, result_format="SUMMARY")
    results = []
    for r in outcome.results:
        config = r.expectation_config
        kwargs = config.kwargs
        detail = r.result or {}
        column = (
            kwargs.get("column")
            or (",".join(kwargs["column_list"]) if kwargs.get("column_list") else None)
            or (f"{kwargs['column_A']}>={kwargs['column_B']}" if kwargs.get("column_A") else None)
        )
        examples = detail.get("partial_unexpected_list") or []
        raised = _exception_message(r.exception_info)
        results.append(
            CheckResult(
                suite=suite.name,
                check=config.type,
                column=column,
                success=bool(r.success),
                severity=(config.meta or {}).get("severity", "critical"),
                observed=_json_safe(raised if raised else detail.get("observed_value")),
                unexpected_count=detail.get("unexpected_count"),
                examples=_json_safe(examples[:MAX_EXAMPLES]),
            )
        )
    return results


def _merge_chunks(chunks: list[list[CheckResult]]) -> list[CheckResult]:
    merged = chunks[0]
    for chunk in chunks[1:]:
        for total, part in zip(merged, chunk, strict=True):
            total.success = total.success and part.success
            if part.unexpected_count:
                total.unexpected_count = (total.unexpected_count or 0) + part.unexpected_count
                total.examples = (total.examples + part.examples)[:MAX_EXAMPLES]
    return merged


def _referenced_columns(suite: Any) -> list[str]:
    """The columns a suite's expectations name (in first-use order)."""
    columns: list[str] = []
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        names = [
            kwargs.get("column"),
            kwargs.get("column_A"),
            kwargs.get("column_B"),
            *(kwargs.get("column_list") or []),
        ]
        columns.extend(n for n in names if n and n not in columns)
    return columns


def validate_relation(
    con: duckdb.DuckDBPyConnection, relation: str, suite: Any, chunk_rows: int = 2_000_000
) -> list[CheckResult]:
    """Validate a DuckDB table (or a `read_parquet(...)` expression) with a suite.

    Only the columns the suite names are pulled into pandas (list and text columns are the
    slow part of the conversion). Row-level expectations are exact over chunks; table-level
    ones (row count, uniqueness across chunks) need the whole table, so tables above
    `chunk_rows` are only chunked when the suite has no such expectation.
    """
    types = {r[0]: r[1] for r in con.execute(f"describe select * from {relation}").fetchall()}
    wanted = [c for c in _referenced_columns(suite) if c in types] or list(types)[:1]
    # DECIMAL would arrive as Python Decimal objects (slow, and GX compares them as objects)
    projection = ", ".join(
        f'cast("{c}" as double) as "{c}"' if types[c].startswith("DECIMAL") else f'"{c}"'
        for c in wanted
    )
    total = con.execute(f"select count(*) from {relation}").fetchall()[0][0]
    whole_table = {
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
    }
    if total <= chunk_rows or any(
        getattr(e, "expectation_type", None) in whole_table for e in suite.expectations
    ):
        return validate_frame(con.execute(f"select {projection} from {relation}").df(), suite)
    # one scan streamed in batches: every row is validated exactly once, whatever the order
    # (LIMIT/OFFSET pages without ORDER BY may overlap when insertion order is not kept)
    reader = con.sql(f"select {projection} from {relation}").to_arrow_reader(chunk_rows)
    chunks = []
    for batch in reader:
        if batch.num_rows:
            chunks.append(validate_frame(batch.to_pandas(), suite))
    return _merge_chunks(chunks)


def run_sql_test(
    con: duckdb.DuckDBPyConnection,
    name: str,
    sql: str,
    description: str,
    severity: str = "critical",
) -> CheckResult:
    """A SQL assertion returns the offending rows; none means it passes."""
    rows = con.execute(f"select * from ({sql.strip().rstrip(';')}) limit {MAX_EXAMPLES + 1}")
    found = rows.fetchall()
    count = len(found)
    return CheckResult(
        suite=f"sql_tests.{name}",
        check=description or name,
        column=None,
        success=count == 0,
        severity=severity,
        unexpected_count=count if count <= MAX_EXAMPLES else None,
        observed=f"{'>' if count > MAX_EXAMPLES else ''}{min(count, MAX_EXAMPLES)} offending rows"
        if count
        else None,
        examples=_json_safe([list(r) for r in found[:MAX_EXAMPLES]]),
    )
