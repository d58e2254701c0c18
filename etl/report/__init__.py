"""The coverage report of one published run: one self-contained HTML file and a PNG for slides.

`build_report(settings, run_id)` reads only what the run published or staged
(`runs/<run_id>/marts/`, its manifest and `quality/<layer>.json`, plus the run's raw
`piie_tariff_events`: PIIE's dated event list, drawn beside our average tariff) and writes
`runs/<run_id>/reports/coverage_report.html` and `key_charts.png`. `load_report_data` returns
what the charts and tables are drawn from, without rendering.

The package: `data` (reading the run), `charts` (matplotlib), `rendering` (the Jinja
template), `formatting` (numbers and text shared by charts and tables).

The HTML works offline and from an e-mail attachment: charts are inline SVG drawn by
matplotlib, CSS is inline, and nothing is fetched (no CDN, fonts or scripts). Its content is a
function of the run alone (no "generated at" clock), so reports of the same run are identical.
PIIE's own Figure 1 series is read from the landing workbook for comparison; its sha256 is
checked against the one the run recorded, and the report says so when they differ.
"""

from __future__ import annotations

from pathlib import Path

from etl.atomic import write_bytes_atomic
from etl.report.charts import key_charts_png, render_charts
from etl.report.data import load_piie_events, load_report_data, read_piie_figure1
from etl.report.formatting import fmt_bn, fmt_musd, fmt_rate, fmt_share, fmt_when
from etl.report.rendering import render_html
from etl.settings import Settings

__all__ = [
    "KEY_CHARTS_PNG",
    "REPORT_HTML",
    "build_report",
    "fmt_bn",
    "fmt_musd",
    "fmt_rate",
    "fmt_share",
    "fmt_when",
    "load_piie_events",
    "load_report_data",
    "read_piie_figure1",
]

REPORT_HTML = "coverage_report.html"
KEY_CHARTS_PNG = "key_charts.png"


def build_report(settings: Settings, run_id: str | None = None) -> dict[str, Path]:
    """Write the HTML report and the key-charts PNG of a published run; return their paths.

    run_id None means the run `current` points at. Raises EtlError (one line) when nothing is
    published, the run is unknown or was not published, or a mart file is missing.
    """
    data = load_report_data(settings, run_id)
    run_dir = settings.run_dir(data["run_id"])
    charts = render_charts(data)
    html = render_html(data, charts)
    out_dir = run_dir / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = write_bytes_atomic(out_dir / REPORT_HTML, html.encode("utf-8"))
    png_path = write_bytes_atomic(out_dir / KEY_CHARTS_PNG, key_charts_png(data))
    return {"coverage_report": html_path, "key_charts": png_path}
