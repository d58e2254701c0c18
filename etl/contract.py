"""The published contract: which marts exist, their grain and key (export order)."""

from __future__ import annotations

from dataclasses import dataclass

CONTRACT_VERSION = "1.0.0"


@dataclass(frozen=True)
class MartSpec:
    name: str
    grain: str
    key: tuple[str, ...]


MARTS: dict[str, MartSpec] = {
    spec.name: spec
    for spec in [
        MartSpec("dim_product_categories", "one row per HS8 code", ("hs8_code",)),
        MartSpec(
            "fct_tariff_timeline",
            "one row per national tariff line and validity window",
            ("national_line_code", "valid_from_date"),
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
    ]
}
