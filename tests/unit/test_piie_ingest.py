"""The PIIE adapter on the real bundled workbook."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from etl.ingest import piie
from etl.ingest.common import SourceFile
from tests.helpers import LANDING, PIIE_XLSX

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def src() -> SourceFile:
    return SourceFile.open(PIIE_XLSX, LANDING)


@pytest.fixture(scope="module")
def schedule(src):
    return piie.load_tariff_schedule(src, NOW)


def test_every_tariff_line_is_loaded_with_lineage(schedule, src):
    _, lines, rates = schedule
    assert lines.rows_read == 11_790 == len(lines.rows)
    assert lines.quarantine == []
    assert len(rates.rows) == 11_790 * 11
    first = lines.rows[0]
    assert first["national_line_code"] == "0101210010"
    assert (first["_source_sheet"], first["_source_row"]) == ("China Tariff Rates", 2)
    assert first["_source_sha256"] == src.sha256
    assert first["_source_file"] == "piie_bown_jung_zhang/bown-jung-zhang-2019-06-12.xlsx"


def test_measures_come_from_the_dated_headers(schedule):
    measures, _, _ = schedule
    kinds = Counter(m["kind"] for m in measures.rows)
    assert kinds == {
        "mfn_level": 1,
        "mfn_change": 4,
        "retaliation": 4,
        "suspension": 1,
        "retaliation_change": 1,
    }
    on_new_year_2019 = [
        m["measure_id"] for m in measures.rows if m["effective_date"] == date(2019, 1, 1)
    ]
    assert on_new_year_2019 == ["CHN-20190101-mfn_change", "CHN-20190101-suspension"]
    assert len({m["measure_id"] for m in measures.rows}) == 11


def test_value_split_lines_and_blank_rates_are_kept(schedule):
    _, lines, rates = schedule
    suffixed = [r["national_line_code"] for r in lines.rows if len(r["national_line_code"]) == 11]
    assert len(suffixed) == 28
    blank_mfn = {
        r["national_line_code"]
        for r in rates.rows
        if r["measure_id"] == "CHN-20180101-mfn_level" and r["rate_pp"] is None
    }
    assert len(blank_mfn) == 14
    assert "8521101100B" in blank_mfn and "3702520000" in blank_mfn


def test_trade_flows_are_in_usd_with_leading_zeros(src):
    flows = piie.load_trade_flows(src, NOW)
    assert flows.rows_read == len(flows.rows) == 8_252
    assert sum(r["source_value"] for r in flows.rows) == 154_839_651
    assert sum(r["trade_value_usd"] for r in flows.rows) == 154_839_651_000
    soy = next(r for r in flows.rows if r["hs_code"] == "12019010")
    assert soy["trade_value_usd"] == 13_932_840_000
    assert all(len(r["hs_code"]) == 8 for r in flows.rows)
    assert flows.rows[0]["hs_code"] == "01012100"


def test_sector_labels_map_to_the_twelve_figure_2_sectors(src):
    sectors = piie.load_sectors(src, NOW)
    assert sectors.quarantine == []
    names = Counter(r["sector"] for r in sectors.rows)
    assert set(names) == set(piie.figure2_sector_names(src))
    assert len(names) == 12
    assert names["Soybeans"] == 2
    labels = {r["sector_label"]: r["sector"] for r in sectors.rows}
    assert labels["Petroleu"] == "Petroleum"
    assert labels["Electrical machinery and equipmen"] == "Electrical machinery and equipment"
