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
# # 6 领导简报
# **问题：** 一页看懂全镇普法覆盖情况：主要指标与目标相比如何？哪些村需要优先跟进？
#
# # 6 The leader brief
# **Question:** at a glance, how does the town do against its targets, and which villages come first
# on the follow-up list? Writes brief.pdf and brief.html.

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
# 未提供的可选台账，以及简报中因此未评估的内容 / optional tables not provided, and what the brief therefore leaves out

# %%
pm.not_assessed(ds, lang=lang)

# %%
analysis = pm.analyse(ds, settings=settings, period=period)

# %%
pm.brief(out_dir, coverage=analysis.coverage, follow_up=analysis.follow_up, services=analysis.services, rates=analysis.rates, counts=analysis.counts, training=analysis.training, geometry=ds.geometry, calendar=analysis.calendar, events=ds.events, event_topics=ds.event_topics, settings=settings, period=period, town=pm.town_name(ds, settings=settings), survey_kind="镇司法所组织的问卷调查" if lang == "zh" else "survey run by the town justice office", synthetic=synthetic, lang=lang)
