"""The HTML report and key-charts PNG of a published run: files, self-containment, numbers."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from etl import pipeline
from etl.errors import EtlError, SourceFormatError
from etl.report import (
    KEY_CHARTS_PNG,
    REPORT_HTML,
    build_report,
    fmt_bn,
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


def test_html_numbers_match_the_marts(published, marts_con, html):
    _, summary = published
    # read through the warehouse's views: the published contract, whatever the file layout
    covered = marts_con.execute(
        "select as_of_date, sum(covered_value_usd), sum(covered_value_usd) / "
        "sum(total_value_usd) from fct_retaliation_coverage group by 1 order by 1"
    ).fetchall()
    band = marts_con.execute(
        "select coverage_share_low, coverage_share_high from fct_exemption_band "
        "where scenario_id = 'seed_story' and product_scope = 'all_products'"
    ).fetchone()
    by_date = {d: (value, share) for d, value, share in covered}
    assert fmt_bn(by_date[date(2019, 6, 1)][0]) == "87.14"  # README headline
    row = re.search(r'<td class="date">2019-06-01</td>\s*<td class="num">([^<]+)</td>', html)
    assert row and row.group(1) == "87.14"
    for value, share in by_date.values():
        assert fmt_bn(value) in html
        assert fmt_share(share) in html
    assert (fmt_share(band[0]), fmt_share(band[1])) == ("9.9%", "23.1%")
    assert f"{fmt_share(band[0])} – {fmt_share(band[1])}" in html
    # PIIE's Figure 1 for 2019-06-01 (20.72) beside ours (15.64)
    assert re.search(r"2019-06-01</td>.*?15\.6%.*?20\.7%</td>", html, re.S)
    assert summary.run_id in html


def test_provenance_lists_inputs_with_sha256_and_gates(published, html):
    settings, summary = published
    manifest = pipeline.read_manifest(settings, summary.run_id)
    for name, meta in manifest["inputs"].items():
        assert name in html
        assert meta["sha256"] in html
    assert manifest["code_version"] in html
    assert manifest["contract_version"] in html
    for dataset, counts in manifest["datasets"].items():
        assert re.search(rf"<td>{dataset}</td>\s*<td class=\"num\">{counts['rows_read']:,}<", html)
    for layer in pipeline.GATES:
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
