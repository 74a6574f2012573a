"""Seeded synthetic national data for the scale benchmarks, written as county-partitioned Parquet.

全国规模的合成数据（按县分区的 Parquet），用于性能基准测试。

About 490,000 villages in about 38,000 towns and 2,800 counties; events over six years
(2020-01-01 … 2025-12-31); survey responses with 10 items and weights. Every table is written
one file per county (hive layout ``county=<6-digit code>/part-0.parquet``) so that a village is
never split across files: the layout :mod:`pufa_metrics.distributed` reads.

Sizes (``--size``)::

    dev   50,000 villages     500,000 events      200,000 responses   (develop here)
    S    490,000 villages   5,000,000 events    2,000,000 responses
    L    490,000 villages  50,000,000 events   10,000,000 responses

The village register depends only on ``--seed`` and the number of villages, so S and L share it.
Output (default ``benchmarks/data/<size>/``, git-ignored)::

    villages/county=…/part-0.parquet    village_id (12-digit code), village_name, town,
                                        population, registered_population, households
    events/county=…/part-0.parquet      event_id, date (date32), village_id (null = town-wide),
                                        topic, form, attendees (nullable)
    responses/county=…/part-0.parquet   response_id, village_id, date, weight, q01 … q10
    codebook.parquet                    item, text, domain, positive (list), missing (list)
    meta.json                           sizes, seed, period, required topics

Usage::

    .venv/bin/python benchmarks/make_national.py --size dev
    nice .venv/bin/python benchmarks/make_national.py --size L

Everything is vectorised per chunk of counties (numpy draws, Arrow arrays); the only Python loop
is over chunks and, to write the files, over counties.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"

SIZES: dict[str, dict[str, int]] = {
    "dev": {"villages": 50_000, "events": 500_000, "responses": 200_000},
    "S": {"villages": 490_000, "events": 5_000_000, "responses": 2_000_000},
    "L": {"villages": 490_000, "events": 50_000_000, "responses": 10_000_000},
}

START = np.datetime64("2020-01-01", "D")
END = np.datetime64("2025-12-31", "D")
SURVEY_START = np.datetime64("2025-06-01", "D")
VILLAGES_PER_COUNTY = 175.0  # 490,000 / 2,800
TOWNS_PER_COUNTY = 13.6  # 38,000 / 2,800
REQUIRED_TOPICS = ["宪法", "民法典", "反电信网络诈骗", "禁毒"]
TOWN_WIDE_SHARE = 0.05  # events held at town level (no village)
SILENT_VILLAGES = 0.03  # villages with no event at all: the blind spots
CHUNK_COUNTIES = 100

# Topics with their relative frequency (docs/domain.md; campaign topics are the common ones).
TOPIC_WEIGHTS: dict[str, float] = {
    "宪法": 10, "民法典": 14, "反电信网络诈骗": 12, "禁毒": 9, "扫黑除恶": 5, "社会治安": 6,
    "婚姻家庭": 4, "债权债务": 3, "未成年人保护": 5, "安全生产": 4, "消防": 3, "道路交通": 3,
    "妇女权益": 3, "老年人权益": 3, "乡村振兴": 3, "土地管理": 2, "劳动与欠薪": 2, "法律援助": 2,
    "人民调解": 2, "国家安全": 2, "网络安全": 2, "消费者权益": 1, "防范非法集资": 1, "其他": 1,
}
FORM_WEIGHTS: dict[str, float] = {
    "讲座": 10, "摆摊设点": 8, "律师下村": 5, "以案释法": 5, "文艺演出": 2, "入户走访": 3,
    "宣传车": 2, "新媒体线上": 4, "知识竞赛": 1, "送法进校园": 2, "展板宣传栏": 3, "其他": 1,
}
NAME_CHARS = np.array(list("东西南北上下新老大小长平安和兴隆福寿龙凤山河湖塘坪岭坑洞桥田林石"
                           "溪水口头尾沙坝湾岗园金银青白红黄高良美榕梅竹松柏"))

AWARE_ANSWERS = ["知道", "听说过", "不知道", "不清楚"]
SUPPORT_ANSWERS = ["支持", "比较支持", "不太支持", "不支持", "说不清"]
ITEMS = [
    ("q01", "awareness", "您是否知道12月4日是国家宪法日？"),
    ("q02", "awareness", "您是否听说过《民法典》？"),
    ("q03", "awareness", "您是否知道《反电信网络诈骗法》？"),
    ("q04", "awareness", "您是否知道6月26日是国际禁毒日？"),
    ("q05", "awareness", "您是否知道村里有法律顾问？"),
    ("q06", "awareness", "您是否知道12348公共法律服务热线？"),
    ("q07", "awareness", "您是否知道本村的法治宣传栏？"),
    ("q08", "support", "您是否支持本村的法治宣传活动？"),
    ("q09", "support", "您是否支持“以案释法”进村？"),
    ("q10", "support", "您是否支持依法调解邻里纠纷？"),
]


def _choice(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int8)


def _dictionary(codes: np.ndarray, labels: list[str], mask: np.ndarray | None = None):
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int8), mask=mask), pa.array(labels, pa.string())
    )


def _prefixed(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(numbers).cast(pa.string()), "")


def _day_weights() -> np.ndarray:
    """Relative chance of an event on each day: campaign dates are busier (docs/domain.md)."""
    days = np.arange(START, END + 1)
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    w = np.ones(days.size)
    w[month == 5] *= 1.8  # 民法典宣传月
    w[month == 12] *= 1.5
    w[(month == 12) & (dom <= 7)] *= 3.0  # 宪法宣传周, 12·4
    w[(month == 6) & (dom == 26)] *= 6.0  # 国际禁毒日
    w[(month == 4) & (dom == 15)] *= 6.0  # 全民国家安全教育日
    w[(month == 2) & (dom <= 10)] *= 0.3  # 春节 (approximate)
    w *= 1.0 + 0.06 * (days - START).astype(int) / 365.0  # slowly more work each year
    return w / w.sum()


def make_register(n_villages: int, seed: int) -> pa.Table:
    """The village register: ids are 12-digit codes 县(6) + 镇(3) + 村(3), sorted."""
    rng = np.random.default_rng([seed, 0])
    n_counties = max(int(round(n_villages / VILLAGES_PER_COUNTY)), 1)
    # county codes: 31 provinces, cities of up to 15 counties, counties numbered 01..15
    province = np.array([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                         43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65])
    k = np.arange(n_counties)
    prov = province[k % province.size]
    within = k // province.size
    county = prov * 10_000 + (within // 15 + 1) * 100 + within % 15 + 1
    county = np.sort(county)
    towns_per_county = 1 + rng.poisson(TOWNS_PER_COUNTY - 1, n_counties)
    n_towns = int(towns_per_county.sum())
    town_county = np.repeat(np.arange(n_counties), towns_per_county)
    town_no = np.arange(n_towns) - np.repeat(np.cumsum(towns_per_county) - towns_per_county,
                                              towns_per_county) + 1
    # villages per town, scaled to the target total; at most 899 (codes 001…899)
    raw = rng.gamma(4.0, 1.0, n_towns)
    per_town = np.maximum(1, np.round(raw / raw.sum() * n_villages)).astype(np.int64)
    per_town = np.minimum(per_town, 899)
    diff = n_villages - int(per_town.sum())  # fix the total exactly
    adjust = rng.choice(n_towns, size=abs(diff), replace=True)
    np.add.at(per_town, adjust, np.sign(diff))
    per_town = np.clip(per_town, 1, 899)
    n = int(per_town.sum())
    v_town = np.repeat(np.arange(n_towns), per_town)
    v_no = np.arange(n) - np.repeat(np.cumsum(per_town) - per_town, per_town) + 1
    community = rng.random(n) < 0.12  # 社区 codes 0xx, 村 codes 2xx (statistical convention)
    v_code = np.where(community, v_no, 200 + v_no) % 1000
    v_county = county[town_county[v_town]]
    village_id = (v_county * 1_000 + town_no[v_town]) * 1_000 + v_code
    order = np.argsort(village_id, kind="stable")
    village_id, v_town, community = village_id[order], v_town[order], community[order]
    keep = np.r_[True, village_id[1:] != village_id[:-1]]  # code clashes (rare): drop
    village_id, v_town, community = village_id[keep], v_town[keep], community[keep]
    n = village_id.size

    c1 = NAME_CHARS[rng.integers(0, NAME_CHARS.size, n)]
    c2 = NAME_CHARS[rng.integers(0, NAME_CHARS.size, n)]
    suffix = np.where(community, "社区", "村")
    names = np.char.add(np.char.add(c1, c2), suffix)
    t1 = NAME_CHARS[rng.integers(0, NAME_CHARS.size, n_towns)]
    t2 = NAME_CHARS[rng.integers(0, NAME_CHARS.size, n_towns)]
    town_names = np.char.add(np.char.add(t1, t2), "镇")
    population = np.round(rng.lognormal(np.log(1500), 0.7, n)).astype(np.int64) + 50
    registered = np.round(population * rng.uniform(1.0, 1.7, n)).astype(np.int64)
    households = np.round(registered / rng.uniform(3.0, 4.2, n)).astype(np.int64)
    return pa.table({
        "village_id": pa.array(village_id.astype(str), pa.string()),
        "village_name": pa.array(names, pa.string()),
        "town": pa.array(town_names[v_town], pa.string()),
        "county": pa.array((village_id // 1_000_000).astype(str), pa.string()),
        "population": pa.array(population, pa.int64()),
        "registered_population": pa.array(registered, pa.int64()),
        "households": pa.array(households, pa.int64()),
    })


def _village_rates(n: int, seed: int) -> np.ndarray:
    """Relative event activity of each village: gamma-distributed, some villages silent."""
    rng = np.random.default_rng([seed, 1])
    rate = rng.gamma(1.5, 1.0, n)
    rate[rng.random(n) < SILENT_VILLAGES] = 0.0
    return rate / rate.sum()


def _write_by_county(table: pa.Table, county_of_row: np.ndarray, counties: np.ndarray,
                     folder: Path) -> None:
    """One file per county: rows of ``table`` are grouped by ``county_of_row`` (sorted)."""
    bounds = np.searchsorted(county_of_row, counties, side="left")
    ends = np.searchsorted(county_of_row, counties, side="right")
    for county, a, b in zip(counties, bounds, ends):  # counties of this chunk (≤ 100)
        out = folder / f"county={county}"
        out.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(a, b - a), out / "part-0.parquet")  # snappy


def make_events(register: pa.Table, n_events: int, seed: int, out: Path) -> None:
    """Events of every county; each county's events sorted by date, as in a ledger."""
    vid = np.asarray(register["village_id"].to_numpy(zero_copy_only=False)).astype(np.int64)
    county = vid // 1_000_000
    rate = _village_rates(vid.size, seed)
    day_p = _day_weights()
    topic_labels, form_labels = list(TOPIC_WEIGHTS), list(FORM_WEIGHTS)
    counties = np.unique(county)
    next_id = 0
    for c0 in range(0, counties.size, CHUNK_COUNTIES):  # chunks of counties
        rng = np.random.default_rng([seed, 2, c0])
        chunk = counties[c0:c0 + CHUNK_COUNTIES]
        lo, hi = np.searchsorted(county, [chunk[0], chunk[-1] + 1])
        expected = rate[lo:hi] * n_events * (1 - TOWN_WIDE_SHARE)
        per_village = rng.poisson(expected)
        ev_village = np.repeat(np.arange(lo, hi), per_village)
        n_town_wide = rng.poisson(n_events * TOWN_WIDE_SHARE * chunk.size / counties.size)
        tw_county = rng.choice(chunk, n_town_wide)
        ev_county = np.concatenate([county[ev_village], tw_county])
        ev_vid = np.concatenate([vid[ev_village], np.zeros(n_town_wide, np.int64)])
        n = ev_county.size
        day = rng.choice(day_p.size, size=n, p=day_p).astype(np.int64)
        order = np.lexsort((day, ev_county))
        ev_county, ev_vid, day = ev_county[order], ev_vid[order], day[order]
        town_wide = order >= n - n_town_wide  # rows drawn as town-wide events
        attendees = np.round(rng.lognormal(np.log(45), 0.8, n)).astype(np.int32) + 5
        table = pa.table({
            "event_id": _prefixed("E", np.arange(next_id, next_id + n)),
            "date": pa.array((START + day).astype("datetime64[D]"), pa.date32()),
            "village_id": pa.array(ev_vid.astype(str), pa.string(), mask=town_wide),
            "topic": _dictionary(_choice(rng, TOPIC_WEIGHTS, n), topic_labels),
            "form": _dictionary(_choice(rng, FORM_WEIGHTS, n), form_labels),
            "attendees": pa.array(attendees, pa.int32(), mask=rng.random(n) < 0.08),
        })
        next_id += n
        _write_by_county(table, ev_county, chunk, out / "events")


