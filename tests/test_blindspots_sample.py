"""The follow-up list finds, by name, the blind spots the sample town was built with.

Two routes to the same town: the committed ledgers in ``data/raw`` read by
``io.load_dataset`` (the analyst's route), and the clean truth frames of
``sample.make_sample()`` (which checks the rules independently of the reader). The planted blind
spots are listed in ``sample.SAMPLE_TRUTH``.
"""

import openpyxl
import pytest

from pufa_metrics.blindspots import find_blind_spots
from pufa_metrics.compare import latest_wave
from pufa_metrics.config import RAW_DIR, Settings
from pufa_metrics.coverage import village_coverage
from pufa_metrics.excel import export_follow_up
from pufa_metrics.sample import SAMPLE_TRUTH, make_sample
from pufa_metrics.services import service_coverage, service_window
from pufa_metrics.survey import awareness_rates, lqas_classify, shrink_rates

#: Every test here reads the whole sample town (about 10 s): the full suite runs them.
pytestmark = pytest.mark.slow


def _tables(source: str) -> dict:
    if source == "ledgers":
        from pufa_metrics.io import load_dataset

        ds = load_dataset(RAW_DIR)
        names = ("villages", "events", "event_topics", "sites", "responses", "codebook",
                 "legal_literates", "adviser_visits", "geometry")
        return {name: getattr(ds, name) for name in names}
    return make_sample()


@pytest.fixture(scope="module", params=["ledgers", "truth"])
def town(request):
    t = _tables(request.param)
    settings = Settings.load()
    cov = village_coverage(
        t["events"], t["villages"], start=settings.start, end=settings.end,
        as_of=settings.as_of, event_topics=t["event_topics"],
        required_topics=settings.required_topics, sites=t["sites"],
    )
    # the latest survey wave (2025), as analyse() uses; the 2024 wave is for compare_periods
    rates = awareness_rates(latest_wave(t["responses"]), t["codebook"], domain="awareness")
    rates = lqas_classify(shrink_rates(rates), target=settings.targets["awareness"])
    # standing services judged on the last 12 months of the period (2025), as analyse() does
    start, end = service_window(settings.end, start=settings.start)
    services = service_coverage(
        t["villages"], legal_literates=t["legal_literates"], adviser_visits=t["adviser_visits"],
        sites=t["sites"], start=start, end=end, as_of=settings.as_of, settings=settings,
    )
    follow_up = find_blind_spots(
        cov, rates=rates, events=t["events"], event_topics=t["event_topics"],
        services=services, settings=settings, geometry=t["geometry"], codebook=t["codebook"],
        include_all=True,
    )
    ids = dict(zip(follow_up["village_name"], follow_up.index, strict=True))
    return follow_up, ids, t


def _with(follow_up, code):
    return set(follow_up.loc[follow_up["reasons"].map(lambda r: code in r), "village_name"])


def test_every_village_of_the_register_is_ranked(town):
    follow_up, ids, t = town
    assert len(follow_up) == len(t["villages"]) == 28
    assert follow_up["priority"].tolist() == list(range(1, 29))


def test_stale_villages_are_found_by_name(town):
    follow_up, ids, _ = town
    assert _with(follow_up, "stale") | _with(follow_up, "no_events") == set(SAMPLE_TRUTH["stale"])
    for name in SAMPLE_TRUTH["stale"]:
        assert follow_up.loc[ids[name], "days_since_last"] > 365
        assert "个月无普法活动" in follow_up.loc[ids[name], "reasons_zh"]


def test_missing_topics_are_found_by_name(town):
    follow_up, ids, _ = town
    planted = SAMPLE_TRUTH["missing_topics"]
    assert _with(follow_up, "missing_topics") == set(planted)
    for name, topics in planted.items():
        row = follow_up.loc[ids[name]]
        assert row["missing_topics"] == tuple(topics)
        assert "、".join(topics) + "未覆盖" in row["reasons_zh"]


