"""Airflow Assets for what the pipeline publishes, with URIs derived from Settings."""

from __future__ import annotations

from airflow.sdk import Asset

from etl.contract import MARTS
from etl.settings import get_settings


def mart_assets() -> list[Asset]:
    """One Asset per published mart, at its real location under `<warehouse>/current/marts/`."""
    root = get_settings().current_dir / "marts"
    return [Asset(name=f"tariffs.marts.{name}", uri=(root / name).as_uri()) for name in MARTS]
