"""The report's HTML: `etl/templates/report.html.j2` rendered with the data and the charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from etl.report.charts import LOW_CAP_PCT
from etl.report.data import INCOMPLETE_SCOPE, TOP_LINES, TOP_LINES_METHOD
from etl.report.formatting import fmt_bn, fmt_musd, fmt_rate, fmt_share, fmt_when

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


TEMPLATE = "report.html.j2"


def render_html(data: dict[str, Any], charts: dict[str, str]) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(bn=fmt_bn, musd=fmt_musd, share=fmt_share, rate=fmt_rate, when=fmt_when)
    return env.get_template(TEMPLATE).render(
        data=data,
        charts=charts,
        manifest=data["manifest"],
        prov=data["provenance"],
        top_lines_method=TOP_LINES_METHOD,
        top_lines=TOP_LINES,
        low_cap=LOW_CAP_PCT,
        incomplete_scope=INCOMPLETE_SCOPE,
    )
