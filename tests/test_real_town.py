"""A real town's first report: the clerk's folder tests/data/real_town/河口镇台账, with no edits.

The folder has a register (no code, no 所属镇), a quarterly 2024 ledger, a 2025 ledger without a
参与对象 column, a GBK 妇联 CSV, a 问卷星 export and a sites list — no boundaries, cadre records,
roster or adviser log. ``truth.toml`` (written by ``make_real_town.py`` from its own rows, never by
this package) names the three planted blind spots; the README says why each is one. One report
run serves every test here (about a minute and a half).
"""

import re
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from pufa_metrics import cli

DATA = Path(__file__).resolve().parent / "data" / "real_town"
LEDGERS = DATA / "河口镇台账"
TRUTH = tomllib.loads((DATA / "truth.toml").read_text(encoding="utf-8"))
PLANTED = set(TRUTH["town"]["planted"].values())

pytestmark = [pytest.mark.slow, pytest.mark.notebook]


@pytest.fixture(scope="module")
def report(build_once):
    """``pufa report --data 河口镇台账`` with the shipped pufa.toml, as a new user runs it.

    Built once per run, whichever xdist worker needs it first (tests/conftest.py).
    """
    def make(root):
        folder = root / "河口镇台账"
        shutil.copytree(LEDGERS, folder)  # the fixture stays untouched whatever the run writes
        code = cli.main(["report", "--data", str(folder), "--out", str(root / "reports")])
        assert code == cli.EXIT_OK

    return build_once("real_town_report", make) / "reports"


def _text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", " ", raw))


def test_the_top_of_the_follow_up_list_is_the_planted_villages(report):
    follow = pd.read_excel(report / "follow_up.xlsx", sheet_name="跟进清单", engine="openpyxl")
    # truth.toml: 黄竹坪村 (no event after Q1 2024), 龙潭村 (no required topic),
    # 横岗村 (55% on 民法典)
    assert set(follow["村编码"].head(3)) == PLANTED
    assert len(follow) == 3  # and nothing else: the other nine villages are fine (README)
    by_id = follow.set_index("村编码")
    assert "知晓率55%" in by_id.loc["横岗村", "问题"]
    assert "近23个月无普法活动" in by_id.loc["黄竹坪村", "问题"]
    assert "宪法、民法典、反电信网络诈骗、禁毒未覆盖" in by_id.loc["龙潭村", "问题"]
    # 龙潭村's 2025 events come from the ledger without 参与对象: its audiences are not assessed
    assert "老年人、外出务工人员是否作为宣传对象未评估" in by_id.loc["龙潭村", "未评估"]
    assert "未作为宣传对象" not in by_id.loc["龙潭村", "问题"]


def test_every_notebook_ran_and_says_what_it_could_not_assess(report):
    notebooks = {p.stem: _text(p) for p in (report / "notebooks").glob("*.html")}
    assert sorted(notebooks) == ["0-data-quality", "1-coverage", "2-event-frequency",
                                 "3-awareness-survey", "4-blind-spots", "5-cadre-training",
                                 "6-leader-brief", "7-effectiveness"]
    for nb in ("0-data-quality", "1-coverage", "4-blind-spots", "6-leader-brief"):
        assert "未提供村界，未做空间冷点分析" in notebooks[nb], nb
    for nb in ("0-data-quality", "5-cadre-training", "6-leader-brief"):
        assert "未提供学法用法台账" in notebooks[nb], nb
    for nb in ("0-data-quality", "4-blind-spots"):
        assert "未提供法律明白人名册" in notebooks[nb]
        assert "未提供村法律顾问服务台账" in notebooks[nb]
    # the ledger that lacks 参与对象, named where the follow-up list is made
    assert "2025年综治办普法台账.xlsx" in notebooks["4-blind-spots"]
    for nb, text in notebooks.items():  # the period cut to the ledgers, said in every notebook
        assert "统计期起点2020-01-01早于最早台账记录2024-01-06" in text, nb


def test_the_brief_names_the_town_the_period_and_what_was_not_assessed(report):
    brief = _text(report / "brief.html")
    assert "河口镇普法工作简报" in brief  # the name comes from the files' title rows
    assert "统计期间：2024-01-06至2025-12-31" in brief
    assert "统计期起点2020-01-01早于最早台账记录2024-01-06" in brief
    # absent tables in the words of assessed.OPTIONAL_TABLES, as in every notebook
    assert "未提供村界，未做空间冷点分析、未绘制地图" in brief
    assert "未提供学法用法台账，未评估干部学法用法、未绘制部门图" in brief
    assert "有活动未记录参加对象" in brief  # 龙潭村's audiences, not assessed


def test_data_quality_names_the_sheet_of_the_rejected_row(report):
    book = pd.read_excel(report / "data_quality.xlsx", sheet_name=None, engine="openpyxl")
    rejected = book["未导入的行"]
    # README: the only bad row is 三季度 row 14, 时间 2024.9.31 (September has 30 days)
    assert rejected[["文件", "工作表", "Excel行号"]].values.tolist() == [
        ["2024年普法活动台账.xlsx", "三季度", 14]]
    places = book["全镇活动地点"].set_index("地点（原文）")["场数"]
    # README: town-wide events 镇文化站 4, 镇政府 2, 社区广场 2, 河口中学 2, 各村(社区) 2,
    # 全镇各村 1, blank 1
    assert places.to_dict() == {"镇文化站": 4, "镇政府": 2, "社区广场": 2, "河口中学": 2,
                                "各村(社区)": 2, "全镇各村": 1, "（空白）": 1}


def test_validate_reads_the_folder_without_error(capsys):
    code = cli.main(["validate", str(LEDGERS)])
    out = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert "镇名 / town: 河口镇" in out
    assert "2024年普法活动台账.xlsx · 三季度 · 第14行（1条）" in out
    assert "2025年综治办普法台账.xlsx" in out.split("what the ledgers do not record")[1]
