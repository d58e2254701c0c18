"""Compare the published marts of two warehouses, row for row (a redesign must not move a number).

    .venv/bin/python -m bench.compare_warehouses BEFORE AFTER
    .venv/bin/python -m bench.compare_warehouses BEFORE AFTER \
        --rename fct_average_tariff.weight_basis=weight_basis_id

BEFORE and AFTER are warehouse folders (their `current` run is read) or run folders
(`<warehouse>/runs/<id>`). For every mart in either, the report says one of:
- `identical`: same columns in the same order, same rows (as a multiset; order ignored),
- `same values`: same rows once renamed columns are matched and column order is ignored
  (the column differences are listed),
- `DIFFERENT`: rows only in BEFORE / only in AFTER (counts and up to 5 examples each),
- `missing` in one of the two.
Exit 0 when no mart is DIFFERENT or missing, 1 otherwise. DuckDB does the comparison
(`EXCEPT ALL` both ways; Hive partition columns are read as columns), so marts of millions
of rows compare in seconds.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass
class MartComparison:
    mart: str
    status: str  # identical | same values | DIFFERENT | missing
    rows_before: int | None = None
    rows_after: int | None = None
    notes: list[str] = field(default_factory=list)


def run_folder(path: Path) -> Path:
    """The run folder of a warehouse (its `current` run) or the run folder itself."""
    path = Path(path)
    if (path / "current").exists():
        return (path / "current").resolve()
    if (path / "marts").is_dir():
        return path
    raise SystemExit(f"{path}: neither a warehouse (no current/) nor a run folder (no marts/)")


def _marts(run: Path) -> dict[str, str]:
    return {
        p.name: str(p / "**" / "*.parquet")
        for p in sorted((run / "marts").iterdir())
        if p.is_dir() and any(p.rglob("*.parquet"))
    }


def _read(glob: str) -> str:
    return f"read_parquet('{glob}', hive_partitioning = true)"


def _columns(con: duckdb.DuckDBPyConnection, glob: str) -> list[str]:
    return [r[0] for r in con.execute(f"describe select * from {_read(glob)}").fetchall()]


def compare_mart(
    con: duckdb.DuckDBPyConnection, mart: str, before: str, after: str, renames: dict[str, str]
) -> MartComparison:
    cols_before = _columns(con, before)
    cols_after = _columns(con, after)
    mapped = [renames.get(f"{mart}.{c}", c) for c in cols_before]
    result = MartComparison(mart, "identical")
    if mapped != cols_before:
        result.notes.append(
            "renamed: "
            + ", ".join(f"{a}->{b}" for a, b in zip(cols_before, mapped, strict=True) if a != b)
        )
    if set(mapped) != set(cols_after):
        result.status = "DIFFERENT"
        only_b = sorted(set(mapped) - set(cols_after))
        only_a = sorted(set(cols_after) - set(mapped))
        result.notes.append(f"columns only before: {only_b}; only after: {only_a}")
        return result
    if mapped != cols_after or result.notes:
        result.status = "same values"
        if mapped != cols_after:
            result.notes.append("column order differs")
    select_before = ", ".join(f'"{c}" as "{m}"' for c, m in zip(cols_before, mapped, strict=True))
    select_after = ", ".join(f'"{m}"' for m in mapped)
    con.execute(f"create or replace temp view b as select {select_before} from {_read(before)}")
    con.execute(f"create or replace temp view a as select {select_after} from {_read(after)}")
    result.rows_before = con.execute("select count(*) from b").fetchall()[0][0]
    result.rows_after = con.execute("select count(*) from a").fetchall()[0][0]
    for label, query in (
        ("only before", "select * from b except all select * from a"),
        ("only after", "select * from a except all select * from b"),
    ):
        n = con.execute(f"select count(*) from ({query})").fetchall()[0][0]
        if n:
            result.status = "DIFFERENT"
            examples = con.execute(f"{query} limit 5").fetchall()
            result.notes.append(f"{n} rows {label}, e.g. {examples}")
    return result


def compare(
    before: Path, after: Path, renames: dict[str, str] | None = None
) -> list[MartComparison]:
    renames = renames or {}
    marts_before = _marts(run_folder(before))
    marts_after = _marts(run_folder(after))
    con = duckdb.connect()
    out = []
    for mart in sorted(set(marts_before) | set(marts_after)):
        if mart not in marts_before or mart not in marts_after:
            side = "before" if mart not in marts_before else "after"
            out.append(MartComparison(mart, "missing", notes=[f"no such mart {side}"]))
            continue
        out.append(compare_mart(con, mart, marts_before[mart], marts_after[mart], renames))
    con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument(
        "--rename",
        action="append",
        default=[],
        metavar="MART.OLD=NEW",
        help="a column renamed between the two (repeatable)",
    )
    args = parser.parse_args(argv)
    renames = {}
    for item in args.rename:
        old, sep, new = item.partition("=")
        if not sep or "." not in old:
            parser.error(f"--rename {item!r}: expected MART.OLD=NEW")
        renames[old] = new
    results = compare(args.before, args.after, renames)
    for r in results:
        rows = "" if r.rows_before is None else f" ({r.rows_before} / {r.rows_after} rows)"
        print(f"{r.status:<12} {r.mart}{rows}")
        for note in r.notes:
            print(f"             {note}")
    bad = [r for r in results if r.status in ("DIFFERENT", "missing")]
    print(f"\n{len(results) - len(bad)} of {len(results)} marts unchanged")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
