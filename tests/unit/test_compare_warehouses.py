"""The warehouse comparison that guards redesigns: it must see every kind of difference."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.compare_warehouses import compare, main


def _mart(run: Path, mart: str, select: str, partition: str | None = None) -> None:
    folder = run / "marts" / mart
    folder.mkdir(parents=True, exist_ok=True)
    target = folder if partition else folder / "part-0.parquet"
    options = f"format parquet, partition_by ({partition})" if partition else "format parquet"
    duckdb.sql(f"copy ({select}) to '{target}' ({options})")


def _warehouse(root: Path, marts: dict[str, str]) -> Path:
    run = root / "runs" / "r1"
    for mart, select in marts.items():
        partition = "schedule_id" if "schedule_id" in select else None
        _mart(run, mart, select, partition)
    (root / "current").symlink_to(run)
    return root


TIMELINE = (
    "select * from (values ('a', 'x', 1.5), ('b', 'x', 2.0), ('c', 'y', 2.0))"
    " t(line, schedule_id, rate)"
)
COVERAGE = "select * from (values (date '2019-06-01', 87.14), (date '2025-04-10', 154.84)) t(d, v)"


def test_identical_warehouses_compare_identical_partitions_included(tmp_path):
    before = _warehouse(tmp_path / "b", {"fct_t": TIMELINE, "fct_c": COVERAGE})
    after = _warehouse(tmp_path / "a", {"fct_t": TIMELINE, "fct_c": COVERAGE})
    results = {r.mart: r for r in compare(before, after)}
    assert {m: r.status for m, r in results.items()} == {"fct_c": "identical", "fct_t": "identical"}
    assert (results["fct_t"].rows_before, results["fct_t"].rows_after) == (3, 3)
    assert main([str(before), str(after)]) == 0


def test_one_changed_value_is_different_and_named(tmp_path, capsys):
    before = _warehouse(tmp_path / "b", {"fct_c": COVERAGE})
    after = _warehouse(tmp_path / "a", {"fct_c": COVERAGE.replace("154.84", "154.85")})
    (result,) = compare(before, after)
    assert result.status == "DIFFERENT"
    assert "1 rows only before" in result.notes[0] and "154.84" in result.notes[0]
    assert "1 rows only after" in result.notes[1] and "154.85" in result.notes[1]
    assert main([str(before), str(after)]) == 1
    assert "DIFFERENT" in capsys.readouterr().out


def test_a_duplicated_row_is_a_difference_although_the_row_sets_agree(tmp_path):
    before = _warehouse(tmp_path / "b", {"fct_c": COVERAGE})
    after = _warehouse(tmp_path / "a", {"fct_c": f"{COVERAGE} union all {COVERAGE} limit 3"})
    (result,) = compare(before, after)
    assert result.status == "DIFFERENT" and "1 rows only after" in result.notes[-1]


def test_a_renamed_column_compares_by_value_only_when_declared(tmp_path):
    before = _warehouse(tmp_path / "b", {"fct_c": COVERAGE})
    after = _warehouse(tmp_path / "a", {"fct_c": COVERAGE.replace("t(d, v)", "t(d, value)")})
    (undeclared,) = compare(before, after)
    assert undeclared.status == "DIFFERENT" and "only before: ['v']" in undeclared.notes[0]
    (declared,) = compare(before, after, {"fct_c.v": "value"})
    assert declared.status == "same values" and declared.notes[0] == "renamed: v->value"


def test_column_order_alone_is_same_values(tmp_path):
    before = _warehouse(tmp_path / "b", {"fct_c": COVERAGE})
    after = _warehouse(tmp_path / "a", {"fct_c": f"select v, d from ({COVERAGE})"})
    (result,) = compare(before, after)
    assert result.status == "same values" and result.notes == ["column order differs"]


def test_a_missing_mart_fails(tmp_path):
    before = _warehouse(tmp_path / "b", {"fct_c": COVERAGE, "fct_t": TIMELINE})
    after = _warehouse(tmp_path / "a", {"fct_c": COVERAGE})
    assert {r.mart: r.status for r in compare(before, after)}["fct_t"] == "missing"
    assert main([str(before), str(after)]) == 1


def test_a_folder_that_is_no_warehouse_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="neither a warehouse"):
        compare(tmp_path, tmp_path)
