"""The package's shape, checked: import-linter's contracts hold (the same check `make lint`
runs), and nothing imports a DAG file (Airflow parses them; code must not depend on them)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT_ROOT


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout
    # the contracts this test stands for are configured, not an empty list that trivially holds
    assert "Sources (ingest adapters, customs) never import" in out.stdout
    assert "Layers: CLI > pipeline steps > report > publishing > runs KEPT" in out.stdout


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_imports_a_dag_file():
    dag_modules = {p.stem for p in (PROJECT_ROOT / "dags").glob("*.py")}
    assert "build_tariff_marts" in dag_modules
    offenders = []
    for folder in ("etl", "expectations", "tests", "bench", "dags"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for module in _imported_modules(path):
                head = module.split(".")[0]
                if head == "dags" or (head in dag_modules and folder != "dags"):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)} imports {module}")
    assert offenders == []


def test_the_import_scan_sees_a_dag_import(tmp_path):
    """The scan above would find an offender (guards against a scan that finds nothing)."""
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfrom dags.build_tariff_marts import x\n")
    assert "dags.build_tariff_marts" in _imported_modules(sample)
