"""Customs inputs discovery: the bundled files, the inbox's format folders, what is ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.customs.inbox import BUNDLED, discover_inputs, input_label
from etl.errors import EtlError
from etl.settings import Settings, get_settings
from tests.helpers import LANDING

BUNDLED_INPUTS = [
    {
        "format": "census",
        "path": str(
            LANDING / "census_us_exports_china_hs6" / "phaseone-tradedata-C-febuary.parquet"
        ),
    },
    {"format": "census", "path": str(LANDING / "tradewar_tracker_aws" / "data-hs4.parquet")},
    {"format": "census", "path": str(LANDING / "tradewar_tracker_aws" / "data.parquet")},
    {"format": "comtrade", "path": str(LANDING / "un_comtrade_totals" / "TradeData_China_USA.csv")},
    {"format": "comtrade", "path": str(LANDING / "un_comtrade_totals" / "TradeData_USA_China.csv")},
]


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_without_an_inbox_the_bundled_files_are_the_inputs(settings):
    assert not settings.customs_inbox.exists()
    inputs = discover_inputs(settings)
    assert inputs == BUNDLED_INPUTS
    assert json.loads(json.dumps(inputs)) == inputs  # goes through XCom as is
    assert all(Path(item["path"]).is_file() for item in inputs)
    assert len(BUNDLED) == len(inputs)


def test_inbox_files_come_from_their_format_folder_sorted_and_filtered(settings):
    inbox = settings.customs_inbox
    wanted = [
        touch(inbox / "comtrade" / "2019" / "chn_2019.csv"),
        touch(inbox / "comtrade" / "no_extension"),
        touch(inbox / "census" / "exports.json"),
        touch(inbox / "china-customs" / "201803进口.csv"),
        touch(inbox / "china-customs" / "deep" / "er" / "201804进口.csv"),
    ]
    for ignored in (
        inbox / "comtrade" / ".DS_Store",
        inbox / "comtrade" / "half_copied.csv.part",
        inbox / "comtrade" / "upload.TMP",
        inbox / "comtrade" / ".staging" / "hidden_folder.csv",
        inbox / ".trash" / "whatever.csv",  # a hidden folder at the top is not a format folder
        inbox / ".notes",
    ):
        touch(ignored)
    (inbox / "census" / "empty_subfolder").mkdir()

    inputs = discover_inputs(settings)
    from_inbox = [item for item in inputs if item not in BUNDLED_INPUTS]
    assert sorted(Path(item["path"]) for item in from_inbox) == sorted(wanted)
    for item in from_inbox:
        assert Path(item["path"]).relative_to(inbox).parts[0] == item["format"]
    assert inputs == sorted(inputs, key=lambda item: (item["format"], item["path"]))
    assert discover_inputs(settings) == inputs  # deterministic


def test_an_unknown_format_folder_is_an_error_naming_it(settings):
    touch(settings.customs_inbox / "comtrade" / "ok.csv")
    touch(settings.customs_inbox / "eurostat" / "flows.csv")
    with pytest.raises(EtlError, match="unknown format folder .*/inbox/eurostat; expected one of"):
        discover_inputs(settings)


def test_a_file_outside_a_format_folder_is_an_error_naming_it(settings):
    touch(settings.customs_inbox / "TradeData_China_USA.csv")
    with pytest.raises(EtlError, match="inbox/TradeData_China_USA.csv is not in a format folder"):
        discover_inputs(settings)


def test_the_inbox_defaults_to_the_warehouse_and_can_be_set(tmp_path, monkeypatch):
    assert Settings(warehouse=tmp_path / "wh").customs_inbox == (tmp_path / "wh" / "inbox")
    elsewhere = Settings(warehouse=tmp_path / "wh", customs_inbox=tmp_path / "drop" / ".." / "in")
    assert elsewhere.customs_inbox == tmp_path / "in"
    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(tmp_path / "wh2"))
    monkeypatch.setenv("TARIFF_ETL_CUSTOMS_INBOX", str(tmp_path / "shared_inbox"))
    get_settings.cache_clear()
    try:
        assert get_settings().customs_inbox == tmp_path / "shared_inbox"
        monkeypatch.delenv("TARIFF_ETL_CUSTOMS_INBOX")
        get_settings.cache_clear()
        assert get_settings().customs_inbox == tmp_path / "wh2" / "inbox"
    finally:
        get_settings.cache_clear()


def test_input_labels_are_short_and_say_where_the_file_came_from(settings):
    inbox = settings.customs_inbox
    deep = touch(inbox / "comtrade" / ("d" * 200) / ("f" * 100 + ".csv"))
    touch(inbox / "census" / "exports.json")
    labels = [input_label(settings, item) for item in discover_inputs(settings)]
    assert "un_comtrade_totals/TradeData_China_USA.csv" in labels
    assert "inbox/census/exports.json" in labels
    (long,) = [label for label in labels if label.startswith("...")]
    assert len(long) == 250 and long.endswith(deep.name)
