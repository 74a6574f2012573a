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
# # 5 干部学法用法
# **问题：** 各单位干部是否完成学法学时、参加年度考试并合格？多少人持有行政执法证？
#
# # 5 Cadre law study (学法用法)
# **Question:** did each department's cadres complete their study hours and pass the annual law
# exam? How many hold an administrative enforcement certificate?

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
training = pm.training_compliance(ds.cadres, year=period.end.year, settings=settings)

# %% [markdown]
# 未提供学法用法台账或该年度无记录时未评估的内容 / not assessed without cadre law-study records for the year

# %%
pm.not_assessed(ds, "cadres", training, lang=lang)

# %% [markdown]
# 人数少于5人的单位不公布比率（小样本保护）/ rates of departments with fewer than 5 staff are suppressed

# %%
pm.suppress_small(training, n="n_staff", settings=settings)

# %%
pm.training_compliance(ds.cadres, year=list(range(period.start.year, period.end.year + 1)), by=None, settings=settings)

# %%
fig = pm.plots.training_chart(training, settings=settings, lang=lang, synthetic=synthetic, caption=pm.plots.source_caption("学法用法台账" if lang == "zh" else "cadre law-study records", start=period.start, end=period.end, lang=lang))

# %%
pm.plots.save(fig, f"{out_dir}/figures/5-training")
