"""`add_parsers` wiring: `ingest` and `generate` as the main CLI will call them."""

from __future__ import annotations

import argparse
import csv
import os

import pytest

import etl.settings
from etl.customs.api import landed_glob
from etl.customs.cli import add_parsers
from etl.errors import EtlError
from tests.customs.helpers import CHINA_GBK, COMTRADE_CHN, settings_for


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


# ---------------------------------------------------------------- `tariff-etl ingest` options
# through `etl.cli.main`, the console entry: the options must reach the adapter


@pytest.fixture
def tariff_etl(tmp_path, monkeypatch, capsys):
    """`tariff_etl(*argv)` -> (exit code, stdout, stderr) of `tariff-etl` with its warehouse in
    tmp_path (settings re-read from the environment, as a fresh process would)."""
    from etl import cli

    for name in list(os.environ):
        if name.startswith("TARIFF_ETL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(tmp_path / "wh"))

    def call(*argv: str) -> tuple[int, str, str]:
        etl.settings.get_settings.cache_clear()
        capsys.readouterr()
        try:
            code = cli.main(list(argv))
        finally:
            etl.settings.get_settings.cache_clear()
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def _column_by_row(path, column: str) -> dict[int, int]:
    """A money column of a China Customs export by file row number (1 = the header), read with
    the csv module; rows without a whole number there (malformed rows) are left out."""
    with open(path, encoding="gbk", newline="") as fh:
        rows = list(csv.reader(fh))
    index = rows[0].index(column)
    out = {}
    for number, row in enumerate(rows[1:], start=2):
        text = row[index].replace(",", "") if len(row) > index else ""
        if text.isdigit():
            out[number] = int(text)
    return out


def _landed_rows(tmp_path) -> list[dict]:
    from tests.customs.helpers import landed

    return landed(settings_for(tmp_path))


def test_cli_flow_option_overrides_the_file_name(tariff_etl, tmp_path):
    # the file name says 进口 (import); --flow export must win
    path = tmp_path / "进口_201803.csv"
    path.write_bytes(CHINA_GBK.read_bytes())
    code, out, err = tariff_etl("ingest", "china-customs", str(path), "--flow", "export")
    assert code == 0, err
    rows = _landed_rows(tmp_path)
    flows = {(r["flow"], r["valuation"]) for r in rows}
    assert flows == {("export", "FOB")}, (
        f"tariff-etl ingest --flow export landed {sorted(flows)}: the option did not reach the "
        "adapter"
    )
    usd = _column_by_row(path, "美元")
    assert rows and {r["_source_row"]: r["trade_value_usd"] for r in rows} == {
        r["_source_row"]: usd[r["_source_row"]] for r in rows
    }


@pytest.mark.parametrize("rate", [6.5, 7.1234])
def test_cli_cny_per_usd_converts_yuan_and_flow_is_kept(tariff_etl, tmp_path, rate):
    text = CHINA_GBK.read_bytes().decode("gbk").replace(",美元,", ",人民币,", 1)
    path = tmp_path / "201803_yuan.csv"  # the name says no flow: --flow must decide it
    path.write_bytes(text.encode("gbk"))
    code, _, err = tariff_etl(
        "ingest", "china-customs", str(path), "--flow", "import", "--cny-per-usd", str(rate)
    )
    assert code == 0, f"--flow import --cny-per-usd {rate} refused: {err}"
    rows = _landed_rows(tmp_path)
    assert rows and {(r["flow"], r["valuation"]) for r in rows} == {("import", "CIF")}
    yuan = _column_by_row(path, "人民币")
    for r in rows:
        expected = yuan[r["_source_row"]] / rate
        assert (r["source_unit"], r["source_value"]) == ("CNY", yuan[r["_source_row"]])
        assert r["trade_value_usd"] == pytest.approx(expected, rel=1e-12), (
            f"row {r['_source_row']}: {r['trade_value_usd']} USD landed, "
            f"{yuan[r['_source_row']]} CNY / {rate} = {expected} expected"
        )
    # without the rate the same file is refused, naming the option (exit 2, one line)
    code, _, err = tariff_etl("ingest", "china-customs", str(path), "--flow", "import")
    assert code == 2 and "--cny-per-usd" in err and len(err.strip().splitlines()) == 1, err
