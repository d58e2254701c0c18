"""The published contract: which marts exist, their grain and key (export order)."""

from __future__ import annotations

from dataclasses import dataclass

CONTRACT_VERSION = "2.0.0"


@dataclass(frozen=True)
class MartSpec:
    name: str
    grain: str
    key: tuple[str, ...]


MARTS: dict[str, MartSpec] = {
    spec.name: spec
    for spec in [
        MartSpec(
            "dim_product_categories",
            "one row per HS revision and HS8 code",
            ("hs_revision", "hs8_code"),
        ),
        MartSpec(
            "fct_tariff_timeline",
            "one row per schedule, national tariff line and validity window",
            ("schedule_id", "national_line_code", "valid_from_date"),
        ),
        MartSpec(
            "fct_retaliation_coverage",
            "one row per as-of date and PIIE sector",
            ("as_of_date", "sector"),
        ),
        MartSpec(
            "fct_average_tariff",
            "one row per as-of date and weight basis",
            ("as_of_date", "weight_basis"),
        ),
        MartSpec(
            "fct_exemption_eligibility",
            "one row per scenario and national tariff line of its base state",
            ("scenario_id", "national_line_code"),
        ),
        MartSpec(
            "fct_exemption_coverage",
            "one row per scenario, weighting method, category and window length",
            ("scenario_id", "weighting_method", "category", "window_months"),
        ),
        MartSpec("fct_exemption_band", "one row per scenario", ("scenario_id",)),
    ]
}
