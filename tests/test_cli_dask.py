"""`pufa build --engine dask` on a county-partitioned copy of the small test town equals pandas."""

from pathlib import Path

import pandas as pd
import pytest

import pufa_metrics as pm
from pufa_metrics import distributed, ingest
from pufa_metrics.cli import main

MINI = Path(__file__).resolve().parent / "data" / "mini_town"


@pytest.mark.slow
def test_build_with_the_dask_engine_matches_pandas(tmp_path, capsys):
    ds = pm.load_dataset(MINI)
    root = ingest.write_partitioned(ds, tmp_path / "national")
    out = tmp_path / "metrics"
    settings = pm.Settings.load()
    assert main(["build", str(root), "--out", str(out), "--engine", "dask"]) == 0
    assert "written" in capsys.readouterr().out
    got = distributed.load_metrics(out)["coverage"]
    want = pm.village_coverage(ds.events, ds.villages, start=settings.start, end=settings.end,
                               as_of=settings.as_of, required_topics=settings.required_topics,
                               event_topics=ds.event_topics)  # every topic of an event counts
    got = got.set_index("village_id") if "village_id" in got.columns else got
    cols = ["n_events", "attendance", "n_topics", "days_since_last", "longest_gap_days"]
    pd.testing.assert_frame_equal(
        got.loc[want.index, cols].astype("float64"), want[cols].astype("float64"),
        check_names=False,
    )