def test_low_awareness_villages_are_found_by_name(town):
    follow_up, ids, _ = town
    assert _with(follow_up, "low_awareness") == set(SAMPLE_TRUTH["low_awareness"])
    for name in SAMPLE_TRUTH["low_awareness"]:
        row = follow_up.loc[ids[name]]
        assert row["awareness_ci_high"] < 0.90
        assert row["awareness_n"] >= 30
        assert "低于目标90%" in row["reasons_zh"]


def test_villages_with_few_answers_are_unknown_not_low(town):
    follow_up, ids, _ = town
    assert _with(follow_up, "unknown_awareness") == set(SAMPLE_TRUTH["few_answers"])
    for name in SAMPLE_TRUTH["few_answers"]:
        row = follow_up.loc[ids[name]]
        assert "low_awareness" not in row["reasons"]
        assert row["awareness_n"] < 10
        assert "知晓率未知" in row["reasons_zh"]


def test_the_cold_spot_cluster_is_found_by_name(town):
    follow_up, ids, t = town
    planted = set(SAMPLE_TRUTH["cold_spot"])
    flagged = set(follow_up.loc[follow_up["cold_spot"].fillna(False), "village_name"])
    assert planted <= flagged, f"cold-spot villages missed: {sorted(planted - flagged)}"
    # anything else flagged is a neighbour of the planted cluster
    geo = t["geometry"].set_index("village_id").geometry
    cluster = geo.loc[[ids[n] for n in planted]].union_all()
    for name in flagged - planted:
        assert geo.loc[ids[name]].intersects(cluster), name
    assert len(flagged - planted) <= 3
    for name in planted:
        assert "gi_star:n_events" in follow_up.loc[ids[name], "cold_spot_method"]
        assert "冷点区域" in follow_up.loc[ids[name], "reasons_zh"]


def test_villages_short_of_legal_literates_are_found_by_name(town):
    follow_up, ids, _ = town
    planted = SAMPLE_TRUTH["few_legal_literates"]
    assert _with(follow_up, "few_legal_literates") == set(planted)
    for name, trained in planted.items():
        row = follow_up.loc[ids[name]]
        assert row["n_legal_literates"] == trained
        assert f"法律明白人仅{trained}名（目标3名）" in row["reasons_zh"]
        assert f"组织法律明白人培训（至少再培养{3 - trained}名）" in row["actions_zh"]


def test_the_absent_adviser_is_found_by_name(town):
    follow_up, ids, _ = town
    assert _with(follow_up, "adviser_absent") == set(SAMPLE_TRUTH["adviser_absent"])
    row = follow_up.loc[ids[SAMPLE_TRUTH["adviser_absent"][0]]]
    # last visit 2025-06-27, as of 2025-12-31: 187 days
    assert row["days_since_adviser"] == 187
    assert "法律顾问已187天未到村（最近一次2025年6月27日）" in row["reasons_zh"]
    assert "督促村法律顾问按月驻村服务" in row["actions_zh"]


def test_stale_sites_are_found_by_name(town):
    follow_up, ids, _ = town
    sites = SAMPLE_TRUTH["stale_sites"]
    villages = {site.split("村")[0] + "村" for site in sites}  # 善坑村法治宣传栏 → 善坑村
    assert _with(follow_up, "stale_site") == villages
    for site in sites:
        row = follow_up.loc[ids[site.split("村")[0] + "村"]]
        assert row["stale_site_names"] == site
        assert f"普法阵地内容超过12个月未更新（{site}）" in row["reasons_zh"]


def test_the_sample_follow_up_exports(town, tmp_path):
    follow_up, _, _ = town
    path = export_follow_up(follow_up[follow_up["score"] > 0], tmp_path / "跟进清单.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SAMPLE_TRUTH["town"], "说明"]
    assert wb[SAMPLE_TRUTH["town"]].max_row == (follow_up["score"] > 0).sum() + 1
