"""`tariff-etl runs` lists every run folder, also one whose manifest is damaged."""

from __future__ import annotations

import json

from etl import cli, runs
from etl.settings import Settings


def _run(settings: Settings, run_id: str, text: str) -> None:
    folder = settings.runs_dir / run_id
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def test_a_damaged_manifest_is_listed_as_unreadable_and_hides_no_other_run(
    tmp_path, monkeypatch, capsys
):
    settings = Settings(warehouse=tmp_path / "warehouse")
    good = {"run_id": "20261201T000000Z-aaaaaa", "status": "published"}
    _run(settings, good["run_id"], json.dumps(good))
    _run(settings, "20261202T000000Z-bbbbbb", '{"run_id": "20261202T0')  # cut by a full disk
    _run(settings, "20261203T000000Z-cccccc", "[]")  # valid JSON, not a manifest
    (settings.warehouse / "current").symlink_to(settings.runs_dir / good["run_id"])

    listed = {r["run_id"]: r for r in runs.list_runs(settings)}
    assert listed[good["run_id"]]["status"] == "published" and listed[good["run_id"]]["is_current"]
    for run_id, reason in (
        ("20261202T000000Z-bbbbbb", "JSONDecodeError"),
        ("20261203T000000Z-cccccc", "no run_id or status"),
    ):
        assert listed[run_id]["status"] == "unreadable" and not listed[run_id]["is_current"]
        assert (
            listed[run_id]["error"].startswith("manifest.json: ")
            and reason in listed[run_id]["error"]
        )

    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(settings.warehouse))
    assert cli.main(["runs"]) == 0
    out = capsys.readouterr().out
    assert out.count("unreadable") == 2 and "published" in out
