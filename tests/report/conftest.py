"""The report of the session's published run, built once for every test of this folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.report import build_report


@pytest.fixture(scope="session")
def report(published) -> dict[str, Path]:
    """build_report on the shared `published` warehouse (the pipeline is not run again)."""
    settings, _ = published
    return build_report(settings)
