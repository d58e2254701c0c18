"""`ingest_discovered` (what `tariff-etl run` calls) and `ingest_input` (one mapped DAG task)."""

from __future__ import annotations

import json

from etl.customs.generate import generate
from etl.customs.inbox import discover_inputs, ingest_discovered, ingest_input
from etl.customs.store import LandedStore
from etl.lock import warehouse_lock
from tests.customs.helpers import part_files, settings_for


def test_ingest_discovered_lands_bundled_and_inbox_files_then_skips_them(tmp_path):
    settings = settings_for(tmp_path)
    dropped = settings.customs_inbox / "china-customs" / "2018" / "imports_201801.csv"
    dropped.parent.mkdir(parents=True)
    generate("china-customs", 300, dropped, seed=1, start="2018-01", months=1)
    inputs = discover_inputs(settings)
    assert len(inputs) == 6  # the five bundled customs files and the dropped one

    # run_all holds the warehouse lock around its steps: the commits re-enter it, no deadlock
    with warehouse_lock(settings.lock_path, "tariff-etl run"):
        first = ingest_discovered(settings)
    assert [str(r.path) for r in first] == [item["path"] for item in inputs]
    assert all(not r.skipped_unchanged and r.partitions_written for r in first)
    assert all(r.rows_read == r.rows_loaded + r.rows_quarantined for r in first)
    manifest = LandedStore(settings).read_manifest()
    assert len(manifest["files"]) == 6 and str(dropped) in manifest["files"]

    before = part_files(settings)
    again = ingest_discovered(settings)
    assert all(r.skipped_unchanged and r.partitions_written == [] for r in again)
    assert part_files(settings) == before


def test_ingest_input_returns_a_small_json_summary(tmp_path):
    settings = settings_for(tmp_path)
    item = next(i for i in discover_inputs(settings) if i["path"].endswith("China_USA.csv"))
    summary = ingest_input(settings, item)
    assert json.loads(json.dumps(summary)) == summary
    assert summary == {
        "file": "un_comtrade_totals/TradeData_China_USA.csv",
        "status": "loaded",
        "rows_read": 22,
        "rows_loaded": 22,
        "rows_quarantined": 0,
        "partitions_written": summary["partitions_written"],
    }
    assert summary["partitions_written"] and all(
        p.startswith("source=un_comtrade/reporter=CHN/year=") for p in summary["partitions_written"]
    )
    again = ingest_input(settings, item)
    assert again["status"] == "unchanged" and again["partitions_written"] == []
