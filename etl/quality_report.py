"""A self-contained HTML page of a run's quality evidence (no CDN: readable offline).

GX Data Docs pull their CSS from a CDN; this page is built from the run's own validation
results (`quality/<layer>.json`) and manifest, with inline CSS only (template:
`etl/templates/quality_report.html.j2`, like the coverage report's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from etl.atomic import write_text_atomic

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"  # as etl.report.rendering
TEMPLATE = "quality_report.html.j2"


def write_quality_report(run_dir: Path) -> Path:
    """Render `<run_dir>/quality/report.html` from the run's manifest and gate results."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    gates: list[dict[str, Any]] = []
    for layer in ("raw", "staging", "intermediate", "marts"):
        path = run_dir / "quality" / f"{layer}.json"
        if path.exists():
            gates.append(json.loads(path.read_text()))
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    html = env.get_template(TEMPLATE).render(manifest=manifest, gates=gates)
    return write_text_atomic(run_dir / "quality" / "report.html", html)
