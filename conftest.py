"""Shared pytest set-up: doctest namespace and a non-interactive matplotlib backend."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["pd"] = pd
    doctest_namespace["np"] = np


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say plainly when the slow tier was left out (``make test``), and how to run it."""
    if config.getoption("markexpr", "") == "not slow":
        terminalreporter.write_line(
            "quick tier: the tests marked slow were not run here; `make test TESTS=all` (what "
            "CI runs) runs every test", yellow=True)
