"""`add_parsers` wiring: `ingest` and `generate` as the main CLI will call them."""

from __future__ import annotations

import argparse

import pytest

import etl.settings
from etl.customs.api import landed_glob
from etl.customs.cli import add_parsers
from etl.errors import EtlError
from tests.customs.helpers import COMTRADE_CHN, settings_for


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tariff-etl")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parsers(sub)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    s = settings_for(tmp_path)
    monkeypatch.setattr(etl.settings, "get_settings", lambda: s)
    return s


def test_ingest_prints_counts_and_skips_unchanged(settings, capsys):
    pattern = str(COMTRADE_CHN.parent / "*.csv")
    assert _run(["ingest", "comtrade", pattern]) == 0
    out = capsys.readouterr().out
    assert "loaded" in out and "22" in out and "24" in out
    assert _run(["ingest", "comtrade", pattern]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert landed_glob(settings).endswith("landed/trade_flows/**/*.parquet")


def test_ingest_fails_on_a_file_it_cannot_read(settings, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,comtrade,file\n1,2,3,4\n")
    with pytest.raises(EtlError, match="bad.csv"):
        _run(["ingest", "comtrade", str(COMTRADE_CHN), str(bad)])
    assert "ERROR" in capsys.readouterr().out
    with pytest.raises(EtlError, match="no file matches"):
        _run(["ingest", "census", str(tmp_path / "nothing" / "*.json")])


def test_generate_then_ingest(settings, tmp_path, capsys):
    out = tmp_path / "cc_import.csv"
    argv = ["generate", "--format", "china-customs", "--rows", "500", "--months", "2"]
    assert _run([*argv, "--out", str(out), "--seed", "9"]) == 0
    assert "wrote 500 rows" in capsys.readouterr().out
    assert _run(["ingest", "china-customs", str(out), "--flow", "import"]) == 0
    with pytest.raises(EtlError, match="generate"):
        _run(["generate", "--format", "comtrade", "--rows", "-1", "--out", str(out)])


def test_landed_lists_files_and_forget_removes_exactly_one(settings, capsys):
    import json

    from etl.customs.store import LandedStore

    assert _run(["ingest", "comtrade", str(COMTRADE_CHN.parent / "*.csv")]) == 0
    capsys.readouterr()
    assert _run(["landed", "--json"]) == 0
    files = json.loads(capsys.readouterr().out)
    assert [f["rows_loaded"] for f in files] == [22, 24]
    chn, usa = files
    trade_flows = LandedStore(settings).trade_flows
    before = sorted(p.relative_to(trade_flows) for p in trade_flows.rglob("*.parquet"))

    assert _run(["landed", "--forget", chn["file"]]) == 0
    assert "forgot" in capsys.readouterr().out
    after = sorted(p.relative_to(trade_flows) for p in trade_flows.rglob("*.parquet"))
    # the other file's parts are untouched, the forgotten file's are all gone
    assert set(after) < set(before) and len(after) == len(usa["partitions"])
    assert all("reporter=USA" in str(p) for p in after)
    assert _run(["landed", "--json"]) == 0
    assert [f["file"] for f in json.loads(capsys.readouterr().out)] == [usa["file"]]
    assert _run(["landed"]) == 0
    out = capsys.readouterr().out
    assert "comtrade" in out and "24" in out
    with pytest.raises(EtlError, match="not a landed file"):
        _run(["landed", "--forget", "no/such/file.csv"])
    # landing it again works as for a new file
    assert _run(["ingest", "comtrade", str(COMTRADE_CHN)]) == 0
    assert sorted(p.relative_to(trade_flows) for p in trade_flows.rglob("*.parquet")) == before
