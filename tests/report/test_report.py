"""The HTML report and key-charts PNG of a published run: files, self-containment, numbers."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from etl import runs
from etl.errors import EtlError, SourceFormatError
from etl.report import (
    KEY_CHARTS_PNG,
    REPORT_HTML,
    build_report,
    fmt_bn,
    fmt_rate,
    fmt_share,
    read_piie_figure1,
)
from etl.settings import Settings

SECTIONS = {
    "average-tariff": "China's average tariff on US goods over time",
    "retaliation-coverage": "Coverage of the 2017 base by retaliation over time",
    "exemption-scenarios": "Exemption scenarios: coverage, band and duty relief",
    "data-quality": "Data quality and provenance",
}


@pytest.fixture(scope="module")
def html(report) -> str:
    return report["coverage_report"].read_text(encoding="utf-8")


def test_build_report_writes_both_files_into_the_run_folder(published, report):
    settings, summary = published
    folder = settings.run_dir(summary.run_id) / "reports"
    assert report["coverage_report"] == folder / REPORT_HTML
    assert report["key_charts"] == folder / KEY_CHARTS_PNG
    assert report["key_charts"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["key_charts"].stat().st_size > 20_000
    # atomic writes leave no temp file behind
    assert sorted(p.name for p in folder.iterdir()) == sorted([REPORT_HTML, KEY_CHARTS_PNG])


def test_html_loads_nothing_from_outside(html):
    lowered = html.lower()
    for pattern in ('src="http', "src='http", 'href="http', "href='http", "url(http", "@import"):
        assert pattern not in lowered, pattern
    assert "<script" not in lowered
    assert "<link" not in lowered
    assert "<!doctype svg" not in lowered  # the SVG DOCTYPE names an external DTD


def test_text_from_the_data_is_escaped(html):
    # autoescape: the apostrophe of a scenario description arrives as an entity
    assert "China&#39;s first exclusion list" in html
    assert "China's first exclusion list" not in html


def test_html_has_every_section_and_inline_charts(html):
    for section_id, heading in SECTIONS.items():
        assert re.search(rf'<section id="{section_id}">\s*<h2>', html), section_id
        assert f"<h2>{heading}</h2>" in html, heading
    assert html.count("<svg") >= 5
    # ids are prefixed per chart, so several inline SVGs never share one
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


class _Tables(HTMLParser):
    """Every <table> of a page: its caption, header cells and body rows as cell texts (a <br>
    inside a cell becomes a newline)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._row: list[tuple[bool, str]] | None = None  # (is a <th>, text) per cell

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "header": [], "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((tag == "th", "".join(self._cell).strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            texts = [text for _, text in self._row]
            if self._row and all(is_th for is_th, _ in self._row):
                self.tables[-1]["header"] = texts
            else:
                self.tables[-1]["rows"].append(texts)
            self._row = None

    def handle_data(self, data):
        for target in (self._cell, self._caption):
            if target is not None:
                target.append(data)


def html_table(html: str, caption_start: str) -> list[dict[str, str]]:
    """The body rows of the table whose caption starts so, as {header: cell text}."""
    parser = _Tables()
    parser.feed(html)
    (table,) = [t for t in parser.tables if t["caption"].startswith(caption_start)]
    return [dict(zip(table["header"], row, strict=True)) for row in table["rows"]]


def _row_date(cell: str) -> date:
    # "2019-09-17 †" (flag marks follow the date)
    return date.fromisoformat(cell.split()[0])


def test_html_numbers_match_the_marts(marts_con, html):
    """The coverage table, row by row: each date shows that date's sums of the mart."""
    mart = marts_con.execute(
        "select as_of_date, sum(covered_value_usd), sum(total_value_usd), "
        "sum(unmatched_value_usd), coalesce(sum(covered_by_blanket_only_value_usd), 0) "
        "from fct_retaliation_coverage group by 1 order by 1"
    ).fetchall()
    rows = html_table(html, "fct_retaliation_coverage summed over sectors")
    assert [_row_date(r["date"]) for r in rows] == [m[0] for m in mart], (
        "the coverage table's dates are not the mart's as-of dates, in order"
    )
    for row, (as_of, covered, total, unmatched, blanket_only) in zip(rows, mart, strict=True):
        shown = {
            "covered (USD bn)": row["covered (USD bn)"],
            "base (USD bn)": row["base (USD bn)"],
            "share covered": row["share covered"],
            "not in schedule (USD bn)": row["not in schedule (USD bn)"],
            "covered only by an all-goods duty (USD bn)": row[
                "covered only by an all-goods duty (USD bn)"
            ],
        }
        expected = {
            "covered (USD bn)": fmt_bn(covered),
            "base (USD bn)": fmt_bn(total),
            "share covered": fmt_share(covered / total),
            "not in schedule (USD bn)": fmt_bn(unmatched),
            "covered only by an all-goods duty (USD bn)": fmt_bn(blanket_only),
        }
        assert shown == expected, (
            f"report coverage row {as_of} shows {shown}, fct_retaliation_coverage has "
            f"{expected} for that date (a row showing another date's values?)"
        )