def make_responses(register: pa.Table, n_responses: int, seed: int, out: Path) -> None:
    """Survey answers: about n / villages respondents per village, 10 items, design weights."""
    vid = np.asarray(register["village_id"].to_numpy(zero_copy_only=False)).astype(np.int64)
    county = vid // 1_000_000
    rng0 = np.random.default_rng([seed, 3])
    awareness = rng0.beta(6.0, 2.0, vid.size)  # each village's true awareness
    item_shift = np.linspace(0.08, -0.25, len(ITEMS))  # easy → hard items
    counties = np.unique(county)
    next_id = 0
    span = int((END - SURVEY_START).astype(int)) + 1
    for c0 in range(0, counties.size, CHUNK_COUNTIES):
        rng = np.random.default_rng([seed, 4, c0])
        chunk = counties[c0:c0 + CHUNK_COUNTIES]
        lo, hi = np.searchsorted(county, [chunk[0], chunk[-1] + 1])
        per_village = rng.poisson(n_responses / vid.size, hi - lo)
        r_village = np.repeat(np.arange(lo, hi), per_village)
        n = r_village.size
        columns = {
            "response_id": _prefixed("R", np.arange(next_id, next_id + n)),
            "village_id": pa.array(vid[r_village].astype(str), pa.string()),
            "date": pa.array(SURVEY_START + rng.integers(0, span, n), pa.date32()),
            "weight": pa.array(np.round(rng.lognormal(0.0, 0.45, n), 4), pa.float64()),
        }
        p = awareness[r_village]
        for (item, domain, _), shift in zip(ITEMS, item_shift):  # 10 items
            u = rng.random(n)
            q = np.clip(p + shift, 0.02, 0.99)
            missing = rng.random(n) < 0.04
            if domain == "awareness":  # 知道 / 听说过 / 不知道, 不清楚 = no answer
                code = np.where(u < q * 0.6, 0, np.where(u < q, 1, 2))
                code[missing] = 3
                labels = AWARE_ANSWERS
            else:  # 支持 / 比较支持 / 不太支持 / 不支持, 说不清 = no answer
                code = np.where(u < q * 0.5, 0, np.where(u < q, 1, np.where(u < q + (1 - q) / 2,
                                                                             2, 3)))
                code[missing] = 4
                labels = SUPPORT_ANSWERS
            skipped = rng.random(n) < 0.01  # empty cell: also no answer
            columns[item] = _dictionary(code, labels, mask=skipped)
        next_id += n
        _write_by_county(pa.table(columns), county[r_village], chunk, out / "responses")


