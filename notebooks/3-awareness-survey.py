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
# # 3 群众法治知晓率与支持度（问卷）
# **问题：** 各村群众对重点法律的知晓率、对普法工作的支持度和满意度是多少？哪些村确实低于
# 90% 的目标，哪些只是样本太少、还说不清？
#
# # 3 Awareness and support (survey)
# **Question:** what share of residents in each village know the key laws, support and are
# satisfied with the work? Which villages are confidently below the 90% target, and which simply
# have too few answers to tell? (Wilson intervals on Kish effective n, beta-binomial shrinkage,
# LQAS.)

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
# 未提供问卷时未评估的内容 / not assessed without survey data

# %%
pm.not_assessed(ctx.ds, "responses", "codebook", lang=ctx.lang)

# %%
ctx.ds.codebook

# %%
rates = pm.village_rates(ctx.ds.responses, ctx.ds.codebook, settings=ctx.settings)

# %% [markdown]
# 答卷少于5份的村不公布知晓率（小样本保护）/ villages with fewer than 5 answers are suppressed

# %%
published = pm.suppress_small(rates, settings=ctx.settings, secondary_by="item")

# %%
pm.readable_table(published, "rates", names=ctx.ds.villages, lang=ctx.lang)

# %%
pm.group_gaps(ctx.ds.responses, ctx.ds.codebook, settings=ctx.settings)

# %%
fig = pm.plots.awareness_dotplot(rates, domain="awareness", settings=ctx.settings,
                                 names=ctx.ds.villages, survey_kind=ctx.survey_kind,
                                 lang=ctx.lang, synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("3-awareness-dotplot"))

# %%
pm.summary(ctx, "awareness")
