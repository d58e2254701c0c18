"""Shared fixtures. Airflow reads its config on first import, so its environment is set here,
before anything imports it; the default warehouse of this test session is a temp folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="tariff-etl-tests-"))
PROJECT_ROOT = Path(__file__).resolve().parent.parent
os.environ["AIRFLOW_HOME"] = str(_SESSION_TMP / "airflow_home")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["TARIFF_ETL_WAREHOUSE"] = str(_SESSION_TMP / "dag_warehouse")
os.environ.pop("TARIFF_ETL_LANDING", None)

import duckdb  # noqa: E402
import pytest  # noqa: E402

from etl import pipeline  # noqa: E402
from etl.settings import Settings, get_settings  # noqa: E402
from tests.helpers import LANDING, copy_warehouse  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_settings_cache():
    """`get_settings()` reads the environment once per process (lru_cache): every test starts
    and ends with it unread, so a test that sets TARIFF_ETL_* and calls the CLI in-process never
    sees the warehouse an earlier test of the same worker cached."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "warehouse")


@pytest.fixture
def landing_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled landing folder, for tests that break one file."""
    target = tmp_path / "landing"
    shutil.copytree(LANDING, target)
    return target


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> tuple[Settings, pipeline.RunSummary]:
    """The whole pipeline run once on the bundled data (shared by the read-only mart tests)."""
    settings = Settings(warehouse=tmp_path_factory.mktemp("published") / "warehouse")
    return settings, pipeline.run_all(settings)


@pytest.fixture(scope="session")
def published_copy(published, tmp_path_factory):
    """make(name) -> Settings of a private copy of the `published` warehouse, for tests that
    change it (cheaper than a run of their own: the bundled data is built once per worker)."""

    def make(name: str = "published_copy") -> Settings:
        return copy_warehouse(published[0], tmp_path_factory.mktemp(name) / "warehouse")

    return make


@pytest.fixture
def marts_con(published) -> duckdb.DuckDBPyConnection:
    settings, _ = published
    con = duckdb.connect(str(settings.duckdb_path), read_only=True)
    yield con
    con.close()


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the three model schemas."""
    con = duckdb.connect()
    for schema in ("staging", "intermediate", "marts"):
        con.execute(f"create schema {schema}")
    yield con
    con.close()
