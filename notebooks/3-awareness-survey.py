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
# **问题：** 各村群众对重点法律的知晓率、对普法工作的支持度和满意度是多少？哪些村确实低于 90% 的目标，哪些只是样本太少、还说不清？
#
# # 3 Awareness and support (survey)
# **Question:** what share of residents in each village know the key laws, support and are satisfied
# with the work? Which villages are confidently below the 90% target, and which simply have too few
# answers to tell? (Wilson intervals on Kish effective n, beta-binomial shrinkage, LQAS.)

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
# 未提供问卷时未评估的内容 / not assessed without survey data

# %%
pm.not_assessed(ds, "responses", "codebook", lang=lang)

# %%
ds.codebook

# %%
rates = pm.village_rates(ds.responses, ds.codebook, settings=settings)

# %% [markdown]
# 答卷少于5份的村不公布知晓率（小样本保护）/ villages with fewer than 5 answers are suppressed

# %%
pm.suppress_small(rates, settings=settings, secondary_by="item")

# %%
pm.awareness_rates(ds.responses, ds.codebook, by=None)

# %%
pm.group_gaps(ds.responses, ds.codebook, settings=settings)

# %%
fig = pm.plots.awareness_dotplot(rates, domain="awareness", settings=settings, names=ds.villages, survey_kind="镇司法所组织的问卷调查" if lang == "zh" else "survey run by the town justice office", lang=lang, synthetic=synthetic)

# %%
pm.plots.save(fig, f"{out_dir}/figures/3-awareness-dotplot")
