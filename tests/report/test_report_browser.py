"""Open the report in headless Chromium, offline: the DOM has every section and chart, and the
screenshot is not blank. Chromium is required (not skipped): .ci/run installs it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from tests.report.test_report import SECTIONS

WIDTH, HEIGHT = 1280, 4000
TIMEOUT_S = 120


@pytest.fixture(scope="session")  # session, like `report`: so it is set up (and fails) first
def chromium() -> str:
    """The browser binary; checked before the report is built, so a missing one fails fast."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(
            "chromium not found on PATH: install Debian package chromium (.ci/run does this)",
            pytrace=False,
        )
    return binary


def _command(binary: str, profile: Path, *extra: str, url: str) -> list[str]:
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        # any host name fails to resolve: the page must render from the file alone
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        *extra,
        url,
    ]


def _finish(proc: subprocess.Popen, what: str) -> str:
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # chromium's own child processes too
        proc.communicate()
        pytest.fail(f"chromium {what} did not finish within {TIMEOUT_S} s")
    assert proc.returncode == 0, f"chromium {what} exited {proc.returncode}: {err[-2000:]}"
    return out


@pytest.fixture(scope="module")
def rendered(chromium, report, tmp_path_factory) -> tuple[str, Path]:
    """(DOM after rendering, screenshot path): both Chromium runs go in parallel."""
    binary = chromium
    tmp = tmp_path_factory.mktemp("chromium")
    url = report["coverage_report"].resolve().as_uri()
    shot = tmp / "shot.png"

    def start(cmd: list[str]) -> subprocess.Popen:
        return subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    dom_proc = start(_command(binary, tmp / "profile-dom", "--dump-dom", url=url))
    shot_proc = start(_command(binary, tmp / "profile-shot", f"--screenshot={shot}", url=url))
    dom = _finish(dom_proc, "--dump-dom")
    _finish(shot_proc, "--screenshot")
    return dom, shot


def test_dom_has_every_section_heading_and_the_inline_charts(rendered):
    dom, _ = rendered
    for section_id, heading in SECTIONS.items():
        assert f'<section id="{section_id}">' in dom, section_id
        assert f"<h2>{heading}</h2>" in dom, heading
    assert dom.count("<h2>") == len(SECTIONS)
    assert dom.count("<svg") >= 5
    assert "<img" not in dom or 'src="data:' in dom


def test_screenshot_is_not_blank(rendered):
    _, shot = rendered
    assert shot.exists(), "chromium wrote no screenshot"
    pixels = mpimg.imread(shot)[:, :, :3]  # floats in [0, 1]
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    assert pixels.std() > 0.05
    non_white = (pixels < 0.95).any(axis=2).mean()
    assert non_white > 0.05, f"only {non_white:.1%} of the page is not white"
