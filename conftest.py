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
