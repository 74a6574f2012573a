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
# # 7 普法实效：宣传活动多的法律，群众更知晓吗？
# **问题：** 一个村在调查前12个月里就某部法律开展的宣传活动越多，这个村的群众是否越知晓这部
# 法律？比较在同一个村内、不同法律之间进行（村、题固定效应），所以“这个村本来就更活跃、群众
# 本来就更了解”不会被当成宣传的效果。
#
# **注意：** 这是观察性数据，不是实验。即使同村跨主题比较显示正相关，也只是证据而非证明：
# 例如一个村可能正是针对群众已经关心的法律多开展活动。示例乡镇的数据是合成的，结果不代表任何
# 真实乡镇；合成时并未设定“活动提高知晓率”的效果，所以示例中出现的任何关联都出于偶然（95%
# 置信区间大约每20次会有1次不含真实值）。
#
# # 7 Does the publicity work?
# **Question:** when a village held more events on a law in the 12 months before the survey, do
# its residents know that law better? The comparison is made within villages, across laws
# (village and item fixed effects), so a village that is simply more active *and* better informed
# does not pass for an effect.
#
# **Caveat:** this is observational data, not an experiment. Even a clear within-village
# association is evidence, not proof: a village may hold events on the laws its residents already
# ask about. The sample town's data are synthetic; its results describe no real town. No effect of
# events on awareness was planted in them, so any association shown here is chance (a 95%
# interval misses the truth about one time in twenty).

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
# 未提供问卷或编码表时无法评估 / not assessed without a survey and its codebook

# %%
pm.not_assessed(ctx.ds, "responses", "codebook", lang=ctx.lang)

# %% [markdown]
# 每道题涉及哪部法律（编码表的“所涉法律”列，否则从题目文字中识别）；未涉及具体法律的题不纳入
# / the law each item asks about (the codebook's topic column, else found in the item's text);
# items naming no law are left out

# %%
pm.item_topics(ctx.ds.codebook, settings=ctx.settings)

# %% [markdown]
# 模型：每个“答卷人×题目”一行，因变量为是否知晓，自变量为调查前12个月本村（及全镇）关于该题
# 所涉法律的活动场次；逻辑回归，按村聚类的稳健标准误。第一种设计含村与题的固定效应（同村跨
# 主题比较），第二种不含村固定效应（村间比较，易受混杂，仅供对照）。
# / one row per respondent × item; logistic regression of awareness on the events on that item's
# law in the village (and town-wide) in the 12 months before; cluster-robust SE by village. The
# first design has village and item fixed effects; the second, for contrast only, has no village
# fixed effects (between villages, confounded).

# %%
effect = ctx.effect

# %%
pm.readable_table(effect, "effect", lang=ctx.lang)

# %% [markdown]
# 每部法律各自的几率比及95%置信区间（实心点：同村跨主题比较；空心方块：村间比较）
# / odds ratio per law with 95% CIs (filled: within villages; hollow: between villages)

# %%
fig = pm.plots.effect_chart(effect, lang=ctx.lang, synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("7-effect"))

# %% [markdown]
# ## 比上年有进步吗？ / Better than the year before?
# 统计期最后12个月与此前12个月相比（问卷按答卷年份分两轮）：只有95%置信区间不含“无变化”时才判定
# 改善或变差。下表列出变化明确的村，变差的在前；全镇的比较见小结。
# / the last 12 months of the period against the 12 before (the survey by its two waves): a
# village is called better or worse only when the 95% interval excludes no change. The villages
# with a clear change, the worse first; the town's figures are in the summary.

# %%
pm.readable_table(ctx.analysis.comparison, "comparison", lang=ctx.lang)

# %%
pm.summary(ctx, "effect")
