"""The 2021-09-09 水寨镇 report, reproduced by the library from the sample town's ledgers.

Published figures (docs/domain.md): since 2020, 24 anti-drug / anti-fraud events and
55 other events (民法典 lectures, 平安宣传 …); 2 town-level and 28 village-level sites; 41 cadres
examined; 49 people holding an administrative enforcement certificate. The sample town is
calibrated to them, so the library must read them back from the Excel ledgers in data/raw.
"""

from pathlib import Path

import pytest

import pufa_metrics as pm

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


@pytest.fixture(scope="module")
def ledgers():
    return pm.load_dataset(RAW)


@pytest.mark.slow
def test_town_report_figures_from_the_ledgers(ledgers):
    got = pm.town_report_figures(ledgers, start="2020-01-01", end="2021-09-09")
    assert got.to_dict() == {
        "topic_events": 24,
        "other_events": 55,
        "town_sites": 2,
        "village_sites": 28,
        "examined_cadres": 41,
        "cert_holders": 49,
    }


def test_figures_move_with_the_period(ledgers):
    # one day less drops the events held on 2021-09-09 itself (bounds are inclusive)
    on_day = (ledgers.events["date"] == "2021-09-09").sum()
    got = pm.town_report_figures(ledgers, start="2020-01-01", end="2021-09-08")
    assert got["topic_events"] + got["other_events"] == 24 + 55 - on_day
