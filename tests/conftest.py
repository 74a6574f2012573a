"""Shared fixtures: the sample town's report, run once per test session."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
MINI = ROOT / "tests" / "data" / "mini_town"


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory) -> Path:
    """`pufa build` + `pufa report` on the committed sample town, through the CLI entry point.

    Returns the report folder. Used by the report, notebook and privacy tests.
    """
    from pufa_metrics.cli import main

    base = tmp_path_factory.mktemp("sample_report")
    processed, reports = base / "processed", base / "reports"
    assert main(["build", str(RAW), "--out", str(processed)]) == 0
    assert main(["report", "--data", str(processed), "--out", str(reports)]) == 0
    return reports
