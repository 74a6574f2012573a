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
# **问题：** 哪些村（社区）最需要跟进？原因是什么（长期无活动、必讲主题未覆盖、知晓率低、
# 位于覆盖冷点……），建议采取什么措施？
#
# # 4 Blind spots and the follow-up list
# **Question:** which villages need follow-up first, for what reasons (no recent event, required
# topics never covered, confidently low awareness, a spatial cold spot …), and what should be
# done?

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
# 缺少的可选台账使哪些盲区原因未评估 / blind-spot reasons not assessed for want of optional
# tables

# %%
pm.not_assessed(ctx.ds, "geometry", "responses", "codebook", "sites", "legal_literates",
                "adviser_visits", lang=ctx.lang)

# %% [markdown]
# 本笔记本的主题：由覆盖、知晓率、法律服务和村界得出跟进清单（参数与 `pufa report` 相同）/
# this notebook's subject: the follow-up list from coverage, survey rates, services and village
# boundaries (the same arguments as `pufa report`)

# %%
analysis = ctx.analysis

# %%
follow_up = pm.find_blind_spots(
    analysis.coverage, rates=analysis.rates, events=ctx.ds.events,
    event_topics=ctx.ds.event_topics, services=analysis.services, settings=ctx.settings,
    geometry=ctx.ds.geometry, as_of=ctx.period.as_of, codebook=ctx.ds.codebook,
)

# %% [markdown]
# 与上一年相比知晓率或活动场次明显下降的村，在清单上注明（“比上年变差”；统计期不足两年时不比较）/
# villages whose awareness or number of events fell clearly since the year before are marked

# %%
follow_up = pm.mark_worse(follow_up, analysis.comparison, settings=ctx.settings)

# %%
pm.readable_table(follow_up, "follow_up", lang=ctx.lang)

# %% [markdown]
# 台账未记录参加对象、宣传内容或参加人数的，相应原因“未评估”，不计为“从未覆盖” / ledgers
# that do not record the audience, topic or attendees: those reasons are not assessed, never
# "never targeted"

# %%
pm.unrecorded_fields(ctx.ds.events, ledger_columns=ctx.ds.columns)

# %%
pm.not_assessed(follow_up, lang=ctx.lang)

# %% [markdown]
# 法律服务：法律明白人、村法律顾问、普法阵地更新 / legal services: 法律明白人, village advisers,
# site upkeep

# %%
pm.readable_table(analysis.services, "services", lang=ctx.lang)

# %%
fig = pm.plots.service_chart(analysis.services, settings=ctx.settings, names=analysis.coverage,
                             lang=ctx.lang, synthetic=ctx.synthetic)
fig

# %%
pm.plots.save(fig, ctx.figure("4-service-coverage"))

# %% [markdown]
# 空间冷点：跟进清单所检验的指标与设定（Getis-Ord Gi*，二元邻接权重，置换检验，FDR）/
# spatial cold spots: the metric and settings the follow-up list tested (Gi*, binary
# contiguity, permutations, FDR)

# %%
spatial = follow_up.attrs["thresholds"]

# %%
cold = pm.spatial_clusters(analysis.coverage[spatial["cold_spot_metric"]], ctx.ds.geometry,
                           method=spatial["spatial_method"], alpha=spatial["cold_spot_alpha"],
                           permutations=spatial["spatial_permutations"])

# %%
pm.readable_table(cold, "cold_spots", names=ctx.ds.villages, lang=ctx.lang)

# %%
pm.export_follow_up(follow_up, ctx.output("follow_up.xlsx"), settings=ctx.settings,
                    groups=analysis.groups)

# %%
fig = pm.plots.coverage_map(analysis.coverage, ctx.ds.geometry,
                            column=spatial["cold_spot_metric"],
                            blind_spots=follow_up, lang=ctx.lang,
                            synthetic=ctx.synthetic, caption=ctx.caption())
fig

# %%
pm.plots.save(fig, ctx.figure("4-blind-spot-map"))

# %%
pm.summary(ctx, "blind_spots")
