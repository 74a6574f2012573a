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
# # 4 普法盲区死角排查与跟进清单
# **问题：** 哪些村（社区）最需要跟进？原因是什么（长期无活动、必讲主题未覆盖、知晓率低、位于覆盖冷点……），建议采取什么措施？
#
# # 4 Blind spots and the follow-up list
# **Question:** which villages need follow-up first, for what reasons (no recent event, required
# topics never covered, confidently low awareness, a spatial cold spot …), and what should be done?

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
# 缺少的可选台账使哪些盲区原因未评估 / blind-spot reasons not assessed for want of optional tables

# %%
pm.not_assessed(ds, "geometry", "responses", "codebook", "sites", "legal_literates", "adviser_visits", lang=lang)

# %%
analysis = pm.analyse(ds, settings=settings, period=period)

# %%
analysis.follow_up

# %% [markdown]
# 台账未记录参加对象、宣传内容或参加人数的，相应原因“未评估”，不计为“从未覆盖” / ledgers that do not record the audience, topic or attendees: those reasons are not assessed, never "never targeted"

# %%
pm.unrecorded_fields(ds.events, ledger_columns=ds.columns)

# %%
pm.not_assessed(analysis.follow_up, lang=lang)

# %% [markdown]
# 法律服务：法律明白人、村法律顾问、普法阵地更新 / legal services: 法律明白人, village advisers, site upkeep

# %%
analysis.services

# %%
fig = pm.plots.service_chart(analysis.services, settings=settings, names=analysis.coverage, lang=lang, synthetic=synthetic)

# %%
pm.plots.save(fig, f"{out_dir}/figures/4-service-coverage")

# %% [markdown]
# 空间冷点（Getis-Ord Gi*，二元邻接权重，置换检验）/ spatial cold spots (Gi*, binary contiguity, permutations)

# %%
pm.spatial_clusters(analysis.coverage["events_per_1000"], ds.geometry, method="gi_star")

# %%
pm.export_follow_up(analysis.follow_up, f"{out_dir}/follow_up.xlsx", settings=settings, groups=analysis.groups)

# %%
fig = pm.plots.coverage_map(analysis.coverage, ds.geometry, blind_spots=analysis.follow_up.index[analysis.follow_up["score"] >= 8], lang=lang, synthetic=synthetic, caption=pm.plots.source_caption("普法活动台账" if lang == "zh" else "event ledgers", start=period.start, end=period.end, lang=lang))

# %%
pm.plots.save(fig, f"{out_dir}/figures/4-blind-spot-map")
