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
# # 2 普法活动频次与时间分布
# **问题：** 各村每月开展多少场活动？哪些月份一场都没有？活动是否集中在宣传日（12·4、
# 民法典宣传月、6·26……）？各部门是否履行"谁执法谁普法"？
#
# # 2 Event frequency over time
# **Question:** how many events per village per month, and which months had none? How much of the
# work happens only around campaign days? Does each department cover its own field?

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

# %%
counts = pm.event_counts(ctx.ds.events, freq="MS", villages=ctx.ds.villages,
                         start=ctx.period.start, end=ctx.period.end, wide=True)

# %% [markdown]
# 各村每年活动场次（逐月明细见下方热力图）/ events per village and year (the heat map below
# shows every month)

# %%
pm.event_counts(ctx.ds.events, freq="YS", villages=ctx.ds.villages, start=ctx.period.start,
                end=ctx.period.end, wide=True)

# %%
calendar = pm.campaign_calendar(range(ctx.period.start.year, ctx.period.end.year + 1))

# %%
calendar

# %%
ctx.analysis.campaign

# %%
pm.organizer_summary(ctx.ds.events, start=ctx.period.start, end=ctx.period.end,
                     event_topics=ctx.ds.event_topics)

# %%
fig = pm.plots.calendar_heatmap(counts, calendar=calendar, names=ctx.ds.villages, lang=ctx.lang,
                                caption=ctx.caption(), synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("2-calendar-heatmap"))

# %%
fig = pm.plots.trend(ctx.ds.events, event_topics=ctx.ds.event_topics, calendar=calendar,
                     start=ctx.period.start, end=ctx.period.end, lang=ctx.lang,
                     caption=ctx.caption(), synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("2-trend"))

# %%
pm.summary(ctx, "frequency")
