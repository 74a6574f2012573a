"""`pufa_metrics.ingest` (town folders → a county-partitioned dataset) is not the Dask engine.

* the old names in :mod:`pufa_metrics.distributed` still work for a release, with a
  DeprecationWarning that names the new one;
* the layer rules hold for the three modules: ingest does not import the Dask engine
  or the county report, distributed does not import the county report, and none of them reaches
  into another module's private names;
* what ingest writes, distributed reads back row for row (counted by hand).
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pandas as pd
import pytest

import pufa_metrics as pm
from pufa_metrics import distributed, ingest

PACKAGE = Path(pm.__file__).parent

RENAMED = [
    ("village_coverage", distributed.lazy_village_coverage),
    ("event_counts", distributed.lazy_event_counts),
    ("awareness_rates", distributed.lazy_awareness_rates),
    ("from_towns", ingest.from_towns),
    ("write_partitioned", ingest.write_partitioned),
]


@pytest.mark.parametrize(("old", "new"), RENAMED, ids=[o for o, _ in RENAMED])
def test_old_distributed_names_warn_and_give_the_new_function(old, new):
    with pytest.warns(DeprecationWarning, match=f"distributed.{old} is deprecated.*use "):
        assert getattr(distributed, old) is new


def test_importing_an_old_name_warns_too():
    with pytest.warns(DeprecationWarning, match="pufa_metrics.ingest.from_towns"):
        from pufa_metrics.distributed import from_towns
    assert from_towns is ingest.from_towns


def test_the_new_names_do_not_warn_and_unknown_names_still_fail():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pm.ingest.from_towns is ingest.from_towns
        assert distributed.SERVICE_TABLES == ingest.SERVICE_TABLES
        assert "lazy_village_coverage" in distributed.__all__
        assert "village_coverage" not in distributed.__all__
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = distributed.nonsense


def _imports(module: str) -> tuple[set[str], list[str]]:
    """The package modules ``module`` imports, and the private names it takes from them."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    modules, private = set(), []
    aliases = {}  # `from . import distributed as _dist`
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                for a in node.names:
                    modules.add(a.name)
                    aliases[a.asname or a.name] = a.name
            else:
                modules.add(node.module.split(".")[0])
                private += [f"{node.module}.{a.name}" for a in node.names
                            if a.name.startswith("_") and node.module != "_common"]
    for node in ast.walk(tree):  # _dist._read_county, P._axes …
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            private.append(f"{aliases[node.value.id]}.{node.attr}")
    return modules, private


@pytest.mark.parametrize("module", ["ingest", "distributed", "national"])
def test_no_private_names_of_other_modules(module):
    assert _imports(module)[1] == []


def test_imports_go_down_the_layers():
    ingest_uses, _ = _imports("ingest")
    assert not {"distributed", "national", "workflow", "report"} & ingest_uses
    assert "national" not in _imports("distributed")[0]
    assert "workflow" in _imports("national")[0]  # the one town pipeline


def test_what_ingest_writes_distributed_reads_back(tmp_path):
    # 2 villages in 甲县, 1 in 乙县; 3 events (2 in 甲县); a town-wide event of 乙县
    villages = pd.DataFrame({"village_id": ["A1", "A2", "B1"],
                             "village_name": ["甲一村", "甲二村", "乙村"],
                             "population": [900, 700, 500], "county": ["甲县", "甲县", "乙县"]})
    events = pd.DataFrame({"event_id": ["e1", "e2", "e3", "e4"],
                           "date": pd.to_datetime(["2024-03-01", "2024-05-02", "2024-06-01",
                                                   "2024-07-01"]),
                           "village_id": ["A1", "A2", "B1", None],
                           "county": [None, None, None, "乙县"]})
    root = ingest.write_partitioned({"villages": villages, "events": events}, tmp_path / "d")
    assert distributed.counties(root) == ["乙县", "甲县"]
    assert distributed.counties(root, table="responses") == []
    got = distributed.read_counties(root, "events", ["甲县"], columns=["event_id"])
    assert got["event_id"].tolist() == ["e1", "e2"]
    both = distributed.read_counties(root, "events", ["乙县", "甲县"], columns=["event_id"])
    assert sorted(both["event_id"]) == ["e1", "e2", "e3", "e4"]
    assert distributed.table_columns(root, "events") == ["event_id", "date", "village_id"]
