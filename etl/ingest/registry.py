"""The landing files the pipeline reads, and the adapter that reads each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from etl.ingest import (
    china_annex_2025,
    china_exclusions,
    china_mof,
    hs_concordance,
    hs_nomenclature,
    ita,
    piie,
    piie_events,
    product_categories,
    tradewar_tracker,
)
from etl.ingest.common import RawDataset, SourceFile

Loader = Callable[[SourceFile, datetime], list[RawDataset]]


@dataclass(frozen=True)
class LandingSource:
    source_id: str
    relative_path: str
    loader: Loader
    description: str
    folder: str = "landing"  # "landing" (data/landing) or "reference" (data/reference)


def _piie_workbook(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
    measures, lines, rates = piie.load_tariff_schedule(src, loaded_at)
    return [
        measures,
        lines,
        rates,
        piie.load_trade_flows(src, loaded_at),
        piie.load_sectors(src, loaded_at),
    ]


def _nomenclature(revision: str) -> Loader:
    def load(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
        return [hs_nomenclature.load_nomenclature(src, revision, loaded_at)]

    return load


def _sections(revision: str) -> Loader:
    def load(src: SourceFile, loaded_at: datetime) -> list[RawDataset]:
        return [hs_nomenclature.load_sections(src, revision, loaded_at)]

    return load


SOURCES: list[LandingSource] = [
    LandingSource(
        "piie_bown_jung_zhang",
        "piie_bown_jung_zhang/bown-jung-zhang-2019-06-12.xlsx",
        _piie_workbook,
        "PIIE China tariff lines 2018-2019 (HS10), 2017 imports from the US (HS8), sectors",
    ),
    LandingSource(
        "hs2017_nomenclature",
        "harmonized_system/hs2017/harmonized-system.csv",
        _nomenclature("HS2017"),
        "HS2017 chapters, headings, subheadings",
    ),
    LandingSource(
        "hs2017_sections",
        "harmonized_system/hs2017/sections.csv",
        _sections("HS2017"),
        "HS2017 sections",
    ),
    LandingSource(
        "hs2022_nomenclature",
        "harmonized_system/hs2022/harmonized-system.csv",
        _nomenclature("HS2022"),
        "HS2022 chapters, headings, subheadings",
    ),
    LandingSource(
        "hs2022_sections",
        "harmonized_system/hs2022/sections.csv",
        _sections("HS2022"),
        "HS2022 sections",
    ),
    LandingSource(
        "ita_retaliation_matrix",
        "ita_retaliation_matrix/underlying_trade_retaliations.csv",
        ita.load_retaliation_matrix,
        "US ITA Retaliation Product Matrix, 28 March 2025 (China: 2025 state, HS2022)",
    ),
    LandingSource(
        "china_mof_2018",
        "china_mof_2018/P020180401856022545193.xlsx",
        china_mof.load_mof_list,
        "China MOF list of 2 April 2018 (s.232 retaliation)",
    ),
    LandingSource(
        "hs2022_to_hs2017",
        "unsd_hs_concordance/HS2022toHS2017ConversionAndCorrelationTables.xlsx",
        hs_concordance.load_concordance,
        "UNSD HS2022 -> HS2017 correlation table",
    ),
    LandingSource(
        "china_exclusion_announcements",
        "china_exclusions/exclusion_announcements.csv",
        china_exclusions.load_announcements,
        "China's exclusion announcements",
    ),
    LandingSource(
        "china_exclusion_items",
        "china_exclusions/exclusion_items.csv",
        china_exclusions.load_items,
        "Items of China's exclusion lists",
    ),
    LandingSource(
        "china_tcc_2025_02_annex1",
        "china_retaliation_2025/china-15-030425.pdf",
        china_annex_2025.load_annex,
        "税委会公告2025年第2号 附件1: lines taxed +15% from 10 March 2025 (official PDF)",
    ),
    LandingSource(
        "china_tcc_2025_02_annex2",
        "china_retaliation_2025/china-10-030425.pdf",
        china_annex_2025.load_annex,
        "税委会公告2025年第2号 附件2: lines taxed +10% from 10 March 2025 (official PDF)",
    ),
    LandingSource(
        "tradewar_tracker_tariff_list_2019",
        "tradewar_tracker/new_tariff_list_2020.csv",
        tradewar_tracker.load_tariff_list,
        "PIIE's December 2019 China tariff levels on US goods by HS6, 12 dates 2018-2019",
    ),
    LandingSource(
        "piie_trade_war_chart",
        "piie_trade_war_chart/tariffs_bown_timeline.csv",
        piie_events.load_events,
        "PIIE's dated US-China tariff events 2018-2025 with China's average tariff on US goods",
    ),
    LandingSource(
        "product_categories",
        "product_categories.csv",
        product_categories.load_product_categories,
        "Reviewed product categories (HS prefix rules per revision)",
        folder="reference",
    ),
]
