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

# %% [markdown]
# 设定：数据、统计期、镇名、输出文件夹 / set-up: data, period, town, output folder

# %%
ctx = pm.notebook_context(data_dir, start=start, end=end, as_of=as_of, out_dir=out_dir,
                          lang=lang, config_path=config_path)

# %%
ctx

# %%
training = pm.training_compliance(ctx.ds.cadres, year=ctx.period.end.year, settings=ctx.settings)

# %% [markdown]
# 未提供学法用法台账或该年度无记录时未评估的内容 / not assessed without cadre law-study records
# for the year

# %%
pm.not_assessed(ctx.ds, "cadres", training, lang=ctx.lang)

# %% [markdown]
# 人数少于5人的单位不公布比率（小样本保护）/ rates of departments with fewer than 5 staff are
# suppressed

# %%
published = pm.suppress_small(training, n="n_staff", settings=ctx.settings)

# %%
pm.readable_table(published.reset_index(), "training", lang=ctx.lang)

# %%
pm.training_compliance(ctx.ds.cadres, year=list(range(ctx.period.start.year,
                                                       ctx.period.end.year + 1)),
                       by=None, settings=ctx.settings)

# %%
fig = pm.plots.training_chart(training, settings=ctx.settings, lang=ctx.lang,
                              synthetic=ctx.synthetic, caption=ctx.caption("cadres"))
fig

# %%
pm.plots.save(fig, ctx.figure("5-training"))

# %%
pm.summary(ctx, "training")
