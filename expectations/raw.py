"""Raw suites: the columns are there, there are rows, codes parse, rates are numbers."""

from __future__ import annotations

from expectations._common import (
    between,
    columns_exist,
    gxe,
    hs_code,
    in_set,
    not_null,
    rows_at_least,
    suite,
    unique_key,
)

LINEAGE = ("_source_file", "_source_sha256", "_source_row", "_loaded_at")
MEASURE_KINDS = [
    "mfn_level",
    "mfn_change",
    "retaliation",
    "retaliation_change",
    "suspension",
    "retaliation_state",
    "exclusion",
    "exemption",
]
NATIONAL_LINE = r"^\d{8}(?:\d{2}[A-Z]?)?$"


def _basic(name: str, columns: list[str], min_rows: int = 1, required: tuple = ()) -> list:
    return [
        *columns_exist(*columns, *LINEAGE),
        rows_at_least(min_rows),
        *not_null(*required, *LINEAGE),
    ]


def tariff_measures():
    return suite(
        "raw.tariff_measures",
        [
            *_basic(
                "tariff_measures",
                ["measure_id", "schedule_id", "kind", "effective_date"],
                2,
                ("measure_id", "schedule_id", "kind", "effective_date"),
            ),
            in_set("kind", MEASURE_KINDS),
        ],
    )


def tariff_lines():
    return suite(
        "raw.tariff_lines",
        [
            *_basic(
                "tariff_lines",
                ["schedule_id", "national_line_code", "hs_revision", "description"],
                1000,
                ("schedule_id", "national_line_code"),
            ),
            gxe().ExpectColumnValuesToMatchRegex(column="national_line_code", regex=NATIONAL_LINE),
        ],
    )


def tariff_line_rates():
    return suite(
        "raw.tariff_line_rates",
        [
            *_basic(
                "tariff_line_rates",
                ["schedule_id", "national_line_code", "measure_id", "rate_pp"],
                1000,
                ("schedule_id", "national_line_code", "measure_id"),
            ),
            between("rate_pp", -100, 1000),
        ],
    )


def trade_flows():
    return suite(
        "raw.trade_flows",
        [
            *_basic(
                "trade_flows",
                [
                    "reporter_iso3",
                    "partner_iso3",
                    "flow",
                    "hs_code",
                    "hs_level",
                    "period",
                    "trade_value_usd",
                ],
                1,
                ("reporter_iso3", "partner_iso3", "flow", "hs_code", "trade_value_usd"),
            ),
            in_set("flow", ["import", "export"]),
            between("trade_value_usd", 0, None),
        ],
    )


def piie_sectors():
    return suite(
        "raw.piie_sectors",
        [
            *_basic("piie_sectors", ["hs8_code", "sector"], 1, ("hs8_code", "sector")),
            hs_code("hs8_code", 8),
        ],
    )


def hs_nomenclature():
    return suite(
        "raw.hs_nomenclature",
        [
            *_basic(
                "hs_nomenclature",
                ["hs_revision", "hs_code", "level", "description"],
                1000,
                ("hs_revision", "hs_code", "level"),
            ),
            in_set("level", [2, 4, 6]),
            in_set("hs_revision", ["HS2017", "HS2022"]),
        ],
    )


def hs_sections():
    return suite(
        "raw.hs_sections",
        [
            *_basic(
                "hs_sections",
                ["hs_revision", "section", "section_name"],
                21,
                ("section", "section_name"),
            ),
        ],
    )


def retaliation_matrix():
    return suite(
        "raw.retaliation_matrix",
        [
            *_basic(
                "retaliation_matrix",
                ["reporter_iso3", "national_line_code", "rate_pct"],
                1000,
                ("reporter_iso3", "national_line_code", "rate_pct"),
            ),
            gxe().ExpectColumnValuesToMatchRegex(column="national_line_code", regex=r"^\d{4,12}$"),
            between("rate_pct", 0, 1000),
        ],
    )


def mof_retaliation_list_2018():
    return suite(
        "raw.mof_retaliation_list_2018",
        [
            *_basic(
                "mof_retaliation_list_2018",
                ["hs8_code", "additional_rate_pct"],
                1,
                ("hs8_code", "additional_rate_pct"),
            ),
            hs_code("hs8_code", 8),
        ],
    )


