"""Shared helpers of the customs tests (import from here)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from etl.customs.api import landed_glob
from etl.customs.store import LandedStore
from etl.settings import Settings
from tests.helpers import LANDING, PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "customs"
COMTRADE_CHN = LANDING / "un_comtrade_totals" / "TradeData_China_USA.csv"
COMTRADE_USA = LANDING / "un_comtrade_totals" / "TradeData_USA_China.csv"
CENSUS_HS4 = LANDING / "tradewar_tracker_aws" / "data-hs4.parquet"
CENSUS_HS2 = LANDING / "tradewar_tracker_aws" / "data.parquet"
CHINA_GBK = FIXTURES / "china_customs_import_201803.csv"
COMTRADE_JSON = FIXTURES / "comtrade_api_chn_2017.json"
CENSUS_JSON = FIXTURES / "census_api_exports_hs_2018.json"


def settings_for(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "wh")


def landed(settings: Settings, where: str = "true") -> list[dict]:
    """Landed rows as dicts (exact file columns: no Hive partition columns)."""
    sql = (
        f"select * from read_parquet('{landed_glob(settings)}', hive_partitioning = false) "
        f"where {where} order by source, _source_file, _source_row"
    )
    return duckdb.sql(sql).to_arrow_table().to_pylist()


def quarantine(settings: Settings) -> list[dict]:
    files = sorted((LandedStore(settings).quarantine_dir).rglob("*.parquet"))
    if not files:
        return []
    rows = pa.concat_tables(pq.read_table(f) for f in files).to_pylist()
    return sorted(rows, key=lambda r: (r["source_file"], r["source_row"]))


def part_files(settings: Settings) -> dict[str, tuple[int, str]]:
    """Every landed part file -> (mtime_ns, sha256)."""
    root = LandedStore(settings).trade_flows
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(root.rglob("*.parquet"))
    }
