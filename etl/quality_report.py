"""A self-contained HTML page of a run's quality evidence (no CDN: readable offline).

GX Data Docs pull their CSS from a CDN; this page is built from the run's own validation
results (`quality/<layer>.json`) and manifest, with inline CSS only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from etl.atomic import write_text_atomic

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Data quality - run {{ manifest.run_id }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #17692c; } .fail { color: #b00020; font-weight: 600; } .warn { color: #8a5a00; }
code { font-size: 12px; }
</style></head><body>
<h1>Data quality, run <code>{{ manifest.run_id }}</code></h1>
<p>Status: <b>{{ manifest.status }}</b>{% if manifest.error %} &mdash;
<span class="fail">{{ manifest.error }}</span>{% endif %}. Code version
<code>{{ manifest.code_version }}</code>, contract {{ manifest.contract_version }},
started {{ manifest.started_at }}.</p>
<h2 id="datasets">Rows per dataset</h2>
<table><tr><th>dataset</th><th>read</th><th>loaded</th><th>quarantined</th>
<th>of which tolerated</th></tr>
{% for name, c in manifest.datasets.items() %}<tr><td>{{ name }}</td>
<td class="num">{{ "{:,}".format(c.rows_read) }}</td>
<td class="num">{{ "{:,}".format(c.rows_loaded) }}</td>
<td class="num">{{ "{:,}".format(c.rows_quarantined) }}</td>
<td class="num">{{ "{:,}".format(c.rows_quarantined_tolerated) }}</td></tr>{% endfor %}
</table>
{% for gate in gates %}
<h2 id="gate-{{ gate.layer }}">Gate {{ gate.layer }}:
<span class="{{ 'fail' if gate.failed_critical else 'ok' }}">{{ gate.passed }} passed,
{{ gate.failed_critical }} critical failures</span>, {{ gate.warnings }} warnings</h2>
<table><tr><th>suite</th><th>check</th><th>column</th><th>severity</th><th>result</th>
<th>unexpected</th><th>examples / observed</th></tr>
{% for r in gate.results %}<tr><td>{{ r.suite }}</td><td>{{ r.check }}</td>
<td>{{ r.column or "" }}</td><td>{{ r.severity }}</td>
<td class="{{ 'ok' if r.success else ('fail' if r.severity == 'critical' else 'warn') }}">
{{ 'pass' if r.success else 'FAIL' }}</td>
<td class="num">{{ r.unexpected_count if r.unexpected_count is not none else "" }}</td>
<td><code>{{ (r.examples or r.observed or "") | string | truncate(200) }}</code></td></tr>
{% endfor %}</table>
{% endfor %}
<h2 id="inputs">Inputs</h2>
<table><tr><th>file</th><th>sha256</th></tr>
{% for name, i in manifest.inputs.items() %}<tr><td>{{ name }}</td>
<td><code>{{ i.sha256 }}</code></td></tr>{% endfor %}</table>
</body></html>
"""


def write_quality_report(run_dir: Path) -> Path:
    """Render `<run_dir>/quality/report.html` from the run's manifest and gate results."""
    from jinja2 import Environment

    manifest = json.loads((run_dir / "manifest.json").read_text())
    gates: list[dict[str, Any]] = []
    for layer in ("raw", "staging", "intermediate", "marts"):
        path = run_dir / "quality" / f"{layer}.json"
        if path.exists():
            gates.append(json.loads(path.read_text()))
    html = Environment(autoescape=True).from_string(PAGE).render(manifest=manifest, gates=gates)
    return write_text_atomic(run_dir / "quality" / "report.html", html)