def action_line_lists():
    """Explicit line lists that tariff actions point at (annex PDFs, PIIE's HS6 list).

    The code's length is its level; an undated list (an annex) states its rate and describes
    every line; a list's item numbers are unique.
    """
    undated = {"row_condition": "as_of_date.isnull()", "condition_parser": "pandas"}
    return suite(
        "raw.action_line_lists",
        [
            *_basic(
                "action_line_lists",
                [
                    "list_id",
                    "item_no",
                    "code",
                    "code_level",
                    "nomenclature",
                    "description",
                    "as_of_date",
                    "rate_pct",
                ],
                1,
                ("list_id", "item_no", "code", "code_level", "nomenclature"),
            ),
            gxe().ExpectColumnValuesToMatchRegex(column="list_id", regex=r"^[a-z0-9_]+$"),
            in_set("code_level", [6, 8]),
            in_set("nomenclature", ["CN2025", "HS2017"]),
            *(
                gxe().ExpectColumnValuesToMatchRegex(
                    column="code",
                    regex=rf"^\d{{{level}}}$",
                    row_condition=f"code_level == {level}",
                    condition_parser="pandas",
                )
                for level in (6, 8)
            ),
            between("item_no", 1, None),
            between("rate_pct", 0, 1000),
            gxe().ExpectColumnValuesToNotBeNull(column="rate_pct", **undated),
            gxe().ExpectColumnValuesToNotBeNull(column="description", **undated),
            unique_key("list_id", "item_no"),
        ],
    )


def hs_concordance():
    return suite(
        "raw.hs_concordance",
        [
            *_basic(
                "hs_concordance",
                ["from_hs6", "to_hs6", "relationship"],
                1000,
                ("from_hs6", "to_hs6"),
            ),
            hs_code("from_hs6", 6),
            hs_code("to_hs6", 6),
        ],
    )


def exclusion_announcements():
    return suite(
        "raw.exclusion_announcements",
        [
            *_basic(
                "exclusion_announcements",
                ["announcement_id", "effective_from_date", "stated_item_count"],
                1,
                ("announcement_id",),
            ),
        ],
    )


def exclusion_items():
    return suite(
        "raw.exclusion_items",
        [
            *_basic(
                "exclusion_items",
                ["announcement_id", "hs8_code"],
                1,
                ("announcement_id", "hs8_code"),
            ),
            hs_code("hs8_code", 8),
        ],
    )


def product_categories():
    return suite(
        "raw.product_categories",
        [
            *_basic(
                "product_categories",
                ["category", "hs_revision", "hs_prefix", "match"],
                1,
                ("category", "hs_revision", "hs_prefix", "match"),
            ),
        ],
    )


def exemption_scenarios():
    return suite(
        "raw.exemption_scenarios",
        [
            *_basic(
                "exemption_scenarios",
                ["scenario_id", "base_schedule_id", "base_date", "base_label"],
                1,
                ("scenario_id", "base_schedule_id", "base_label"),
            ),
        ],
    )


def exemption_scenario_windows():
    return suite(
        "raw.exemption_scenario_windows",
        [
            *_basic(
                "exemption_scenario_windows",
                ["scenario_id", "window_months"],
                1,
                ("scenario_id", "window_months", "window_start_date"),
            ),
            between("window_months", 1, None),
        ],
    )


def exemption_scenario_rules():
    return suite(
        "raw.exemption_scenario_rules",
        [
            *_basic(
                "exemption_scenario_rules",
                ["scenario_id", "rule_type", "rule_value"],
                1,
                ("scenario_id", "rule_type", "rule_kind", "rule_value"),
            ),
        ],
    )


def piie_tariff_events():
    """PIIE's dated event list: one row per date, four average tariffs in percent."""
    rates = [
        "cn_tariff_on_row_pct",
        "cn_tariff_on_us_pct",
        "us_tariff_on_cn_pct",
        "us_tariff_on_row_pct",
    ]
    return suite(
        "raw.piie_tariff_events",
        [
            *_basic(
                "piie_tariff_events",
                ["event_date", "tariff_action", *rates],
                2,
                ("event_date", "tariff_action", *rates),
            ),
            unique_key("event_date"),
            *(between(rate, 0, 1000) for rate in rates),
        ],
    )


BUILDERS = [
    tariff_measures,
    tariff_lines,
    tariff_line_rates,
    trade_flows,
    piie_sectors,
    hs_nomenclature,
    hs_sections,
    retaliation_matrix,
    mof_retaliation_list_2018,
    action_line_lists,
    hs_concordance,
    exclusion_announcements,
    exclusion_items,
    product_categories,
    exemption_scenarios,
    exemption_scenario_windows,
    exemption_scenario_rules,
    piie_tariff_events,
]