def codebook() -> pa.Table:
    """The 10 items with their positive and missing answers (docs/domain.md)."""
    positive = [["知道", "听说过"] if d == "awareness" else ["支持", "比较支持"]
                for _, d, _ in ITEMS]
    missing = [["不清楚"] if d == "awareness" else ["说不清"] for _, d, _ in ITEMS]
    return pa.table({
        "item": [i for i, _, _ in ITEMS],
        "text": [t for _, _, t in ITEMS],
        "domain": [d for _, d, _ in ITEMS],
        "positive": pa.array(positive, pa.list_(pa.string())),
        "missing": pa.array(missing, pa.list_(pa.string())),
    })


def make_national(out: Path, *, villages: int, events: int, responses: int, seed: int) -> Path:
    """Write a national dataset to ``out`` (replacing it) and return ``out``."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    register = make_register(villages, seed)
    county = np.asarray(register["county"].to_numpy(zero_copy_only=False)).astype(np.int64)
    counties = np.unique(county)
    for c0 in range(0, counties.size, CHUNK_COUNTIES):
        chunk = counties[c0:c0 + CHUNK_COUNTIES]
        lo, hi = np.searchsorted(county, [chunk[0], chunk[-1] + 1])
        _write_by_county(register.slice(lo, hi - lo).drop_columns(["county"]),
                         county[lo:hi], chunk, out / "villages")
    print(f"villages: {register.num_rows:,} in {counties.size:,} counties "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    make_events(register, events, seed, out)
    print(f"events written ({time.perf_counter() - t0:.1f} s)", flush=True)
    make_responses(register, responses, seed, out)
    print(f"responses written ({time.perf_counter() - t0:.1f} s)", flush=True)
    pq.write_table(codebook(), out / "codebook.parquet")
    vid = np.asarray(register["village_id"].to_numpy(zero_copy_only=False)).astype(np.int64)
    n_towns = int(np.unique(vid // 1_000).size)
    counts = {
        name: pq.ParquetDataset(out / name).read(columns=[]).num_rows
        for name in ("villages", "events", "responses")
    }
    meta = {
        "seed": seed, "villages": counts["villages"], "towns": n_towns,
        "counties": int(counties.size), "events": counts["events"],
        "responses": counts["responses"], "items": len(ITEMS),
        "start": str(START), "end": str(END), "as_of": str(END),
        "required_topics": REQUIRED_TOPICS,
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    (out / ".synthetic").write_text("synthetic benchmark data / 合成数据\n", "utf-8")
    print(json.dumps(meta, ensure_ascii=False), f"({time.perf_counter() - t0:.1f} s)")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="dev")
    parser.add_argument("--out", type=Path, default=None, help="default benchmarks/data/<size>")
    parser.add_argument("--seed", type=int, default=20210909)
    parser.add_argument("--villages", type=int, default=None, help="override the size's count")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--responses", type=int, default=None)
    args = parser.parse_args(argv)
    size = dict(SIZES[args.size])
    for key in size:
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    make_national(args.out or DATA_DIR / args.size, seed=args.seed, **size)


if __name__ == "__main__":
    main()
