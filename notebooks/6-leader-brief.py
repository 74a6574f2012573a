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
# **Question:** at a glance, how does the town do against its targets, and which villages come
# first on the follow-up list? Writes brief.pdf and brief.html.

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
# 未提供的可选台账，以及简报中因此未评估的内容 / optional tables not provided, and what the
# brief therefore leaves out

# %%
pm.not_assessed(ctx.ds, lang=ctx.lang)

# %%
analysis = ctx.analysis

# %% [markdown]
# 普法实效（观察性分析，详见笔记本7）：简报最后一页 / does the publicity work (observational;
# notebook 7 has the details): the brief's last page

# %%
effect = ctx.effect

# %%
pm.brief(ctx.out_dir, coverage=analysis.coverage, follow_up=analysis.follow_up,
         services=analysis.services, rates=analysis.rates, counts=analysis.counts,
         training=analysis.training, geometry=ctx.ds.geometry, calendar=analysis.calendar,
         events=ctx.ds.events, event_topics=ctx.ds.event_topics, settings=ctx.settings,
         period=ctx.period, town=ctx.town, survey_kind=ctx.survey_kind,
         synthetic=ctx.synthetic, lang=ctx.lang, comparison=analysis.comparison,
         effect=effect)

# %% [markdown]
# 年度普法工作情况汇报初稿（Word，可编辑）：汇报.docx / the yearly report draft as an editable
# Word file (yearly_report.docx in English)

# %%
pm.yearly_report(ctx.out_dir, coverage=analysis.coverage, follow_up=analysis.follow_up,
                 figures=pm.town_report_figures(ctx.ds, start=ctx.period.start,
                                                end=ctx.period.end, settings=ctx.settings),
                 rates=analysis.rates, services=analysis.services,
                 organizers=analysis.organizers, campaign=analysis.campaign,
                 events=ctx.ds.events, event_topics=ctx.ds.event_topics,
                 calendar=analysis.calendar, settings=ctx.settings, period=ctx.period,
                 town=ctx.town, survey_kind=ctx.survey_kind, synthetic=ctx.synthetic,
                 comparison=analysis.comparison, lang=ctx.lang)

# %%
pm.summary(ctx, "brief")
