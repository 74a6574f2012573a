"""The shared pieces in pufa_metrics._common (issue #16, point 3)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from pufa_metrics import _common, config
from pufa_metrics.config import Settings

# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def test_check_frame_returns_the_frame_and_names_what_is_missing():
    frame = pd.DataFrame({"village_id": ["V1"], "date": [pd.Timestamp("2024-01-01")]})
    assert _common.check_frame(frame, "events", ["village_id"]) is frame
    with pytest.raises(ValueError, match=r"'events' has no column 'topic', 'form'; columns are "
                                         r"\['village_id', 'date'\]（events 缺少列：topic、form）"):
        _common.check_frame(frame, "events", ["village_id", "topic", "form"])
    with pytest.raises(TypeError, match="'events' should be a pandas DataFrame, got dict"):
        _common.check_frame({"village_id": ["V1"]}, "events")


@pytest.mark.parametrize("lang", ["de", None, ("zh",)])
def test_check_lang_refuses_other_languages(lang):
    with pytest.raises(ValueError, match="lang should be 'zh' or 'en'"):
        _common.check_lang(lang)


def test_by_columns():
    assert _common.by_columns(("town", "village_id")) == ["town", "village_id"]
    with pytest.raises(TypeError, match="'by' should be None, a column name"):
        _common.by_columns(3)


# --------------------------------------------------------------------------------------------
# Settings: None means pufa.toml
# --------------------------------------------------------------------------------------------


def test_settings_none_reads_pufa_toml(tmp_path, monkeypatch):
    toml = tmp_path / "pufa.toml"
    toml.write_text("[targets]\nawareness = 0.75\n", encoding="utf-8")
    monkeypatch.setattr(config, "SETTINGS_FILE", toml)
    assert _common.resolve_settings(None).targets["awareness"] == 0.75  # the file's value
    assert _common.resolve_settings(Settings()).targets["awareness"] == 0.9  # built-in default
    with pytest.raises(TypeError, match="'settings' should be a pufa_metrics.Settings"):
        _common.resolve_settings({"targets": {}})


def test_training_compliance_settings_none_reads_pufa_toml(tmp_path, monkeypatch):
    from pufa_metrics.training import training_compliance

    cadres = pd.DataFrame({
        "person_id": ["a", "b"], "department": ["司法所", "司法所"], "year": [2024, 2024],
        "required_hours": [40, 40], "online_hours": [30, 50],
        "exam_taken": [True, True], "exam_score": [70, 90], "exam_passed": pd.NA,
    })
    toml = tmp_path / "pufa.toml"
    toml.write_text("[training]\npass_mark = 95\n", encoding="utf-8")
    monkeypatch.setattr(config, "SETTINGS_FILE", toml)
    # pass mark 95 from the file: neither 70 nor 90 passes; the built-in 80 passes b (90) → 1/2
    assert training_compliance(cadres)["pass_rate"].tolist() == [0.0]
    assert training_compliance(cadres, settings=Settings())["pass_rate"].tolist() == [0.5]


# --------------------------------------------------------------------------------------------
# Day numbers and village codes
# --------------------------------------------------------------------------------------------


def test_day_numbers_of_every_unit_and_time_zone():
    # 2024-03-01 is day 19783 since 1970-01-01 (54 years × 365 + 13 leap days + 59 days)
    for unit in ("s", "ms", "us", "ns"):
        dates = pd.Series(pd.to_datetime(["2024-03-01 23:59", None]).as_unit(unit))
        assert _common.day_numbers(dates, "date").tolist() == [19783, _common.NAT_DAY]
    aware = pd.Series(pd.to_datetime(["2024-03-01 08:00"]).tz_localize("Asia/Shanghai"))
    assert _common.day_numbers(aware, "date").tolist() == [19783]  # wall-clock date kept
    with pytest.raises(TypeError, match="`date` should hold dates"):
        _common.day_numbers(pd.Series(["2024-03-01"]), "date")


def test_period_days_refuses_an_inverted_period():
    with pytest.raises(ValueError, match=r"`start` \(2024-02-01\) is after `end` \(2024-01-01\)"):
        _common.period_days(np.array([0]), "2024-02-01", "2024-01-01")


@pytest.mark.parametrize("dtype", ["object", "category", "str"])
def test_village_codes_same_answer_on_every_path(dtype):
    # numeric-looking ids take the int64 fast path, categoricals the per-category path
    register = pd.Index(["101", "102", "0103"])
    ids = pd.Series(["102", None, "0103", "101"], dtype=dtype)
    assert _common.village_codes(ids, register, "events").tolist() == [1, -1, 2, 0]
    with pytest.raises(ValueError, match=r"1 row\(s\) whose village_id is not in the register"):
        _common.village_codes(pd.Series(["999"], dtype=dtype), register, "events")


def test_topic_pairs_with_event_topics_keep_one_pair_per_topic():
    events = pd.DataFrame({"event_id": ["e1", "e2"], "topic": ["禁毒", "宪法"]})
    topics = pd.DataFrame({"event_id": ["e1", "e1", "e2"], "topic": ["禁毒", "宪法", "宪法"]})
    pos, code, labels = _common.topic_pairs(events, np.array([True, True]), topics)
    # e1: 禁毒 (from both sources, counted once) and 宪法; e2: 宪法 — vocabulary order 宪法, 禁毒
    assert labels == ["宪法", "禁毒"]
    assert sorted(zip(pos.tolist(), code.tolist())) == [(0, 0), (0, 1), (1, 0)]


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def test_number_and_percent_formatting():
    assert _common.fmt_number([1.0, 1.25, -3.5, np.inf], 1).tolist() == ["1", "1.2", "-3.5", ""]
    assert _common.fmt_one(0.333, 2) == "0.33"
    assert _common.pct(0.8951) == "90%"
    assert _common.fmt_date(pd.Timestamp("2024-12-04 18:00")) == "2024-12-04"


def test_wrap_text_never_starts_a_line_with_closing_punctuation():
    text = "统计期间无普法活动；未覆盖宪法、民法典、反电信网络诈骗、禁毒"
    lines = _common.wrap_text(text, 8).split("\n")
    assert "".join(lines) == text
    assert all(_common.text_width(line) <= 9 for line in lines)  # 8 em + one punctuation mark
    assert not any(line[0] in "，。；、）" for line in lines)


# --------------------------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------------------------


def test_atomic_path_keeps_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "跟进清单.xlsx"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), _common.atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("writer crashed")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["跟进清单.xlsx"]  # no temp file left


def test_write_atomic_gives_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    path = _common.write_atomic(tmp_path / "a.csv", "x\n")
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    with pytest.raises(TypeError, match="'data' should be bytes or str"):
        _common.write_atomic(tmp_path / "a.csv", 3)


def test_swap_dir_without_ours_keeps_only_gitkeep(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / ".gitkeep").touch()
    (out / "stale.html").write_text("old", encoding="utf-8")
    new = tmp_path / ".reports.tmp-abc"
    new.mkdir()
    (new / "brief.html").write_text("new", encoding="utf-8")
    _common.swap_dir(new, out)
    assert sorted(p.name for p in out.iterdir()) == [".gitkeep", "brief.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # nothing left aside


def test_recover_dir_with_a_marker_picks_a_complete_copy(tmp_path):
    complete = tmp_path / ".data.old-1-aaaa"
    complete.mkdir()
    (complete / "dataset.json").write_text("{}", encoding="utf-8")
    broken = tmp_path / ".data.old-2-bbbb"
    broken.mkdir()  # newer, but no manifest
    os.utime(complete, (1, 1))
    _common.recover_dir(tmp_path / "data", marker="dataset.json")
    assert (tmp_path / "data" / "dataset.json").exists()
    assert broken.exists()
