"""Write tests/data/mini_town/: a small town (10 villages) in plain canonical CSV files.

Taken from the synthetic sample town (``make_sample()``, default seed): the 10 villages with
the lowest ids, their events, sites, survey answers and polygons, plus the town's cadres for
2024-2025. The notebooks and `pufa report` tests run on it. Run from the repository root:

    .venv/bin/python tests/data/make_mini_town.py
"""

from pathlib import Path

from pufa_metrics.sample import make_sample

OUT = Path(__file__).resolve().parent / "mini_town"
KEEP = [f"SZ{i:02d}" for i in range(1, 11)]


def _join(value) -> str:
    return "|".join(value) if isinstance(value, tuple) else ("" if value is None else str(value))


def main() -> None:
    s = make_sample()
    OUT.mkdir(exist_ok=True)
    drop = ["source_file", "source_row"]
    villages = s["villages"][s["villages"]["village_id"].isin(KEEP)].drop(columns=drop)
    villages.to_csv(OUT / "villages.csv", index=False)
    events = s["events"]
    events = events[events["village_id"].isin(KEEP) | events["village_id"].isna()]
    events = events.drop(columns=drop + ["village_name"])
    topics = s["event_topics"].groupby("event_id", sort=False)["topic"].agg("、".join)
    events = events.assign(topic=events["event_id"].map(topics), date=events["date"].dt.date)
    events.to_csv(OUT / "events.csv", index=False)
    sites = s["sites"][s["sites"]["village_id"].isin(KEEP) | (s["sites"]["level"] == "town")]
    sites.drop(columns=drop + ["village_name"]).to_csv(OUT / "sites.csv", index=False)
    resp = s["responses"][s["responses"]["village_id"].isin(KEEP)]
    resp = resp.drop(columns=drop + ["village_name"]).assign(date=lambda d: d["date"].dt.date)
    resp.to_csv(OUT / "survey_responses.csv", index=False)
    cb = s["codebook"][["item", "text", "domain", "positive", "missing", "correct"]]
    cb.assign(positive=cb["positive"].map(_join), missing=cb["missing"].map(_join)).to_csv(
        OUT / "codebook.csv", index=False
    )
    cadres = s["cadres"][s["cadres"]["year"].isin([2024, 2025])].drop(columns=drop)
    cadres.to_csv(OUT / "cadres.csv", index=False)
    geo = s["geometry"][s["geometry"]["village_id"].isin(KEEP)]
    (OUT / "boundaries.geojson").unlink(missing_ok=True)
    geo.to_file(OUT / "boundaries.geojson", driver="GeoJSON")


if __name__ == "__main__":
    main()
