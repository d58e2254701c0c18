"""What the customs adapters share: the contract between an adapter and the landed-store writer.

An adapter turns one input file into a `Prepared`: one DuckDB SELECT per piece of the file
(`relations`; see `etl.customs.textscan` for the cut) that yields, for every record of the
piece, the landed columns (`schema.LANDED_COLUMNS`, already of their landed types, computed
with TRY_CAST so a malformed record never raises) plus four reject columns: `_rej_code`,
`_rej_field`, `_rej_value`, `_rej_reason`, all NULL for a loadable record and set, from the
first failed check, for a record that goes to quarantine. The writer (`etl.customs.store`)
streams each SELECT once into Parquet; only the rejected rows are held in Python memory.

Checks every adapter runs, in this order, with these reason codes:
`blank_row` (tolerated), `wrong_field_count`, then the adapter's own field checks
(`unknown_iso3`, `unknown_partner`, `unsupported_flow`, `bad_period`, `bad_code`,
`bad_code_length`, `missing_value`, `bad_value`, `negative_value`, `bad_quantity`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from etl.errors import SourceFormatError

# A string no source contains: set as read_csv's `nullstr` so an empty field reads as '' and only
# a *missing* field (null padding of a short row) reads as NULL. That is how a short row is told
# apart from a row whose last fields are empty.
NULL_SENTINEL = "\x01<no-null>\x01"
SPARE_COLUMNS = 8  # extra columns read after the header's, to see (and quarantine) long rows


@dataclass
class IngestOptions:
    """Per-call choices that change what a file lands as (recorded in the manifest)."""

    flow: str | None = None  # china-customs: 'import' / 'export' when the file name does not say
    cny_per_usd: float | None = None  # china-customs: yuan per dollar, for files valued in 人民币

    def as_dict(self) -> dict[str, Any]:
        return {"flow": self.flow, "cny_per_usd": self.cny_per_usd}


@dataclass
class Prepared:
    """One input file, ready to stream: see the module docstring."""

    source: str  # the `source` label, also the `source=` partition folder
    sha256: str
    relations: list[tuple[str, int]]  # (SELECT, records it must produce), one per file piece
    rows_read: int  # records in the file, counted independently of DuckDB where possible
    pre_quarantine: list[dict[str, Any]] = field(default_factory=list)  # e.g. blank lines
    arrow_inputs: dict[str, pa.Table] = field(default_factory=dict)  # small inputs, as views
    views: dict[str, str] = field(default_factory=dict)  # name -> SELECT (lookup tables)
    cleanup: Callable[[], None] = lambda: None

    @property
    def expected_records(self) -> int:
        """Records the SELECTs must produce: rows read minus those quarantined beforehand."""
        return sum(n for _, n in self.relations)


@dataclass(frozen=True)
class FileContext:
    """Identity of the file being ingested, as written to the lineage columns."""

    path: Path
    display_name: str
    sha256: str
    loaded_at: datetime
    options: IngestOptions
    parallelism: int = 1  # pieces a big text file is cut into (= DuckDB threads)


def lit(value: object) -> str:
    """A SQL literal (text, number or NULL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def lineage_sql(ctx: FileContext, row_expr: str) -> str:
    """The five lineage columns; `_source_sheet` is NULL (text sources have no sheets)."""
    return (
        f"{lit(ctx.display_name)} AS _source_file, {lit(ctx.sha256)} AS _source_sha256, "
        f"CAST(NULL AS VARCHAR) AS _source_sheet, CAST({row_expr} AS BIGINT) AS _source_row, "
        f"TIMESTAMPTZ {lit(ctx.loaded_at.isoformat())} AS _loaded_at"
    )


def rej(code: str, field_name: str, value_sql: str, reason: str) -> str:
    """A reject struct literal for the CASE chain of an adapter."""
    return (
        f"{{'code': {lit(code)}, 'field': {lit(field_name)}, "
        f"'value': CAST({value_sql} AS VARCHAR), 'reason': {lit(reason)}}}"
    )


REJECT_COLUMNS = (
    "_rej.code AS _rej_code, _rej.field AS _rej_field, _rej.value AS _rej_value, "
    "_rej.reason AS _rej_reason"
)


def read_csv_sql(path: Path, n_columns: int, skip: int = 1, limit: int | None = None) -> str:
    """`read_csv` of a file as `n_columns` text columns c0.. plus spare x0.., with ordinality.

    Explicit columns, no sniffing, `all_varchar` by construction (every column VARCHAR): the
    adapter casts with TRY_CAST, so a bad value becomes a quarantined row, not a failed file.
    `null_padding` pads short rows; the spare columns catch long rows (up to SPARE_COLUMNS extra
    fields; a row longer than that is a structural error that fails the file, as does an
    unterminated quote). `ignore_errors=false`: the reader never drops a row by itself.
    """
    cols = [f"'c{i}': 'VARCHAR'" for i in range(n_columns)]
    cols += [f"'x{i}': 'VARCHAR'" for i in range(SPARE_COLUMNS)]
    # a subquery: DuckDB 2.0 rejects an alias put directly on `... WITH ORDINALITY`
    return (
        f"(SELECT * FROM read_csv({lit(str(path))}, columns={{{', '.join(cols)}}}, header=false, "
        f"skip={skip}, delim=',', quote='\"', escape='\"', null_padding=true, "
        f"nullstr={lit(NULL_SENTINEL)}, ignore_errors=false, auto_detect=false, "
        f"strict_mode=true, max_line_size=1048576) WITH ORDINALITY"
        + (f" LIMIT {int(limit)})" if limit is not None else ")")
    )


def source_row_sql(blank_lines: Sequence[int], header_lines: int = 1) -> str:
    """Physical line number of a record, from its ordinality and the blank lines skipped before.

    The i-th blank line (1-based) at physical line b_i comes after t_i = b_i - header - i
    records, so record r sits on line r + header + #{i : t_i < r}.
    """
    if not blank_lines:
        return f"(ordinality + {header_lines})"
    thresholds = [b - header_lines - i for i, b in enumerate(blank_lines, start=1)]
    return (
        f"(ordinality + {header_lines} + len(list_filter({thresholds}, lambda t: t < ordinality)))"
    )


def field_checks_sql(n_columns: int, used: Sequence[int]) -> tuple[str, str, str]:
    """(blank, fields_ok, fields_found) SQL expressions over columns c0.. and x0..

    Only the columns an adapter uses (`used`), the header's last column and the spare ones are
    referenced, so DuckDB's CSV reader never materializes the others (a third of the cost of a
    wide Comtrade row). Hence: a row is `blank_row` when every column we read is empty; a short
    row is reported as having "fewer than N" fields (counting them would read every column).
    A record may carry one extra *empty* field: Comtrade's bulk files end every data row with a
    comma and China Customs' export appends an empty column.
    """
    last = f"c{n_columns - 1}"
    cols = sorted({f"c{i}" for i in used} | {last})
    blank = f"(coalesce(c{min(used)}, '') = '' AND concat({', '.join(cols)}, x0) = '')"
    fields_ok = f"({last} IS NOT NULL AND (x0 IS NULL OR (x0 = '' AND x1 IS NULL)))"
    spare = " + ".join(f"(x{i} IS NOT NULL)::INT" for i in range(SPARE_COLUMNS))
    found = (
        f"(CASE WHEN {last} IS NULL THEN 'fewer than {n_columns} fields' "
        f"ELSE CAST({n_columns} + {spare} AS VARCHAR) || ' fields' END)"
    )
    return blank, fields_ok, found


def blank_line_quarantine(
    ctx: FileContext, dataset: str, blank_lines: Sequence[int]
) -> list[dict[str, Any]]:
    return [
        {
            "dataset": dataset,
            "source_file": ctx.display_name,
            "source_sha256": ctx.sha256,
            "source_sheet": None,
            "source_row": line,
            "field": "row",
            "value": None,
            "reason_code": "blank_row",
            "reason": "row is empty",
        }
        for line in blank_lines
    ]


def prepared_from_scan(
    ctx: FileContext,
    scan: Any,  # etl.customs.textscan.TextScan (not imported: textscan imports this module)
    n_columns: int,
    relation: Callable[[str, str], str],
    *,
    source: str,
    views: dict[str, str],
    dataset: str = "trade_flows",
) -> Prepared:
    """The Prepared of a scanned text file: one relation per piece, built by
    `relation(read_csv_sql, source_row_sql)`, and the file's blank lines quarantined up front."""
    relations = [
        (
            relation(
                read_csv_sql(piece.path, n_columns, piece.skip, piece.limit),
                source_row_sql(piece.blank_lines, piece.header_lines),
            ),
            piece.records,
        )
        for piece in scan.pieces
    ]
    return Prepared(
        source=source,
        sha256=scan.sha256,
        relations=relations,
        rows_read=scan.records + len(scan.blank_lines),
        pre_quarantine=blank_line_quarantine(ctx, dataset, scan.blank_lines),
        views=views,
        cleanup=scan.cleanup,
    )


def map_header(
    display_name: str,
    header: list[str],
    known: Sequence[str],
    required: Sequence[str],
) -> dict[str, int]:
    """Header name -> position; unknown or missing columns are a SourceFormatError naming them.

    Trailing empty names (a header ending with a comma) are not columns.
    """
    names = list(header)
    while names and names[-1] == "":
        names.pop()
    unknown = [h for h in names if h not in known]
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise SourceFormatError(
            display_name,
            f"unknown column(s) {shown}{more}",
            row=1,
            field=unknown[0],
            expected=f"columns among {list(known)}",
        )
    duplicated = sorted({h for h in names if names.count(h) > 1})
    if duplicated:
        raise SourceFormatError(
            display_name, f"duplicated column(s) {duplicated}", row=1, field=duplicated[0]
        )
    missing = [r for r in required if r not in names]
    if missing:
        raise SourceFormatError(
            display_name,
            f"missing column(s) {', '.join(repr(m) for m in missing)}",
            row=1,
            field=missing[0],
            expected=f"a header with {list(required)}",
        )
    return {name: i for i, name in enumerate(names)}


def text_table(n_columns: int, records: list[tuple[int, list[str | None]]]) -> pa.Table:
    """(position, fields) records -> the text columns c0.., x0.. and `ordinality` that the
    adapters' SQL reads, as `read_csv_sql` would produce them (for JSON/parquet inputs)."""
    arrays: dict[str, pa.Array] = {
        f"c{i}": pa.array([fields[i] for _, fields in records], pa.string())
        for i in range(n_columns)
    }
    for i in range(SPARE_COLUMNS):
        arrays[f"x{i}"] = pa.nulls(len(records), pa.string())
    arrays["ordinality"] = pa.array([pos for pos, _ in records], pa.int64())
    return pa.table(arrays)


def missing_fields_quarantine(
    ctx: FileContext, dataset: str, position: int, problem: str
) -> dict[str, Any]:
    """A record of a JSON input that does not have the expected fields (checked in Python)."""
    return {
        "dataset": dataset,
        "source_file": ctx.display_name,
        "source_sha256": ctx.sha256,
        "source_sheet": None,
        "source_row": position,
        "field": "row",
        "value": problem,
        "reason_code": "wrong_field_count",
        "reason": "record does not have the expected fields",
    }


def json_text(value: Any) -> str:
    """A JSON value as the text a CSV field would hold (null -> empty)."""
    import json

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
