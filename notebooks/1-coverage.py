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
# **问题：** 统计期内，哪些村（社区）开展过普法活动、多少场、多少人次？哪些村长期没有活动？
# 必讲主题是否讲到？
#
# # 1 Coverage per village
# **Question:** in the period, which villages had legal-education events, how many and with how
# many attendances (人次, not distinct people)? Which went longest without one? Were the required
# topics covered?

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

# %% [markdown]
# 设定：数据、统计期、镇名、输出文件夹 / set-up: data, period, town, output folder

# %%
ctx = pm.notebook_context(data_dir, start=start, end=end, as_of=as_of, out_dir=out_dir,
                          lang=lang, config_path=config_path)

# %%
ctx

# %% [markdown]
# 未提供村界、普法阵地台账时未评估的内容 / not assessed without village boundaries or the site
# register

# %%
pm.not_assessed(ctx.ds, "geometry", "sites", lang=ctx.lang)

# %% [markdown]
# 各村覆盖情况（无阵地台账时“有村级阵地”未评估，不计为“无”）/ coverage per village (without
# a site register, "village site" is not assessed rather than "no")

# %%
coverage = pm.village_coverage(
    ctx.ds.events, ctx.ds.villages, start=ctx.period.start, end=ctx.period.end,
    as_of=ctx.period.as_of, event_topics=ctx.ds.event_topics,
    required_topics=ctx.settings.required_topics, sites=ctx.table("sites"),
)

# %%
pm.readable_table(coverage, "coverage", lang=ctx.lang)

# %% [markdown]
# 未在村级开展、计入全镇的活动 / town-wide events (not attributed to any village)

# %%
pm.town_events(ctx.ds.events, start=ctx.period.start, end=ctx.period.end,
               event_topics=ctx.ds.event_topics)

# %%
fig = pm.plots.coverage_bar(coverage, settings=ctx.settings, lang=ctx.lang,
                            caption=ctx.caption(), synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("1-coverage-bar"))

# %%
fig = pm.plots.coverage_map(coverage, ctx.ds.geometry, lang=ctx.lang, caption=ctx.caption(),
                            synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("1-coverage-map"))

# %%
topics = pm.topic_matrix(ctx.ds.events, ctx.ds.villages, event_topics=ctx.ds.event_topics,
                         topics=list(ctx.settings.required_topics), start=ctx.period.start,
                         end=ctx.period.end)

# %%
fig = pm.plots.topic_matrix(topics, settings=ctx.settings, names=ctx.ds.villages, lang=ctx.lang,
                            caption=ctx.caption(), synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("1-topic-matrix"))

# %%
pm.summary(ctx, "coverage")