def test_html_average_table_shows_the_mart_value_in_force_on_each_date(marts_con, html):
    mart: dict[str, dict[date, tuple]] = {}
    for method, as_of, applied, additional in marts_con.execute(
        "select average_method, as_of_date, avg_applied_rate_pct, avg_additional_rate_pct "
        "from fct_average_tariff order by 2"
    ).fetchall():
        key = "simple" if method == "simple" else "weighted"
        mart.setdefault(key, {})[as_of] = (applied, additional)
    rows = html_table(html, "Average applied tariff on US goods")
    dates = [_row_date(r["date"]) for r in rows]
    assert dates == sorted(set(dates)) and set(mart["weighted"]) <= set(dates)
    for row, as_of in zip(rows, dates, strict=True):
        # on a date with no mart row (a PIIE-only event) the state of the last action holds
        in_force = max(d for d in mart["weighted"] if d <= as_of)
        applied, additional = mart["weighted"][in_force]
        weighted_cell = row["ours: weighted"].split("\n")
        assert weighted_cell[0] == fmt_rate(applied), (
            f"report average row {as_of}: ours {weighted_cell[0]}, mart {fmt_rate(applied)} "
            f"(as of {in_force})"
        )
        assert weighted_cell[1:] == ([] if in_force == as_of else [f"as of {in_force}"])
        assert row["of which retaliation"] == fmt_rate(additional), as_of
        assert row["simple average HS8"] == fmt_rate(mart["simple"][in_force][0]), as_of


def test_html_headline_numbers_match_the_marts(published, marts_con, html):
    _, summary = published
    covered, share = marts_con.execute(
        "select sum(covered_value_usd), sum(covered_value_usd) / sum(total_value_usd) "
        "from fct_retaliation_coverage where as_of_date = date '2019-06-01'"
    ).fetchone()
    band = marts_con.execute(
        "select coverage_share_low, coverage_share_high from fct_exemption_band "
        "where scenario_id = 'seed_story' and product_scope = 'all_products'"
    ).fetchone()
    # README headline: $87.14B of $154.84B (56.3%) on 1 June 2019
    assert (fmt_bn(covered), fmt_share(share)) == ("87.14", "56.3%")
    (june_2019,) = [
        r
        for r in html_table(html, "fct_retaliation_coverage summed over sectors")
        if r["date"] == "2019-06-01"
    ]
    assert (june_2019["covered (USD bn)"], june_2019["share covered"]) == ("87.14", "56.3%")
    assert (fmt_share(band[0]), fmt_share(band[1])) == ("9.9%", "23.2%")
    assert f"{fmt_share(band[0])} – {fmt_share(band[1])}" in html
    # PIIE's Figure 1 for 2019-06-01 (20.72) beside ours (15.64), in the same row
    (average_june_2019,) = [
        r
        for r in html_table(html, "Average applied tariff on US goods")
        if _row_date(r["date"]) == date(2019, 6, 1)
    ]
    assert (average_june_2019["ours: weighted"], average_june_2019["PIIE Figure 1"]) == (
        "15.6%",
        "20.7%",
    )
    assert summary.run_id in html


def test_provenance_lists_inputs_with_sha256_and_gates(published, html):
    settings, summary = published
    manifest = runs.read_manifest(settings, summary.run_id)
    for name, meta in manifest["inputs"].items():
        assert name in html
        assert meta["sha256"] in html
    assert manifest["code_version"] in html
    assert manifest["contract_version"] in html
    for dataset, counts in manifest["datasets"].items():
        assert re.search(rf"<td>{dataset}</td>\s*<td class=\"num\">{counts['rows_read']:,}<", html)
    for layer in runs.GATES:
        assert f"<td>{layer}</td>" in html


def test_report_of_the_same_run_is_identical(published, report):
    settings, _ = published
    before = {k: p.read_bytes() for k, p in report.items()}
    again = build_report(settings)
    assert {k: p.read_bytes() for k, p in again.items()} == before


def test_nothing_published_is_a_one_line_error(tmp_path):
    with pytest.raises(EtlError, match="nothing published"):
        build_report(Settings(warehouse=tmp_path / "empty"))


def test_unknown_run_is_an_error(published):
    settings, _ = published
    with pytest.raises(EtlError, match="not found"):
        build_report(settings, "20000101T000000Z-000000")


def test_piie_figure1_dates_come_from_the_first_line_of_each_header():
    rows = [
        ["China's tariff toward", "January 1, 2018", "April 2, 2018\nRetaliation to US 232", ""],
        ["United States", 7.99, 8.37, ""],
        ["Other Exporters", 7.99, 7.99, ""],
    ]
    assert read_piie_figure1(Path("x.xlsx"), "x.xlsx", rows) == {
        date(2018, 1, 1): 7.99,
        date(2018, 4, 2): 8.37,
    }


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([["Something else", "January 1, 2018"], ["United States", 1.0]], "no header row"),
        ([["China's tariff toward", "January 1, 2018"], ["Japan", 1.0]], "'United States' row"),
        ([["China's tariff toward", "Q1 2018"], ["United States", 1.0]], "does not start with"),
    ],
)
def test_piie_figure1_layout_changes_are_one_line_errors(rows, problem):
    with pytest.raises(SourceFormatError, match=problem):
        read_piie_figure1(Path("x.xlsx"), "x.xlsx", rows)
