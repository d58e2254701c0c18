"""The report's charts: matplotlib figures as inline SVG, and the key-charts PNG for slides.

The Agg and SVG canvases are bound to each figure (pyplot is never imported, so a notebook or
Airflow worker keeps its own backend); SVG ids are salted per chart, so the charts of one run
are byte-identical from one build to the next.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.gridspec import SubplotSpec
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from etl.report.formatting import fmt_bn, fmt_share

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"


SKY, PURPLE, GREY = "#56B4E9", "#CC79A7", "#6b6b6b"


PHASE_ONE_COLOR = GREEN


INCOMPLETE_SHADE = "#ececec"


LOW_CAP_PCT = 60.0  # averages above this (April-May 2025) are drawn on an upper panel


METHOD_COLORS = {"exact_hs8": ORANGE, "hs6": BLUE, "concordance": PURPLE}


METHOD_MARKERS = {"exact_hs8": "o", "hs6": "s", "concordance": "D"}


# svg.fonttype 'none' keeps text as text (searchable, small); the browser draws it with the
# first installed font of the list, so no font file is ever fetched.
RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}


# Without these keys matplotlib writes an RDF block (with a creation date) into each SVG.
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def _index_axis(ax: Axes, dates: Sequence[date], numbers: bool, fontsize: float = 7.5) -> None:
    """One slot per date (dates are not to scale: most changes fall in 2018-19 and 2025)."""
    positions = list(range(len(dates)))
    ax.set_xticks(positions, [d.isoformat() for d in dates], rotation=90, fontsize=fontsize)
    ax.set_xlim(-0.6, len(dates) - 0.4)
    if numbers:
        # the numbers refer to the rows of the table under the chart (what changed that day)
        top = ax.secondary_xaxis("top")
        top.set_xticks(positions, [str(i + 1) for i in positions], fontsize=fontsize - 1)
        top.tick_params(length=0, pad=2)
        top.spines["top"].set_visible(False)


def _incomplete_span(ax: Axes, flags: Sequence[bool], n: int) -> bool:
    """Shade the slots from the first date whose figures rest on an incomplete action."""
    first = next((i for i, flag in enumerate(flags) if flag), None)
    if first is None:
        return False
    ax.axvspan(first - 0.5, n - 0.4, color=INCOMPLETE_SHADE, zorder=0, linewidth=0)
    return True


def _average_axes(
    fig: Figure, spec: SubplotSpec, values: Sequence[float]
) -> tuple[Axes, Axes | None, float, tuple[float, float] | None]:
    """The value axis, broken when some averages (the April-May 2025 all-goods duties) are far
    above the others: (lower axes, upper axes or None, lower top, upper limits or None)."""
    low = [v for v in values if v <= LOW_CAP_PCT]
    high = [v for v in values if v > LOW_CAP_PCT]
    low_top = max(low, default=LOW_CAP_PCT) * 1.22
    if not high:
        return fig.add_subplot(spec), None, low_top, None
    grid = spec.subgridspec(2, 1, height_ratios=(1, 2.4), hspace=0.04)
    upper = fig.add_subplot(grid[0])
    lower = fig.add_subplot(grid[1], sharex=upper)
    return lower, upper, low_top, (min(high) * 0.9, max(high) * 1.07)


def _draw_average_tariff(
    fig: Figure, spec: SubplotSpec, data: dict[str, Any], compact: bool = False
) -> None:
    rows = data["average"]
    n = len(rows)
    xs = list(range(n)) + [n - 0.4]  # the last step runs to the edge of the plot
    series = {
        "applied": [r["applied"] for r in rows],
        "simple": [r["simple"] for r in rows],
        "piie_event": [r["piie_event_pct"] for r in rows],
    }
    values = [v for vs in series.values() for v in vs if v is not None]
    values += [r["piie"] for r in rows if r["piie"] is not None]
    ax, upper, low_top, high_lim = _average_axes(fig, spec, values)
    axes = [a for a in (upper, ax) if a is not None]
    shaded = False
    for a in axes:
        shaded = _incomplete_span(a, [r["incomplete_action"] for r in rows], n) or shaded
        for key, color, width, style, marker, where in (
            ("simple", GREEN, 1.3, ":", ".", "ours_is_row"),
            ("piie_event", VERMILLION, 1.6, "--", "s", "piie_event"),
            ("applied", BLUE, 2.2, "-", "o", "ours_is_row"),
        ):
            ys = [float("nan") if v is None else v for v in series[key]]
            a.step(xs, ys + [ys[-1]], where="post", color=color, linewidth=width, linestyle=style)
            points = [i for i, r in enumerate(rows) if r[where]]
            a.plot(
                points,
                [ys[i] for i in points],
                linestyle="none",
                marker=marker,
                markersize=3.2,
                color=color,
            )
        fig1 = [(i, r["piie"]) for i, r in enumerate(rows) if r["piie"] is not None]
        if fig1:
            a.plot(
                [i for i, _ in fig1],
                [v for _, v in fig1],
                linestyle="none",
                marker="D",
                markersize=5.5,
                markerfacecolor="none",
                markeredgecolor=PURPLE,
                markeredgewidth=1.1,
            )
        a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        a.grid(axis="y", color="#e5e5e5", linewidth=0.8)
        a.set_axisbelow(True)
    ax.set_ylim(0, low_top)
    fontsize = 6 if compact else 7
    _index_axis(ax, [r["as_of_date"] for r in rows], numbers=False, fontsize=fontsize)
    ax.set_ylabel("average tariff on US goods (%)")
    if upper is not None and high_lim is not None:
        upper.set_ylim(*high_lim)
        upper.spines["bottom"].set_visible(False)
        upper.tick_params(axis="x", bottom=False, labelbottom=False)
        _index_axis(upper, [r["as_of_date"] for r in rows], numbers=not compact, fontsize=fontsize)
        upper.tick_params(axis="x", bottom=False, labelbottom=False)
        # break marks: the value axis skips from the lower panel's top to the upper's bottom
        for a, y in ((upper, 0.0), (ax, 1.0)):
            a.plot(
                [-0.006, 0.006],
                [y - 0.012 * (1 if a is ax else 3), y + 0.012 * (1 if a is ax else 3)],
                transform=a.transAxes,
                color="black",
                linewidth=0.9,
                clip_on=False,
            )
        # the values off the lower panel are written next to their points
        for i, r in enumerate(rows):
            for key, color, dy in (("applied", BLUE, -11), ("piie_event", VERMILLION, 4)):
                v = r["applied"] if key == "applied" else r["piie_event_pct"]
                if v is not None and v > LOW_CAP_PCT and (r["ours_is_row"] or r["piie_event"]):
                    upper.annotate(
                        f"{v:.1f}",
                        (i, v),
                        xytext=(3, dy),
                        textcoords="offset points",
                        fontsize=fontsize,
                        color=color,
                    )
        upper.set_title(
            f"China's average tariff on US goods, {rows[0]['as_of_date']} to "
            f"{rows[-1]['as_of_date']}",
            loc="left",
        )
    else:
        _index_axis(ax, [r["as_of_date"] for r in rows], numbers=not compact, fontsize=fontsize)
        ax.set_title(
            f"China's average tariff on US goods, {rows[0]['as_of_date']} to "
            f"{rows[-1]['as_of_date']}",
            loc="left",
        )
    handles = [
        Line2D(
            [],
            [],
            color=BLUE,
            linewidth=2.2,
            marker="o",
            markersize=3.2,
            label=f"ours: weighted by China's {data['weight_year']} imports from the US",
        ),
        Line2D(
            [],
            [],
            color=GREEN,
            linewidth=1.3,
            linestyle=":",
            marker=".",
            label="ours: simple average of HS8 rates",
        ),
    ]
    if data["piie_event_points"]:
        handles.append(
            Line2D(
                [],
                [],
                color=VERMILLION,
                linewidth=1.6,
                linestyle="--",
                marker="s",
                markersize=3.2,
                label="PIIE event file (weighted by US exports to the world, year before)",
            )
        )
    if data["piie_points"]:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="D",
                markerfacecolor="none",
                markeredgecolor=PURPLE,
                label="PIIE Figure 1 (June 2019 workbook)",
            )
        )
    if shaded:
        handles.append(
            Patch(
                facecolor=INCOMPLETE_SHADE,
                edgecolor=GREY,
                linewidth=0.6,
                label="rests on actions without a line list (not folded)",
            )
        )
    if upper is not None:
        # the upper panel is empty but for the 2025 peak: room for the legend
        upper.legend(
            handles=handles,
            loc="upper left",
            ncols=1 if compact else 2,
            fontsize=6.5 if compact else 8,
            frameon=True,
            facecolor="white",
            edgecolor="#cccccc",
            framealpha=1.0,
        )
    else:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.3 if compact else -0.24),
            ncols=2 if compact else 3,
            fontsize=7 if compact else 8,
        )


def _draw_retaliation_coverage(ax: Axes, data: dict[str, Any], compact: bool = False) -> None:
    rows = data["coverage"]
    total = max((r["total"] for r in rows), default=0) or 1.0
    xs = range(len(rows))
    by_schedule = [(r["covered"] - (r["blanket_only"] or 0.0)) / 1e9 for r in rows]
    blanket = [(r["blanket_only"] or 0.0) / 1e9 for r in rows]
    bars = ax.bar(xs, by_schedule, color=BLUE, width=0.72)
    blanket_bars = ax.bar(xs, blanket, bottom=by_schedule, color=ORANGE, width=0.72)
    fontsize = 6 if compact else 7
    for bar, top_bar, row in zip(bars, blanket_bars, rows, strict=True):
        hatch = ("///" if row["incomplete_action"] else "") + (
            "\\\\\\" if row["incomplete"] else ""
        )
        if hatch:
            for b in (bar, top_bar):
                b.set_hatch(hatch)
                b.set_edgecolor("white")
                b.set_linewidth(0)
        # labels only where the value changes, so 40 bars do not carry 40 numbers
        if row["changed"] and row["covered"] > 0:
            ax.annotate(
                f"{row['covered'] / 1e9:.2f}",
                (bar.get_x() + bar.get_width() / 2, row["covered"] / 1e9),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=90,
                fontsize=fontsize,
                color=BLUE,
            )
    ax.axhline(total / 1e9, color=GREY, linewidth=0.8, linestyle="--")
    ax.annotate(
        f"China's {data['weight_year']} imports from the US: {fmt_bn(total, unit=True)}",
        (0, total / 1e9),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=7.5,
        color=GREY,
    )
    top = total / 1e9 * 1.25
    ax.set_ylim(0, top)
    ax.set_ylabel("covered value (USD bn)")
    share_ax = ax.twinx()
    # the share axis is the value axis divided by the base, so the line meets the bar tops
    share_ax.set_ylim(0, top / (total / 1e9))
    share_ax.plot(
        xs, [r["share"] for r in rows], color=VERMILLION, marker="o", markersize=3, linewidth=1.4
    )
    share_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    share_ax.set_ylabel("share of the base covered", color=VERMILLION)
    share_ax.tick_params(axis="y", colors=VERMILLION)
    share_ax.spines["right"].set_visible(True)
    share_ax.spines["top"].set_visible(False)
    _index_axis(ax, [r["as_of_date"] for r in rows], numbers=False, fontsize=fontsize)
    handles = [
        Patch(color=BLUE, label="covered by a duty on its tariff line (USD bn)"),
        Line2D([], [], color=VERMILLION, marker="o", markersize=3, label="share of the base"),
    ]
    if any(blanket):
        handles.insert(
            1,
            Patch(color=ORANGE, label="covered only by a duty on all US goods (no tariff line)"),
        )
    if any(r["incomplete_action"] for r in rows):
        handles.append(
            Patch(
                facecolor=BLUE,
                hatch="///",
                edgecolor="white",
                label="rests on actions without a line list (has_incomplete_action)",
            )
        )
    if any(r["incomplete"] for r in rows):
        handles.append(
            Patch(
                facecolor=BLUE,
                hatch="///\\\\\\",
                edgecolor="white",
                label="… and on a partly known exclusion list",
            )
        )
    # between the base line and the bars of 2019-2025 (about 60% of the base)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.2, 0.78),
        ncols=1 if compact else 2,
        fontsize=6.5 if compact else 7.5,
    )
    ax.set_title(
        f"China's retaliation: {data['weight_year']} imports from the US covered, "
        f"{rows[0]['as_of_date']} to {rows[-1]['as_of_date']}"
        if rows
        else "",
        loc="left",
    )


def _draw_bands(
    ax: Axes, scenarios: Sequence[dict[str, Any]], compact: bool = False, single: bool = False
) -> None:
    """Per scenario: the share covered by each method, the band they span, the claimed range."""
    ys = list(range(len(scenarios)))[::-1]  # first scenario on top
    highest = 0.0
    claimed_drawn = methods_drawn = phase_one_drawn = False
    labelled: set[str] = set()
    for y, scn in zip(ys, scenarios, strict=True):
        band = scn["band"]
        low, high = band["coverage_share_low"], band["coverage_share_high"]
        c_low, c_high = band["claimed_share_low"], band["claimed_share_high"]
        if c_low is not None and c_high is not None:
            ax.barh(
                y,
                c_high - c_low,
                left=c_low,
                height=0.62,
                color="#d9d9d9",
                label=None if claimed_drawn else "claimed share",
            )
            claimed_drawn = True
            highest = max(highest, c_high)
        if low is not None and high is not None:
            ax.plot(
                [low, high],
                [y, y],
                color=GREY,
                linewidth=3,
                solid_capstyle="butt",
                label=None if methods_drawn else "band, all products (every basis and method)",
            )
            methods_drawn = True
            highest = max(highest, high)
            # in a narrow panel a label right of the band would run off the axes
            ax.annotate(
                f"{fmt_share(low)} – {fmt_share(high)}",
                ((low + high) / 2, y) if single else (high, y),
                xytext=(0, 9) if single else (10, -3),
                textcoords="offset points",
                ha="center" if single else "left",
                fontsize=8,
                fontweight="bold",
            )
        p1 = scn.get("phase_one_band")
        if p1 and p1["coverage_share_low"] is not None:
            ax.plot(
                [p1["coverage_share_low"], p1["coverage_share_high"]],
                [y - 0.24, y - 0.24],
                color=PHASE_ONE_COLOR,
                linewidth=1.6,
                linestyle=(0, (3, 1.5)),
                solid_capstyle="butt",
                label=None if phase_one_drawn else "band, Phase One products only (US Census HS4)",
            )
            phase_one_drawn = True
            highest = max(highest, p1["coverage_share_high"])
        for method in scn["methods"]:
            row = scn["overall"].get(method)
            if not row or row["coverage_share"] is None:
                continue
            ax.plot(
                row["coverage_share"],
                y,
                linestyle="none",
                marker=METHOD_MARKERS.get(method, "^"),
                markersize=6,
                color=METHOD_COLORS.get(method, GREY),
                label=None if method in labelled else method,
            )
            labelled.add(method)
    ax.set_yticks(ys, [s["id"] for s in scenarios])
    ax.set_ylim(-0.7, len(scenarios) - 0.3)
    ax.set_xlim(0, max(highest * 1.3, 0.05))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("share of the taxed trade the exemption covers")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    if single:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), fontsize=6.5, ncols=3)
    else:
        ax.legend(loc="lower right", fontsize=7.5, ncols=2 if compact else 1)
    ax.set_title("Exemption scenarios: coverage band vs. the claimed share", loc="left")


def _draw_categories(ax: Axes, scn: dict[str, Any]) -> None:
    cats = scn["categories"]
    methods = scn["methods"]
    height = 0.8 / max(len(methods), 1)
    largest = 0.0
    for i, (_, per_method) in enumerate(cats):
        for j, method in enumerate(methods):
            row = per_method.get(method)
            if not row:
                continue
            y = len(cats) - 1 - i + (len(methods) - 1 - j - (len(methods) - 1) / 2) * height
            taxed, covered = row["taxed_value_usd"] / 1e9, row["covered_value_usd"] / 1e9
            color = METHOD_COLORS.get(method, GREY)
            ax.barh(y, taxed, height=height * 0.9, color="white", edgecolor=color, linewidth=0.8)
            ax.barh(y, covered, height=height * 0.9, color=color)
            ax.annotate(
                f"{fmt_bn(row['covered_value_usd'])} of {fmt_bn(row['taxed_value_usd'])} "
                f"({fmt_share(row['coverage_share'])})",
                (taxed, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=6.5,
            )
            largest = max(largest, taxed)
    ax.set_yticks(range(len(cats)), [c for c, _ in cats][::-1])
    ax.set_xlim(0, max(largest, 0.01) * 1.45)  # room for the value labels
    ax.set_xlabel("USD bn: covered (filled) of taxed (outline)")
    handles = [Patch(color=METHOD_COLORS.get(m, GREY), label=m) for m in methods]
    ax.legend(handles=handles, loc="lower right", fontsize=7.5)
    ax.set_title("Covered and taxed trade by category", loc="left")


def _draw_relief(ax: Axes, scn: dict[str, Any]) -> None:
    methods, windows = scn["methods"], scn["windows"]
    width = 0.8 / max(len(methods), 1)
    highest = 0.0
    for j, method in enumerate(methods):
        xs = [i + (j - (len(methods) - 1) / 2) * width for i in range(len(windows))]
        values = [(scn["relief"].get((method, w)) or 0.0) / 1e9 for w in windows]
        bars = ax.bar(
            xs, values, width=width * 0.92, color=METHOD_COLORS.get(method, GREY), label=method
        )
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=6.5, padding=2)
        highest = max([highest, *values])
    ax.set_xticks(range(len(windows)), [f"{w} months" for w in windows])
    # headroom above the tallest bar holds the legend in one row, clear of bars and labels
    ax.set_ylim(0, max(highest, 0.01) * 1.35)
    ax.set_ylabel("duty relief (USD bn)")
    ax.legend(loc="upper center", ncols=max(len(methods), 1), fontsize=7, handlelength=1.2)
    ax.set_title("Duty relief per window", loc="left")


def _figure_average_tariff(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11, 6.4), layout="constrained")
    _draw_average_tariff(fig, fig.add_gridspec(1, 1)[0], data)
    return fig


def _figure_retaliation_coverage(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11, 5.6), layout="constrained")
    _draw_retaliation_coverage(fig.add_subplot(), data)
    return fig


def _figure_bands(data: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(11, 1.1 + 0.55 * max(len(data["scenarios"]), 1)), layout="constrained")
    _draw_bands(fig.add_subplot(), data["scenarios"])
    return fig


def _figure_scenario(scn: dict[str, Any]) -> Figure:
    rows = max(len(scn["categories"]), 1) * max(len(scn["methods"]), 1)
    fig = Figure(figsize=(11, max(3.6, 1.2 + 0.17 * rows)), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=(1.7, 1), height_ratios=(1, 2.4))
    _draw_categories(fig.add_subplot(grid[:, 0]), scn)
    band_ax = fig.add_subplot(grid[0, 1])
    _draw_bands(band_ax, [scn], single=True)
    band_ax.set_title("Band vs. claimed share", loc="left")
    band_ax.set_xlabel("")
    band_ax.set_yticks([])
    _draw_relief(fig.add_subplot(grid[1, 1]), scn)
    return fig


def _svg(fig: Figure, name: str, label: str) -> str:
    """Inline SVG markup: no XML prolog/DOCTYPE (it names an external DTD), ids unique per page."""
    buffer = io.StringIO()
    # the salt makes ids deterministic per chart, so reports of one run are byte-identical
    with matplotlib.rc_context({**RC, "svg.hashsalt": name}):
        FigureCanvasSVG(fig).print_svg(buffer, metadata=SVG_METADATA)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib numbers its ids from 1 in every figure; several figures share one HTML page
    text = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(
        r'<svg ([^>]*?)width="[^"]+" height="[^"]+"',
        lambda m: f'<svg {m.group(1)}width="100%" role="img" aria-label="{_attr(label)}"',
        text,
        count=1,
    )
    return text


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def render_charts(data: dict[str, Any]) -> dict[str, str]:
    with matplotlib.rc_context(RC):
        charts = {
            "average_tariff": _svg(
                _figure_average_tariff(data), "avg", "China's average tariff on US goods"
            ),
            "retaliation_coverage": _svg(
                _figure_retaliation_coverage(data), "cov", "Coverage of the 2017 base"
            ),
            "bands": _svg(_figure_bands(data), "band", "Exemption bands vs claimed share"),
        }
        for i, scn in enumerate(data["scenarios"]):
            charts[f"scenario:{scn['id']}"] = _svg(
                _figure_scenario(scn), f"scn{i}", f"Exemption scenario {scn['id']}"
            )
    return charts


def key_charts_png(data: dict[str, Any]) -> bytes:
    """The three charts a slide needs: average tariff, coverage over time, scenario bands."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(16, 10), layout="constrained")
        grid = fig.add_gridspec(2, 2, height_ratios=(1.9, 1))
        _draw_average_tariff(fig, grid[0, 0], data, compact=True)
        _draw_retaliation_coverage(fig.add_subplot(grid[0, 1]), data, compact=True)
        _draw_bands(fig.add_subplot(grid[1, :]), data["scenarios"], compact=True)
        fig.suptitle(
            f"China's retaliatory tariffs on US goods and the exemption scenarios "
            f"(tariff-etl run {data['run_id']})",
            fontsize=12,
            fontweight="bold",
        )
        buffer = io.BytesIO()
        # the Agg canvas is bound to this figure only: no global backend switch (pyplot is
        # never imported, so a notebook or Airflow worker keeps its own backend)
        FigureCanvasAgg(fig).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()
