# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1 各村（社区）普法覆盖情况
# **问题：** 统计期内，哪些村（社区）开展过普法活动、多少场、多少人次？哪些村长期没有活动？必讲主题是否讲到？
#
# # 1 Coverage per village
# **Question:** in the period, which villages had legal-education events, how many and with how many
# attendances (人次, not distinct people)? Which went longest without one? Were the required topics covered?

# %% tags=["parameters"]
data_dir = "../data/processed"
start = None
end = None
as_of = None
out_dir = "../reports"
lang = "zh"
config_path = None

# %%
import pufa_metrics as pm

# %%
settings = pm.Settings.load(config_path)

# %%
ds = pm.open_dataset(data_dir, settings=settings)

# %%
period = pm.resolve_period(settings, events=ds.events, start=start, end=end, as_of=as_of)

# %%
period

# %%
synthetic = pm.is_synthetic(ds)

# %% [markdown]
# 未提供村界、普法阵地台账时未评估的内容 / not assessed without village boundaries or the site register

# %%
pm.not_assessed(ds, "geometry", "sites", lang=lang)

# %%
caption = pm.plots.source_caption("普法活动台账" if lang == "zh" else "event ledgers", start=period.start, end=period.end, lang=lang)

# %%
coverage = pm.village_coverage(ds.events, ds.villages, start=period.start, end=period.end, as_of=period.as_of, event_topics=ds.event_topics, required_topics=settings.required_topics, sites=ds.sites)

# %%
coverage

# %% [markdown]
# 未在村级开展、计入全镇的活动 / town-wide events (not attributed to any village)

# %%
pm.town_events(ds.events, start=period.start, end=period.end, event_topics=ds.event_topics)

# %%
fig = pm.plots.coverage_bar(coverage, settings=settings, lang=lang, caption=caption, synthetic=synthetic)

# %%
pm.plots.save(fig, f"{out_dir}/figures/1-coverage-bar")

# %%
fig = pm.plots.coverage_map(coverage, ds.geometry, lang=lang, caption=caption, synthetic=synthetic)

# %%
pm.plots.save(fig, f"{out_dir}/figures/1-coverage-map")

# %%
topics = pm.topic_matrix(ds.events, ds.villages, event_topics=ds.event_topics, topics=list(settings.required_topics), start=period.start, end=period.end)

# %%
fig = pm.plots.topic_matrix(topics, settings=settings, names=ds.villages, lang=lang, caption=caption, synthetic=synthetic)

# %%
pm.plots.save(fig, f"{out_dir}/figures/1-topic-matrix")
