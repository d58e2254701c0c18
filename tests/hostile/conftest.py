"""Fixtures of the hostile-input corpus: the CLI called in-process with a given environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from etl import cli
from etl import settings as settings_module


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(monkeypatch, capsys, tmp_path):
    """`run_cli(warehouse, *args, env={...})`: `tariff-etl` in this process, HOME in tmp_path
    (so nothing is written to the real home), settings re-read from the environment."""

    def call(warehouse, *args: str, env: dict[str, str] | None = None) -> Outcome:
        for name in list(os.environ):
            if name.startswith("TARIFF_ETL_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        if warehouse is not None:
            monkeypatch.setenv("TARIFF_ETL_WAREHOUSE", str(warehouse))
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        settings_module.get_settings.cache_clear()
        capsys.readouterr()
        try:
            code = cli.main(list(args))
        finally:
            settings_module.get_settings.cache_clear()
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return call
