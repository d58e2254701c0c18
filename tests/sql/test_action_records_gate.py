"""The staging gate refuses measures and reviewed tariff-action records that disagree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from etl import pipeline
from etl.errors import EtlError
from etl.settings import Settings

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"


def _drop_record(folder: Path, file: str, action_id: str) -> None:
    path = folder / "tariff_actions" / file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"  - action_id: {action_id}\n")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("  - action_id:")),
        len(lines),
    )
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")


def test_a_published_measure_without_its_reviewed_record_stops_the_run(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE, reference)
    _drop_record(reference, "2018_2019_piie.yaml", "CHN-20180402-retaliation")
    settings = Settings(warehouse=tmp_path / "warehouse", reference_dir=reference)
    with pytest.raises(EtlError) as caught:
        pipeline.run_all(settings)
    message = str(caught.value)
    assert "sql_tests.assert_every_measure_is_a_reviewed_action" in message
    assert "CHN-20180402-retaliation" in message
    assert not (settings.warehouse / "current").exists()
