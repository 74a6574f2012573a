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
# **问题：** 各村每月开展多少场活动？哪些月份一场都没有？活动是否集中在宣传日（12·4、民法典宣传月、6·26……）？各部门是否履行"谁执法谁普法"？
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

# %%
caption = pm.plots.source_caption("普法活动台账" if lang == "zh" else "event ledgers", start=period.start, end=period.end, lang=lang)

# %%
counts = pm.event_counts(ds.events, freq="MS", villages=ds.villages, start=period.start, end=period.end, wide=True)

# %%
counts

# %%
calendar = pm.campaign_calendar(range(period.start.year, period.end.year + 1))

# %%
calendar

# %%
pm.campaign_share(ds.events[ds.events["date"].between(period.start, period.end)], calendar)

# %%
pm.organizer_summary(ds.events, start=period.start, end=period.end, event_topics=ds.event_topics)

# %%
fig = pm.plots.calendar_heatmap(counts, calendar=calendar, names=ds.villages, lang=lang, caption=caption, synthetic=synthetic)

# %%
pm.plots.save(fig, f"{out_dir}/figures/2-calendar-heatmap")

# %%
fig = pm.plots.trend(ds.events, event_topics=ds.event_topics, calendar=calendar, start=period.start, end=period.end, lang=lang, caption=caption, synthetic=synthetic)

# %%
pm.plots.save(fig, f"{out_dir}/figures/2-trend")
