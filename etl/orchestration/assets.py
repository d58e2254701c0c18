"""Airflow Assets for what the pipeline writes, with URIs derived from Settings.

The raw dataset names are listed here (not imported from the adapters) so that parsing a DAG
file stays cheap; a test keeps this list equal to what the adapters produce.
"""

from __future__ import annotations

from airflow.sdk import Asset

from etl.publishing import mart_asset_uris
from etl.settings import get_settings

RAW_DATASETS = (
    "action_line_lists",
    "exclusion_announcements",
    "exclusion_items",
    "exemption_scenario_rules",
    "exemption_scenario_windows",
    "exemption_scenarios",
    "hs_concordance",
    "hs_nomenclature",
    "hs_sections",
    "mof_retaliation_list_2018",
    "piie_sectors",
    "piie_tariff_events",
    "product_categories",
    "retaliation_matrix",
    "tariff_actions",
    "tariff_line_rates",
    "tariff_lines",
    "tariff_measures",
    "trade_flows",
)


def raw_asset(dataset: str) -> Asset:
    return Asset(
        name=f"tariffs.raw.{dataset}", uri=(get_settings().warehouse / "raw" / dataset).as_uri()
    )


def raw_assets() -> list[Asset]:
    """One Asset per raw dataset, at its real location under `<warehouse>/raw/`."""
    return [raw_asset(name) for name in RAW_DATASETS]


def landed_trade_flows_asset() -> Asset:
    """The landed customs store (`<warehouse>/landed/trade_flows/`), written by
    `ingest_customs_flows` and snapshotted by every build."""
    return Asset(
        name="tariffs.landed.trade_flows",
        uri=(get_settings().warehouse / "landed" / "trade_flows").as_uri(),
    )


def mart_assets() -> list[Asset]:
    """One Asset per published mart, at its real location: `<warehouse>/current/marts/<mart>`,
    or `<publish uri>/marts/<mart>` when the marts are published to object storage (the
    publish target decides: `etl.publishing.mart_asset_uris`)."""
    uris = mart_asset_uris(get_settings())
    return [Asset(name=f"tariffs.marts.{name}", uri=uri) for name, uri in uris.items()]
