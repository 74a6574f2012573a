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
# # 0 数据质量：台账读入核对
# **问题：** 每个台账文件读入了多少行、多少行未能导入、原因是什么？有没有数据被悄悄丢掉？
#
# # 0 Data quality: what was read and what was rejected
# **Question:** for every ledger file, how many rows were loaded, how many were rejected and why?
# Nothing may be lost silently: loaded + rejected + non-data rows = data rows, file by file.

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
# 未提供的可选台账，以及因此未评估的内容 / optional tables not provided, and what is therefore
# not assessed

# %%
pm.not_assessed(ctx.ds, lang=ctx.lang)

# %% [markdown]
# 每个文件的核对表 / reconciliation per file

# %%
print(ctx.ds.summary())

# %%
ctx.ds.reconciliation()

# %% [markdown]
# 未导入的行：文件、Excel行号、列、值、原因 / rejected rows: file, Excel row, column, value, reason

# %%
ctx.ds.rejected

# %% [markdown]
# 提示（不丢行）：年份推断、近似数、未知主题等 / warnings (no row lost)

# %%
ctx.ds.warnings

# %% [markdown]
# 校验报告（与 `pufa validate` 相同）：统计期与台账日期、按文件/工作表/原因归并的问题、
# 未指明村的活动地点、未识别的文字 / the validation report (as `pufa validate`): the period
# against the ledgers, problems by file/sheet/reason, town-wide places, texts not recognised

# %%
checks = pm.validation_report(ctx.ds, settings=ctx.settings, period=ctx.period)

# %%
pm.find_town_name(ctx.ds, settings=ctx.settings)

# %%
checks["统计期"]

# %%
checks["未导入的行（按原因）"]

# %%
checks["提示（按原因）"]

# %%
checks["全镇活动地点"]

# %%
checks["未记录的字段"]

# %%
checks["未识别的宣传内容"]

# %%
checks["未识别的参加对象"]

# %%
checks["需核定的问卷答案"]

# %%
pm.write_data_quality(ctx.ds, ctx.output("data_quality.xlsx"), settings=ctx.settings,
                      period=ctx.period)

# %%
pm.summary(ctx, "data_quality")
