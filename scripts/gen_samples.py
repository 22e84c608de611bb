#!/usr/bin/env python3
"""Writes the sample data of the three demo jurisdictions.

    python3 scripts/gen_samples.py

Writes node-config/samples/ (Python 3 standard library only). The random
numbers are seeded, so every run writes the same bytes:

    samples/README.md
    samples/<name>/framework.json          the jurisdiction's own framework
    samples/<name>/units.json              the appraised units
    samples/<name>/observations-2024.csv   unit,indicator,period,value,target
    samples/<name>/observations-2025.csv
    samples/taicang/framework-1.1.0.json   the next version of taicang.hqd
    samples/taicang/observations-1.1.0-additions.csv
                                           rows for the indicator that 1.1.0 adds
    samples/yrd.tax/framework.json         the tax alliance's reference framework
    samples/yrd.tax/crosswalks/*.json      crosswalks onto it
    samples/<name>/public-framework.json   the framework scored by public ratings
    samples/<name>/projects.json           livelihood projects that residents rate
    samples/<name>/ratings.json            how the demo's residents rate them
    samples/yrd.public/framework.json      the reference framework of public satisfaction
    samples/yrd.public/crosswalks/*.json   crosswalks onto it
    samples/<name>/hotline-framework.json  the framework valued by 12345 requests
    samples/yrd.hotline/framework.json     the reference framework of hotline efficiency
    samples/yrd.hotline/crosswalks/*.json  crosswalks onto it

for Taicang 太仓市 (320585), Kunshan 昆山市 (320583) and Jiading 嘉定区 (310114).
"""

import copy
import json
import random
from pathlib import Path

SEED = 20251128
YEARS = ("2024", "2025")
OUT = Path(__file__).resolve().parent.parent / "node-config" / "samples"


# --------------------------------------------------------------------- helpers


def ind(code, zh, en, dim, unit, direction, agg, lo, hi, target=None, scoring=None):
    """One indicator, keys in the order of the schema."""
    d = {
        "code": code,
        "name_zh": zh,
        "name_en": en,
        "dimension": dim,
        "unit": unit,
        "direction": direction,
        "aggregation": agg,
        "range": {"min": lo, "max": hi},
    }
    if target is not None:
        d["target"] = target
    if scoring is not None:
        d["scoring"] = scoring
    return d


def mean():
    return {"rule": "mean"}


def total():
    return {"rule": "sum"}


def median():
    return {"rule": "median"}


def wmean(weight):
    return {"rule": "weighted_mean", "weight": weight}


def ratio_of_sums(num, den, scale=None):
    d = {"rule": "ratio_of_sums", "numerator": num, "denominator": den}
    if scale is not None:
        d["scale"] = scale
    return d


def ratio_rule(cap):
    return {"rule": "ratio_to_target", "cap": cap}


def linear(floor):
    return {"rule": "linear", "floor": floor}


def threshold(th, passed=100, failed=0):
    return {"rule": "threshold", "threshold": th, "pass": passed, "fail": failed}


def closeness(tol):
    return {"rule": "closeness", "tolerance": tol}


def direct():
    return {"rule": "direct"}


def W(code, weight):
    return {"indicator": code, "weight": weight}


def G(name, weight, parts):
    return {"group": name, "weight": weight, "parts": parts}


def unit(uid, zh, en, category):
    return {"id": uid, "name_zh": zh, "name_en": en, "category": category}


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def fmt(x, decimals):
    """A number as CSV text: '.' decimals, no thousands separators, no
    trailing zeros."""
    if decimals == 0:
        return str(int(round(x)))
    s = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def partition(amount, weights, decimals, rng):
    """Splits `amount` into len(weights) non-negative parts proportional to
    jittered weights, rounded to `decimals`, summing exactly to `amount`."""
    unit_ = 10 ** decimals
    cents = round(amount * unit_)
    w = [max(0.05, x * rng.uniform(0.8, 1.2)) for x in weights]
    raw = [cents * x / sum(w) for x in w]
    parts = [int(r) for r in raw]
    rest = cents - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - parts[i]), reverse=True)
    for i in order[:rest]:
        parts[i] += 1
    return [p / unit_ for p in parts]


def weighted_codes(weights, out=None):
    out = [] if out is None else out
    for w in weights:
        if "indicator" in w:
            out.append(w["indicator"])
        else:
            weighted_codes(w["parts"], out)
    return out


class Jurisdiction:
    """Framework, units and a value generator for one jurisdiction."""

    def __init__(self, name, framework, units, strengths):
        self.name = name
        self.framework = framework
        self.units = units
        self.strengths = strengths  # unit id -> (2024, 2025)
        self.indicators = {i["code"]: i for i in framework["indicators"]}

    def category_codes(self, cat, framework=None):
        f = framework or self.framework
        c = next(c for c in f["categories"] if c["id"] == cat)
        return weighted_codes(c["weights"])


def spread_strengths(rng, units, lo=0.04, hi=0.98, fixed=None):
    """Spreads unit strengths evenly over [lo, hi] within each category, in
    shuffled order; 2025 moves by a small, mostly positive step."""
    fixed = fixed or {}
    by_cat = {}
    for u in units:
        by_cat.setdefault(u["category"], []).append(u["id"])
    out = {}
    for ids in by_cat.values():
        n = len(ids)
        # Evenly spaced, then pulled towards the middle: a few clearly strong
        # and clearly weak units, most in between.
        xs = [2 * i / max(1, n - 1) - 1 for i in range(n)]
        levels = [lo + (hi - lo) * (0.5 + 0.5 * (abs(x) ** 1.6) * (1 if x >= 0 else -1)) for x in xs]
        rng.shuffle(levels)
        for uid, s in zip(ids, levels):
            s = fixed.get(uid, s)
            step = rng.gauss(0.06, 0.05)
            out[uid] = (s, clamp(s + step, 0.0, 1.0))
    return out


# Yearly matters handled by agencies with a large counter business; the others
# handle a few thousand.
BUSY_AGENCIES = {
    "admin-approval-bureau": 186000, "gov-service-office": 312000, "admin-service-center": 268000,
    "market-regulation": 94000, "hrss-bureau": 142000, "public-security-bureau": 121000,
    "public-security-branch": 133000, "housing-bureau": 38000, "construction-commission": 41000,
    "transport-bureau": 27000, "transport-commission": 29000, "natural-resources-bureau": 21000,
    "planning-resources-bureau": 19000, "health-commission": 24000, "civil-affairs-bureau": 16000,
}


def matters(rng, uid, yi):
    base = BUSY_AGENCIES.get(uid, 2000 + (sum(map(ord, uid)) * 37) % 9000)
    return round(base * (1.0 + 0.05 * yi) * rng.uniform(0.95, 1.05))


class Gen:
    """Draws values for one unit and year from its strength."""

    def __init__(self, rng, s):
        self.rng = rng
        self.s = s

    def q(self, sd=0.08):
        return clamp(self.s + self.rng.gauss(0, sd), 0.0, 1.0)

    def lerp(self, bad, good, sd=0.08):
        return bad + (good - bad) * self.q(sd)


# ===================================================================== Taicang

TAICANG_INDICATORS = [
    # tax (the tax alliance's metrics, Taicang's way of measuring them)
    ind("tax_ontime", "纳税人按期申报率", "On-time filing rate of taxpayers", "tax", "ratio",
        "higher_is_better", wmean("filings_due"), 0, 1,
        scoring=threshold(0.98, 100, 60)),
    ind("filings_due", "应申报户次", "Returns due", "tax", "count",
        "higher_is_better", total(), 0, 5000000),
    ind("svc_satisfaction", "企业及办事群众满意度", "Service satisfaction of enterprises and the public",
        "tax", "score_0_100", "higher_is_better", wmean("matters_handled"), 0, 100, target=95,
        scoring=linear(70)),
    ind("processing_days", "涉企事项平均办理时长", "Average processing time of enterprise matters",
        "tax", "days", "lower_is_better", wmean("matters_handled"), 0, 60, target=3,
        scoring=ratio_rule(100)),
    ind("matters_handled", "办件量", "Matters handled", "tax", "count", "higher_is_better", total(),
        0, 10000000),
    # governance
    ind("key_tasks_done", "年度重点任务完成数", "Annual key tasks completed", "governance", "count",
        "higher_is_better", total(), 0, 100, scoring=ratio_rule(100)),
    ind("key_ent_served", "挂钩服务重点企业数", "Key enterprises served", "economic", "count",
        "higher_is_better", total(), 0, 500, scoring=ratio_rule(110)),
    ind("public_review", "社会评议得分", "Public review score", "governance", "score_0_100",
        "higher_is_better", mean(), 0, 100, scoring=direct()),
    ind("attendance", "纪律作风出勤率", "Attendance and discipline rate", "governance", "%",
        "higher_is_better", median(), 0, 100, scoring=threshold(98, 100, 60)),
    ind("party_building", "党建工作考评得分", "Party building assessment score", "party_building",
        "score_0_100", "higher_is_better", median(), 0, 100, scoring=direct()),
    # economic
    ind("budget_revenue", "一般公共预算收入", "General public budget revenue", "economic", "10k_yuan",
        "higher_is_better", total(), 0, 5000000, scoring=ratio_rule(110)),
    ind("project_investment", "重大项目完成投资", "Investment completed in major projects", "economic",
        "10k_yuan", "higher_is_better", total(), 0, 3000000, scoring=ratio_rule(120)),
    ind("industrial_output_growth", "规上工业总产值增速", "Growth of industrial output above designated size",
        "economic", "%", "higher_is_better", median(), -50, 100, scoring=linear(-5)),
    # livelihood
    ind("hotline_resolution", "12345热线办结率", "12345 hotline resolution rate", "livelihood", "ratio",
        "higher_is_better", ratio_of_sums("hotline_resolved", "hotline_received"), 0, 1,
        target=0.95, scoring=linear(0.80)),
    ind("hotline_resolved", "12345热线办结件数", "12345 hotline cases resolved", "livelihood", "count",
        "higher_is_better", total(), 0, 500000),
    ind("hotline_received", "12345热线受理件数", "12345 hotline cases received", "livelihood", "count",
        "higher_is_better", total(), 0, 500000),
    ind("hotline_response_hours", "12345热线平均响应时长", "12345 hotline average response time",
        "livelihood", "hours", "lower_is_better", mean(), 0, 72, scoring=threshold(2, 100, 50)),
    # ecology
    ind("pm25", "PM2.5年均浓度", "Annual mean PM2.5 concentration", "ecology", "ug/m3",
        "lower_is_better", mean(), 0, 150, target=28, scoring=ratio_rule(100)),
    ind("water_quality", "国省考断面优Ⅲ类水质比例", "Share of monitored sections at class III or better",
        "ecology", "%", "higher_is_better", mean(), 0, 100, scoring=threshold(90, 100, 50)),
    # state-owned enterprises
    ind("net_profit", "净利润", "Net profit", "economic", "10k_yuan", "higher_is_better", total(),
        -500000, 1000000, scoring=ratio_rule(120)),
    ind("operating_revenue", "营业收入", "Operating revenue", "economic", "10k_yuan",
        "higher_is_better", total(), 0, 5000000, scoring=ratio_rule(100)),
    ind("debt_ratio", "资产负债率", "Debt-to-asset ratio", "governance", "%", "closest_to_target",
        mean(), 0, 100, target=55, scoring=closeness(20)),
    ind("debt_service_ratio", "偿债率", "Debt-service ratio", "governance", "%", "lower_is_better",
        mean(), 0, 100, scoring=threshold(10, 100, 40)),
    ind("internal_control", "审计推动完善内控制度项数", "Internal-control improvements made after audit",
        "governance", "count", "higher_is_better", total(), 0, 100, scoring=ratio_rule(100)),
    ind("assets_recovered", "挽回国有资产损失", "State assets recovered", "governance", "10k_yuan",
        "higher_is_better", total(), 0, 100000, scoring=linear(0)),
]

TAICANG_CATEGORIES = [
    {"id": "agency", "name_zh": "市级机关部门", "name_en": "Municipal agencies", "weights": [
        G("department", 40, [W("key_tasks_done", 40), W("tax_ontime", 20),
                             W("svc_satisfaction", 20), W("processing_days", 20)]),
        G("post", 30, [W("key_ent_served", 50), W("public_review", 50)]),
        G("discipline", 30, [W("attendance", 60), W("party_building", 40)]),
    ]},
    {"id": "town", "name_zh": "镇（街道）及功能区", "name_en": "Towns, subdistricts and zones", "weights": [
        W("budget_revenue", 20), W("project_investment", 15), W("industrial_output_growth", 10),
        W("hotline_resolution", 15), W("hotline_response_hours", 10), W("pm25", 10),
        W("water_quality", 10), W("party_building", 10),
    ]},
    {"id": "soe", "name_zh": "市属国有企业", "name_en": "Municipal state-owned enterprises", "weights": [
        W("net_profit", 20), W("operating_revenue", 10), W("debt_ratio", 15),
        W("debt_service_ratio", 10), W("internal_control", 15), W("assets_recovered", 15),
        W("party_building", 15),
    ]},
]

TAICANG_FRAMEWORK = {
    "id": "taicang.hqd",
    "version": "1.0.0",
    "owner": {"jurisdiction": "320585"},
    "name_zh": "太仓市高质量发展绩效考核指标体系",
    "name_en": "Taicang High-Quality Development Performance Appraisal Framework",
    "periods": list(YEARS),
    "indicators": TAICANG_INDICATORS,
    "categories": TAICANG_CATEGORIES,
    "grading": {"method": "thresholds", "grades": [
        {"grade": "A", "min_total": 92, "pay_coefficient": 1.3},
        {"grade": "B", "min_total": 85, "pay_coefficient": 1.15},
        {"grade": "C", "min_total": 75, "pay_coefficient": 1.0},
        {"grade": "D", "min_total": 65, "pay_coefficient": 0.85},
        {"grade": "E", "min_total": 0, "pay_coefficient": 0.7},
    ]},
}


def taicang_v110():
    """taicang.hqd 1.1.0: energy intensity added, the hotline response time
    retired, PM2.5 re-weighted in the town category (10 -> 15)."""
    f = copy.deepcopy(TAICANG_FRAMEWORK)
    f["version"] = "1.1.0"
    f["previous"] = "1.0.0"
    inds = [i for i in f["indicators"] if i["code"] != "hotline_response_hours"]
    at = next(n for n, i in enumerate(inds) if i["code"] == "water_quality") + 1
    inds.insert(at, ind(
        "energy_intensity_drop", "单位地区生产总值能耗下降率", "Drop in energy use per unit of GDP",
        "ecology", "%", "higher_is_better", mean(), -20, 30, target=3, scoring=linear(-2)))
    f["indicators"] = inds
    town = next(c for c in f["categories"] if c["id"] == "town")
    town["weights"] = [
        W("budget_revenue", 20), W("project_investment", 15), W("industrial_output_growth", 10),
        W("hotline_resolution", 15), W("pm25", 15), W("energy_intensity_drop", 5),
        W("water_quality", 10), W("party_building", 10),
    ]
    f["changelog"] = [
        {"kind": "added", "indicator": "energy_intensity_drop",
         "note": "市考核办2025年第2号通知：镇（街道）类新增单位地区生产总值能耗下降率，权重5"},
        {"kind": "retired", "indicator": "hotline_response_hours",
         "note": "12345热线响应时长并入办结率考核，不再单列（原镇（街道）类权重10）"},
        {"kind": "reweighted", "indicator": "pm25",
         "note": "town weight 10 -> 15"},
    ]
    return f


TAICANG_AGENCIES = [
    # id, zh, en, returns due of the taxpayers in the sector it oversees,
    # key enterprises it is assigned to serve
    ("tax-bureau", "国家税务总局太仓市税务局", "Taicang Municipal Tax Service, STA", None, None),
    ("drc", "市发展和改革委员会", "Development and Reform Commission", 8200, 24),
    ("finance-bureau", "市财政局", "Finance Bureau", 3100, 12),
    ("audit-bureau", "市审计局", "Audit Bureau", 900, 6),
    ("commerce-bureau", "市商务局", "Commerce Bureau", 46500, 30),
    ("industry-it-bureau", "市工业和信息化局", "Industry and Information Technology Bureau", 58800, 32),
    ("education-bureau", "市教育局", "Education Bureau", 2600, 5),
    ("public-security-bureau", "市公安局", "Public Security Bureau", 4100, 8),
    ("civil-affairs-bureau", "市民政局", "Civil Affairs Bureau", 1900, 4),
    ("hrss-bureau", "市人力资源和社会保障局", "Human Resources and Social Security Bureau", 12400, 15),
    ("natural-resources-bureau", "市自然资源和规划局", "Natural Resources and Planning Bureau", 3800, 10),
    ("ecology-env-bureau", "苏州市太仓生态环境局", "Suzhou Taicang Ecology and Environment Bureau", 7600, 14),
    ("housing-bureau", "市住房和城乡建设局", "Housing and Urban-Rural Development Bureau", 21300, 18),
    ("transport-bureau", "市交通运输局", "Transport Bureau", 14900, 12),
    ("water-bureau", "市水务局", "Water Affairs Bureau", 1700, 5),
    ("agriculture-bureau", "市农业农村局", "Agriculture and Rural Affairs Bureau", 6300, 9),
    ("health-commission", "市卫生健康委员会", "Health Commission", 3300, 6),
    ("market-regulation", "市市场监督管理局", "Market Regulation Administration", 39700, 22),
    ("admin-approval-bureau", "市行政审批局", "Administrative Approval Bureau", 25500, 20),
    ("emergency-bureau", "市应急管理局", "Emergency Management Bureau", 5200, 10),
    ("justice-bureau", "市司法局", "Justice Bureau", 1100, 4),
    ("culture-tourism-bureau", "市文体广电和旅游局", "Culture, Sports, Radio, Television and Tourism Bureau", 4400, 7),
]

TAICANG_TOWNS = [
    # id, zh, en, budget revenue target 2024 (10k yuan), project investment
    # target (10k yuan), 12345 cases received per year
    ("town-chengxiang", "城厢镇", "Chengxiang", 175000, 162000, 21500),
    ("town-shaxi", "沙溪镇", "Shaxi", 128000, 118000, 14200),
    ("town-liuhe", "浏河镇", "Liuhe", 150000, 176000, 13100),
    ("town-fuqiao", "浮桥镇", "Fuqiao", 112000, 138000, 11800),
    ("town-huangjing", "璜泾镇", "Huangjing", 92000, 86000, 9300),
    ("town-shuangfeng", "双凤镇", "Shuangfeng", 68000, 64000, 7100),
    ("street-loudong", "娄东街道", "Loudong Subdistrict", 146000, 121000, 19800),
    ("street-ludu", "陆渡街道", "Ludu Subdistrict", 84000, 92000, 8900),
    ("zone-kejiao", "科教新城", "Science & Education New Town", 75000, 143000, 6400),
    ("zone-port", "太仓港经济技术开发区", "Taicang Port Economic and Technological Development Zone",
     340000, 395000, 9600),
    ("zone-hitech", "太仓高新技术产业开发区", "Taicang Hi-tech Industrial Development Zone",
     310000, 352000, 10200),
]

TAICANG_SOES = [
    # id, zh, en, net profit target (10k yuan), operating revenue target, debt-ratio side
    ("soe-assets", "太仓市资产经营集团有限公司", "Taicang Asset Management Group", 38000, 265000, 1),
    ("soe-urban", "太仓市城市建设投资集团有限公司", "Taicang Urban Construction Investment Group",
     21000, 412000, 1),
    ("soe-port", "太仓市港口发展集团有限公司", "Taicang Port Development Group", 26500, 318000, 1),
    ("soe-water", "太仓市水务集团有限公司", "Taicang Water Group", 9800, 96000, -1),
    ("soe-transit", "太仓市交通投资集团有限公司", "Taicang Transport Investment Group", 7200, 134000, 1),
    ("soe-culture", "太仓市文化旅游发展集团有限公司", "Taicang Culture and Tourism Development Group",
     2600, 41000, -1),
]

# The article's figures: 104 key enterprises served by the tax bureau in 2025;
# 47 internal-control improvements and over 30 million yuan of state assets
# recovered after audit (here spread over the two sample years).
TAICANG_INTERNAL_CONTROL = {"2024": 21, "2025": 26}
TAICANG_ASSETS_RECOVERED = {"2024": 1436.8, "2025": 1652.4}


def taicang(rng):
    units = [unit(a[0], a[1], a[2], "agency") for a in TAICANG_AGENCIES]
    units += [unit(t[0], t[1], t[2], "town") for t in TAICANG_TOWNS]
    units += [unit(s[0], s[1], s[2], "soe") for s in TAICANG_SOES]
    strengths = spread_strengths(rng, units, fixed={"tax-bureau": 0.9})
    j = Jurisdiction("taicang", TAICANG_FRAMEWORK, units, strengths)
    rows = {y: [] for y in YEARS}
    towns = {t[0]: t for t in TAICANG_TOWNS}
    soes = {s[0]: s for s in TAICANG_SOES}
    agencies = {a[0]: a for a in TAICANG_AGENCIES}

    # Shares of the SOEs' audit figures, fixed across years.
    soe_ids = [s[0] for s in TAICANG_SOES]
    soe_size = [s[4] for s in TAICANG_SOES]
    ic_split = {y: partition(TAICANG_INTERNAL_CONTROL[y], soe_size, 0, rng) for y in YEARS}
    ar_split = {y: partition(TAICANG_ASSETS_RECOVERED[y], soe_size, 1, rng) for y in YEARS}

    for yi, year in enumerate(YEARS):
        out = rows[year]
        for u in units:
            uid = u["id"]
            g = Gen(rng, strengths[uid][yi])

            def put(code, value, target=None, d=2):
                r = j.indicators[code]["range"]
                value = clamp(value, r["min"], r["max"])
                out.append((uid, code, year, fmt(value, d), "" if target is None else fmt(target, d)))

            if u["category"] == "agency":
                a = agencies[uid]
                if uid == "tax-bureau":
                    due = (612480, 638215)[yi]
                    put("key_tasks_done", (14, 15)[yi], (15, 15)[yi], 0)
                    put("tax_ontime", (0.9891, 0.9912)[yi], d=4)
                    put("filings_due", due, d=0)
                    put("svc_satisfaction", (95.6, 96.3)[yi], d=1)
                    put("processing_days", (1.8, 1.5)[yi], d=1)
                    put("matters_handled", (1186400, 1243900)[yi], d=0)
                    put("key_ent_served", (96, 104)[yi], (95, 100)[yi], 0)
                    put("public_review", (93.4, 94.1)[yi], d=1)
                    put("attendance", (99.5, 99.6)[yi], d=1)
                    put("party_building", (95.0, 96.5)[yi], d=1)
                    continue
                tasks = 8 + (sum(map(ord, uid)) % 9)
                put("key_tasks_done", round(tasks * g.lerp(0.62, 1.0)), tasks, 0)
                due = round(a[3] * (1.0 + 0.04 * yi) * rng.uniform(0.97, 1.03))
                put("tax_ontime", g.lerp(0.952, 0.997, 0.1), d=4)
                put("filings_due", due, d=0)
                put("svc_satisfaction", g.lerp(73.0, 97.5), d=1)
                put("processing_days", g.lerp(8.2, 2.1), d=1)
                put("matters_handled", matters(rng, uid, yi), d=0)
                kt = a[4] + (1 if yi else 0)
                put("key_ent_served", round(kt * g.lerp(0.6, 1.1)), kt, 0)
                put("public_review", g.lerp(61.0, 96.5), d=1)
                put("attendance", g.lerp(95.8, 99.9, 0.1), d=1)
                put("party_building", g.lerp(66.0, 98.0), d=1)
            elif u["category"] == "town":
                t = towns[uid]
                grow = 1.0 + 0.035 * yi
                tgt = round(t[3] * grow)
                put("budget_revenue", tgt * g.lerp(0.87, 1.07), tgt, 1)
                ptgt = round(t[4] * (1.0 + 0.08 * yi))
                put("project_investment", ptgt * g.lerp(0.6, 1.16), ptgt, 1)
                gt = round(rng.choice((5.0, 5.5, 6.0, 6.5, 7.0)), 1)
                put("industrial_output_growth", g.lerp(-3.5, 11.5, 0.1), gt, 1)
                received = round(t[5] * (1.0 + 0.06 * yi) * rng.uniform(0.95, 1.05))
                resolved = round(received * g.lerp(0.83, 0.987))
                put("hotline_resolution", resolved / received, d=4)
                put("hotline_resolved", resolved, d=0)
                put("hotline_received", received, d=0)
                put("hotline_response_hours", g.lerp(3.6, 0.8, 0.12), d=1)
                put("pm25", g.lerp(36.0, 25.0) - 1.2 * yi, d=1)
                put("water_quality", g.lerp(72.0, 100.0, 0.1), d=1)
                put("party_building", g.lerp(66.0, 98.0), d=1)
            else:
                s = soes[uid]
                i = soe_ids.index(uid)
                ptgt = round(s[3] * (1.0 + 0.05 * yi))
                put("net_profit", ptgt * g.lerp(0.5, 1.18), ptgt, 1)
                rtgt = round(s[4] * (1.0 + 0.04 * yi))
                put("operating_revenue", rtgt * g.lerp(0.84, 1.06), rtgt, 1)
                put("debt_ratio", 55 + s[5] * g.lerp(19.0, 0.5), d=1)
                put("debt_service_ratio", g.lerp(14.5, 4.5), d=1)
                done = ic_split[year][i]
                found = done + max(0, round((1 - g.q()) * 4))
                put("internal_control", done, max(found, 1), 0)
                rec = ar_split[year][i]
                put("assets_recovered", rec, rec / g.lerp(0.55, 1.0), 1)
                put("party_building", g.lerp(66.0, 98.0), d=1)

    # 1.1.0 adds energy_intensity_drop in the town category: its rows.
    additions = []
    for yi, year in enumerate(YEARS):
        for u in units:
            if u["category"] == "town":
                g = Gen(rng, strengths[u["id"]][yi])
                v = clamp(g.lerp(-1.8, 5.6, 0.1), -20, 30)
                additions.append((u["id"], "energy_intensity_drop", year, fmt(v, 1), ""))
    return j, rows, {"framework-1.1.0.json": taicang_v110()}, {"observations-1.1.0-additions.csv": additions}


# ===================================================================== Kunshan

KUNSHAN_INDICATORS = [
    # tax
    ind("filing_ontime_pct", "按期申报率", "On-time filing rate", "tax", "%", "higher_is_better",
        wmean("returns_due"), 0, 100, target=99, scoring=linear(90)),
    ind("returns_due", "应申报户次", "Returns due", "tax", "count", "higher_is_better", total(),
        0, 5000000),
    ind("taxpayer_sat_5", "纳税人（企业）满意度（五分制）", "Taxpayer (enterprise) satisfaction, 5-point scale",
        "tax", "points_1_5", "higher_is_better", wmean("cases_handled"), 1, 5, target=4.8,
        scoring=linear(3.0)),
    ind("processing_hours", "涉企事项平均办理时长", "Average processing time of enterprise matters",
        "tax", "hours", "lower_is_better", wmean("cases_handled"), 0, 720, scoring=linear(144)),
    ind("cases_handled", "办件量", "Cases handled", "tax", "count", "higher_is_better", total(),
        0, 10000000),
    # governance
    ind("key_task_rate", "重点任务完成率", "Key task completion rate", "governance", "%",
        "higher_is_better", mean(), 0, 150, target=100, scoring=ratio_rule(105)),
    ind("rule_of_law", "依法行政考评得分", "Rule-of-law administration score", "governance",
        "score_0_100", "higher_is_better", mean(), 0, 100, scoring=direct()),
    ind("budget_execution", "预算执行率", "Budget execution rate", "governance", "%",
        "higher_is_better", ratio_of_sums("budget_spent", "budget_allocated", 100), 0, 120,
        scoring=threshold(90, 100, 60)),
    ind("budget_spent", "预算支出数", "Budget spent", "governance", "10k_yuan", "higher_is_better",
        total(), 0, 2000000),
    ind("budget_allocated", "预算安排数", "Budget allocated", "governance", "10k_yuan",
        "higher_is_better", total(), 0, 2000000),
    ind("party_building", "党建工作考核得分", "Party building assessment score", "party_building",
        "score_0_100", "higher_is_better", median(), 0, 100, scoring=direct()),
    # economic
    ind("fiscal_revenue", "一般公共预算收入", "General public budget revenue", "economic", "10k_yuan",
        "higher_is_better", total(), 0, 10000000, scoring=ratio_rule(110)),
    ind("fdi_actual", "实际使用外资", "Foreign direct investment actually used", "economic", "10k_usd",
        "higher_is_better", total(), 0, 1000000, scoring=ratio_rule(120)),
    ind("land_tax_per_mu", "工业用地亩均税收", "Tax revenue per mu of industrial land", "economic",
        "10k_yuan_per_mu", "higher_is_better", median(), 0, 500, target=45, scoring=linear(10)),
    # livelihood
    ind("hotline_response_hours", "12345热线平均响应时长", "12345 hotline average response time",
        "livelihood", "hours", "lower_is_better", mean(), 0, 168, target=2, scoring=linear(24)),
    ind("grid_closure_pct", "网格事件按期办结率", "Grid events closed on time", "livelihood", "%",
        "higher_is_better", mean(), 0, 100, target=98, scoring=linear(80)),
    ind("safety_deaths", "生产安全事故死亡人数", "Deaths in work-safety accidents", "livelihood",
        "persons", "lower_is_better", total(), 0, 100, scoring=threshold(1, 100, 40)),
    # ecology
    ind("aqi_good_pct", "空气质量优良天数比率", "Share of days with good air quality", "ecology", "%",
        "higher_is_better", mean(), 0, 100, scoring=threshold(80, 100, 50)),
    # state-owned enterprises
    ind("profit_total", "利润总额", "Total profit", "economic", "10k_yuan", "higher_is_better",
        total(), -500000, 2000000, scoring=ratio_rule(120)),
    ind("value_preservation", "国有资产保值增值率", "State asset value preservation and increment rate",
        "economic", "%", "higher_is_better", mean(), 50, 200, target=105, scoring=linear(95)),
    ind("debt_asset_pct", "资产负债率", "Debt-to-asset ratio", "governance", "%", "lower_is_better",
        mean(), 0, 100, scoring=threshold(65, 100, 40)),
    ind("investment_done", "年度投资计划完成额", "Annual investment plan completed", "economic",
        "10k_yuan", "higher_is_better", total(), 0, 5000000, scoring=ratio_rule(110)),
]

KUNSHAN_CATEGORIES = [
    {"id": "dept", "name_zh": "市级机关部门", "name_en": "Municipal departments", "weights": [
        G("core_duties", 55, [W("key_task_rate", 50), W("filing_ontime_pct", 20),
                              W("processing_hours", 30)]),
        G("common", 25, [W("party_building", 40), W("rule_of_law", 30), W("budget_execution", 30)]),
        G("public_evaluation", 20, [W("taxpayer_sat_5", 100)]),
    ]},
    {"id": "street", "name_zh": "区镇", "name_en": "Zones and towns", "weights": [
        W("fiscal_revenue", 20), W("fdi_actual", 10), W("land_tax_per_mu", 10),
        W("hotline_response_hours", 15), W("grid_closure_pct", 10), W("aqi_good_pct", 10),
        W("safety_deaths", 10), W("party_building", 15),
    ]},
    {"id": "enterprise", "name_zh": "市属国有企业", "name_en": "Municipal state-owned enterprises",
     "weights": [
        W("profit_total", 25), W("value_preservation", 20), W("debt_asset_pct", 15),
        W("investment_done", 15), W("safety_deaths", 10), W("party_building", 15),
    ]},
]

KUNSHAN_FRAMEWORK = {
    "id": "kunshan.perf",
    "version": "1.0.0",
    "owner": {"jurisdiction": "320583"},
    "name_zh": "昆山市机关和区镇综合绩效考核指标体系",
    "name_en": "Kunshan Comprehensive Performance Appraisal Framework",
    "periods": list(YEARS),
    "indicators": KUNSHAN_INDICATORS,
    "categories": KUNSHAN_CATEGORIES,
    "grading": {"method": "forced", "grades": [
        {"grade": "A", "min_total": 85, "max_share": 0.2, "pay_coefficient": 1.3},
        {"grade": "B", "min_total": 75, "max_share": 0.35, "pay_coefficient": 1.15},
        {"grade": "C", "min_total": 65, "pay_coefficient": 1.0},
        {"grade": "D", "min_total": 55, "pay_coefficient": 0.85},
        {"grade": "E", "pay_coefficient": 0.7},
    ]},
}

KUNSHAN_DEPTS = [
    # id, zh, en, returns due in its sector, budget (10k yuan), committed hours
    ("tax-bureau", "国家税务总局昆山市税务局", "Kunshan Municipal Tax Service, STA", None, 68000, 24),
    ("drc", "市发展和改革委员会", "Development and Reform Commission", 15600, 24000, 48),
    ("finance-bureau", "市财政局", "Finance Bureau", 5200, 31000, 48),
    ("audit-bureau", "市审计局", "Audit Bureau", 1400, 9800, 72),
    ("commerce-bureau", "市商务局", "Commerce Bureau", 98400, 42000, 24),
    ("industry-it-bureau", "市工业和信息化局", "Industry and Information Technology Bureau",
     121500, 56000, 24),
    ("science-tech-bureau", "市科学技术局", "Science and Technology Bureau", 23800, 38000, 48),
    ("education-bureau", "市教育局", "Education Bureau", 4600, 286000, 72),
    ("public-security-bureau", "市公安局", "Public Security Bureau", 6800, 198000, 48),
    ("civil-affairs-bureau", "市民政局", "Civil Affairs Bureau", 3100, 47000, 72),
    ("hrss-bureau", "市人力资源和社会保障局", "Human Resources and Social Security Bureau",
     26900, 63000, 24),
    ("natural-resources-bureau", "市自然资源和规划局", "Natural Resources and Planning Bureau",
     6500, 52000, 72),
    ("housing-bureau", "市住房和城乡建设局", "Housing and Urban-Rural Development Bureau",
     38700, 74000, 48),
    ("transport-bureau", "市交通运输局", "Transport Bureau", 27300, 88000, 48),
    ("water-bureau", "市水务局", "Water Affairs Bureau", 2900, 61000, 72),
    ("agriculture-bureau", "市农业农村局", "Agriculture and Rural Affairs Bureau", 9400, 57000, 72),
    ("health-commission", "市卫生健康委员会", "Health Commission", 5800, 164000, 48),
    ("market-regulation", "市市场监督管理局", "Market Regulation Administration", 74200, 36000, 24),
    ("gov-service-office", "市政务服务管理办公室", "Government Services Administration Office",
     48900, 21000, 24),
    ("emergency-bureau", "市应急管理局", "Emergency Management Bureau", 9100, 19000, 48),
    ("taiwan-affairs-office", "市台湾事务办公室", "Taiwan Affairs Office", 11300, 6800, 48),
    ("urban-management-bureau", "市城市管理局", "Urban Management Bureau", 4300, 69000, 72),
]

KUNSHAN_STREETS = [
    # id, zh, en, revenue target 2024 (10k yuan), FDI target (10k USD)
    ("zone-etdz", "昆山经济技术开发区", "Kunshan Economic and Technological Development Zone",
     1150000, 46000),
    ("zone-hitech", "昆山高新技术产业开发区", "Kunshan Hi-tech Industrial Development Zone",
     720000, 31000),
    ("zone-resort", "昆山旅游度假区", "Kunshan Tourism Resort Zone", 120000, 2600),
    ("town-yushan", "玉山镇", "Yushan", 380000, 9800),
    ("town-bacheng", "巴城镇", "Bacheng", 210000, 5200),
    ("town-zhoushi", "周市镇", "Zhoushi", 300000, 8700),
    ("town-lujia", "陆家镇", "Lujia", 230000, 6900),
    ("town-huaqiao", "花桥镇", "Huaqiao", 330000, 11200),
    ("town-dianshanhu", "淀山湖镇", "Dianshanhu", 120000, 3100),
    ("town-zhangpu", "张浦镇", "Zhangpu", 290000, 9400),
    ("town-zhouzhuang", "周庄镇", "Zhouzhuang", 60000, 800),
    ("town-qiandeng", "千灯镇", "Qiandeng", 250000, 7600),
    ("town-jinxi", "锦溪镇", "Jinxi", 70000, 1200),
]

KUNSHAN_ENTERPRISES = [
    # id, zh, en, profit target (10k yuan), investment plan (10k yuan)
    ("ent-guochuang", "昆山国创投资集团有限公司", "Kunshan Guochuang Investment Group", 52000, 380000),
    ("ent-urban", "昆山城市建设投资发展集团有限公司", "Kunshan Urban Construction Investment and Development Group",
     31000, 620000),
    ("ent-transport", "昆山交通发展控股集团有限公司", "Kunshan Transport Development Holding Group",
     18500, 450000),
    ("ent-culture", "昆山文化旅游发展集团有限公司", "Kunshan Culture and Tourism Development Group",
     6200, 120000),
    ("ent-venture", "昆山创业控股集团有限公司", "Kunshan Venture Holding Group", 27800, 210000),
    ("ent-hitech", "昆山高新集团有限公司", "Kunshan Hi-tech Group", 23400, 330000),
    ("ent-etdz-holding", "昆山开发区国投控股有限公司", "Kunshan ETDZ State Investment Holding", 35600, 410000),
]


def kunshan(rng):
    units = [unit(d[0], d[1], d[2], "dept") for d in KUNSHAN_DEPTS]
    units += [unit(s[0], s[1], s[2], "street") for s in KUNSHAN_STREETS]
    units += [unit(e[0], e[1], e[2], "enterprise") for e in KUNSHAN_ENTERPRISES]
    strengths = spread_strengths(rng, units, fixed={"tax-bureau": 0.88})
    j = Jurisdiction("kunshan", KUNSHAN_FRAMEWORK, units, strengths)
    rows = {y: [] for y in YEARS}
    depts = {d[0]: d for d in KUNSHAN_DEPTS}
    streets = {s[0]: s for s in KUNSHAN_STREETS}
    ents = {e[0]: e for e in KUNSHAN_ENTERPRISES}

    for yi, year in enumerate(YEARS):
        out = rows[year]
        for u in units:
            uid = u["id"]
            g = Gen(rng, strengths[uid][yi])

            def put(code, value, target=None, d=2):
                r = j.indicators[code]["range"]
                value = clamp(value, r["min"], r["max"])
                out.append((uid, code, year, fmt(value, d), "" if target is None else fmt(target, d)))

            cat = u["category"]
            if cat == "dept":
                dd = depts[uid]
                put("key_task_rate", g.lerp(77.0, 103.0), d=1)
                if uid == "tax-bureau":
                    put("filing_ontime_pct", (98.72, 99.05)[yi], d=2)
                    put("returns_due", (1385600, 1432900)[yi], d=0)
                    put("processing_hours", (30.5, 26.0)[yi], 24, 1)
                    put("taxpayer_sat_5", (4.62, 4.71)[yi], d=2)
                    put("cases_handled", (3412000, 3560500)[yi], d=0)
                else:
                    put("filing_ontime_pct", g.lerp(94.8, 99.7, 0.1), d=2)
                    put("returns_due", dd[3] * (1.0 + 0.035 * yi) * rng.uniform(0.97, 1.03), d=0)
                    put("processing_hours", dd[5] * g.lerp(2.45, 0.6), dd[5], 1)
                    put("taxpayer_sat_5", g.lerp(3.5, 4.92), d=2)
                    put("cases_handled", matters(rng, uid, yi), d=0)
                put("rule_of_law", g.lerp(68.0, 97.5), d=1)
                alloc = round(dd[4] * (1.0 + 0.03 * yi) * rng.uniform(0.98, 1.02), 1)
                spent = round(alloc * g.lerp(0.82, 0.99, 0.1), 1)
                put("budget_execution", 100 * spent / alloc, d=2)
                put("budget_spent", spent, d=1)
                put("budget_allocated", alloc, d=1)
                put("party_building", g.lerp(67.0, 98.0), d=1)
            elif cat == "street":
                s = streets[uid]
                tgt = round(s[3] * (1.0 + 0.03 * yi))
                put("fiscal_revenue", tgt * g.lerp(0.86, 1.07), tgt, 1)
                ft = round(s[4] * (1.0 + 0.05 * yi))
                put("fdi_actual", ft * g.lerp(0.48, 1.26, 0.12), ft, 1)
                put("land_tax_per_mu", g.lerp(17.0, 61.0), d=1)
                put("hotline_response_hours", g.lerp(14.0, 1.4), d=1)
                put("grid_closure_pct", g.lerp(84.0, 99.6), d=1)
                put("aqi_good_pct", g.lerp(74.0, 88.5, 0.12) + 0.8 * yi, d=1)
                put("safety_deaths", round(g.lerp(3.4, 0.0, 0.12)), d=0)
                put("party_building", g.lerp(67.0, 98.0), d=1)
            else:
                e = ents[uid]
                pt = round(e[3] * (1.0 + 0.06 * yi))
                put("profit_total", pt * g.lerp(0.5, 1.2), pt, 1)
                put("value_preservation", g.lerp(96.5, 108.5), d=2)
                put("debt_asset_pct", g.lerp(72.5, 52.0), d=1)
                it = round(e[4] * (1.0 + 0.05 * yi))
                put("investment_done", it * g.lerp(0.6, 1.1), it, 1)
                put("safety_deaths", round(g.lerp(2.4, 0.0, 0.12)), d=0)
                put("party_building", g.lerp(67.0, 98.0), d=1)
    return j, rows, {}, {}


# ===================================================================== Jiading

JIADING_INDICATORS = [
    # tax
    ind("ontime_rate", "按期申报率", "On-time filing rate", "tax", "%", "higher_is_better",
        wmean("declarations_due"), 0, 100, target=99, scoring=ratio_rule(100)),
    ind("declarations_due", "应申报户次", "Returns due", "tax", "count", "higher_is_better", total(),
        0, 5000000),
    ind("dissatisfaction_pct", "办事企业和群众不满意率", "Share of service users dissatisfied", "tax", "%",
        "lower_is_better", wmean("matters_completed"), 0, 100, target=2, scoring=linear(15)),
    ind("handling_days", "涉企事项平均办结天数", "Average days to complete enterprise matters", "tax",
        "days", "lower_is_better", wmean("matters_completed"), 0, 60, scoring=ratio_rule(100)),
    ind("matters_completed", "办结件数", "Matters completed", "tax", "count", "higher_is_better",
        total(), 0, 10000000),
    # governance
    ind("key_work_score", "重点工作考评得分", "Key work assessment score", "governance", "score_0_100",
        "higher_is_better", mean(), 0, 100, scoring=direct()),
    ind("onenet_rate", "“一网通办”全程网办率", "Share of matters handled fully online", "governance", "%",
        "higher_is_better", mean(), 0, 100, scoring=threshold(90, 100, 60)),
    ind("budget_perf_score", "预算绩效评价得分", "Budget performance evaluation score", "governance",
        "score_0_100", "higher_is_better", mean(), 0, 100, target=95, scoring=linear(60)),
    ind("audit_rectification", "审计整改完成率", "Audit findings rectified", "governance", "%",
        "higher_is_better", mean(), 0, 100, scoring=threshold(95, 100, 50)),
    ind("party_building", "党建工作考核得分", "Party building assessment score", "party_building",
        "score_0_100", "higher_is_better", median(), 0, 100, scoring=direct()),
    # economic
    ind("district_tax_revenue", "街镇税收收入（区级）", "District-level tax revenue", "economic",
        "10k_yuan", "higher_is_better", total(), 0, 5000000, scoring=ratio_rule(110)),
    ind("industrial_output", "规上工业总产值", "Industrial output above designated size", "economic",
        "100m_yuan", "higher_is_better", total(), 0, 10000, scoring=ratio_rule(110)),
    ind("fixed_investment", "固定资产投资完成额", "Fixed-asset investment completed", "economic",
        "10k_yuan", "higher_is_better", total(), 0, 5000000, scoring=ratio_rule(120)),
    ind("roe_pct", "净资产收益率", "Return on equity", "economic", "%", "higher_is_better", mean(),
        -50, 50, scoring=linear(0)),
    ind("investment_completion", "年度投资计划完成额", "Annual investment plan completed", "economic",
        "10k_yuan", "higher_is_better", total(), 0, 5000000, scoring=ratio_rule(110)),
    # livelihood
    ind("hotline_solve_rate", "12345市民服务热线解决率", "12345 citizen hotline solution rate",
        "livelihood", "%", "higher_is_better", mean(), 0, 100, target=90, scoring=linear(60)),
    ind("employment_new", "新增就业岗位", "New jobs created", "livelihood", "persons",
        "higher_is_better", total(), 0, 100000, scoring=ratio_rule(110)),
    # ecology
    ind("pm25", "PM2.5年均浓度", "Annual mean PM2.5 concentration", "ecology", "ug/m3",
        "lower_is_better", mean(), 0, 150, target=28, scoring=linear(45)),
    ind("garbage_sorting", "生活垃圾分类达标率", "Household waste sorting compliance", "ecology", "%",
        "higher_is_better", mean(), 0, 100, scoring=threshold(95, 100, 50)),
    # government companies
    ind("debt_ratio", "资产负债率", "Debt-to-asset ratio", "governance", "%", "closest_to_target",
        mean(), 0, 100, target=60, scoring=closeness(25)),
]

JIADING_CATEGORIES = [
    {"id": "bureau", "name_zh": "区级机关部门", "name_en": "District bureaus", "weights": [
        W("key_work_score", 30), W("ontime_rate", 10), W("dissatisfaction_pct", 15),
        W("handling_days", 10), W("onenet_rate", 10), W("budget_perf_score", 10),
        W("party_building", 15),
    ]},
    {"id": "subdistrict", "name_zh": "街镇", "name_en": "Subdistricts and towns", "weights": [
        G("economy", 40, [W("district_tax_revenue", 50), W("industrial_output", 30),
                          W("fixed_investment", 20)]),
        G("livelihood", 25, [W("hotline_solve_rate", 60), W("employment_new", 40)]),
        G("ecology", 15, [W("pm25", 50), W("garbage_sorting", 50)]),
        G("party", 20, [W("party_building", 100)]),
    ]},
    {"id": "gov_company", "name_zh": "区属国有企业", "name_en": "District government-owned companies",
     "weights": [
        W("roe_pct", 25), W("debt_ratio", 20), W("investment_completion", 20),
        W("audit_rectification", 20), W("party_building", 15),
    ]},
]

JIADING_FRAMEWORK = {
    "id": "jiading.gov",
    "version": "1.0.0",
    "owner": {"jurisdiction": "310114"},
    "name_zh": "嘉定区政府绩效管理指标体系",
    "name_en": "Jiading District Government Performance Management Framework",
    "periods": list(YEARS),
    "indicators": JIADING_INDICATORS,
    "categories": JIADING_CATEGORIES,
}

JIADING_BUREAUS = [
    # id, zh, en, returns due in its sector, committed days
    ("tax-bureau", "国家税务总局上海市嘉定区税务局", "Shanghai Jiading District Tax Service, STA", None, 3),
    ("drc", "区发展和改革委员会", "Development and Reform Commission", 12800, 5),
    ("finance-bureau", "区财政局", "Finance Bureau", 4300, 5),
    ("audit-bureau", "区审计局", "Audit Bureau", 1200, 7),
    ("commerce-commission", "区商务委员会", "Commerce Commission", 81500, 3),
    ("economy-commission", "区经济委员会", "Economy Commission", 104200, 3),
    ("science-commission", "区科学技术委员会", "Science and Technology Commission", 19700, 5),
    ("education-bureau", "区教育局", "Education Bureau", 3900, 7),
    ("public-security-branch", "上海市公安局嘉定分局", "Jiading Branch, Shanghai Public Security Bureau",
     5600, 5),
    ("civil-affairs-bureau", "区民政局", "Civil Affairs Bureau", 2700, 7),
    ("hrss-bureau", "区人力资源和社会保障局", "Human Resources and Social Security Bureau", 22400, 3),
    ("planning-resources-bureau", "区规划和自然资源局", "Planning and Natural Resources Bureau", 5900, 10),
    ("ecology-env-bureau", "区生态环境局", "Ecology and Environment Bureau", 8800, 7),
    ("construction-commission", "区建设和管理委员会", "Construction and Management Commission", 33600, 7),
    ("transport-commission", "区交通委员会", "Transport Commission", 21900, 5),
    ("water-bureau", "区水务局", "Water Affairs Bureau", 2300, 7),
    ("agriculture-commission", "区农业农村委员会", "Agriculture and Rural Affairs Commission", 5100, 7),
    ("health-commission", "区卫生健康委员会", "Health Commission", 4800, 5),
    ("market-regulation", "区市场监督管理局", "Market Regulation Administration", 66300, 3),
    ("admin-service-center", "区行政服务中心", "Administrative Service Center", 41700, 3),
    ("emergency-bureau", "区应急管理局", "Emergency Management Bureau", 7400, 5),
    ("greening-appearance-bureau", "区绿化和市容管理局", "Greening and City Appearance Bureau", 3600, 7),
]

JIADING_SUBDISTRICTS = [
    # id, zh, en, tax revenue target 2024 (10k yuan), industrial output target
    # (100m yuan), fixed-asset investment target (10k yuan), new jobs target
    ("street-xinchenglu", "新成路街道", "Xinchenglu Subdistrict", 42000, 18, 36000, 2100),
    ("street-zhenxin", "真新街道", "Zhenxin Subdistrict", 38000, 6, 29000, 1900),
    ("street-jiadingzhen", "嘉定镇街道", "Jiadingzhen Subdistrict", 35000, 4, 22000, 1700),
    ("zone-juyuan", "菊园新区", "Juyuan New Area", 96000, 156, 210000, 2800),
    ("town-nanxiang", "南翔镇", "Nanxiang", 238000, 412, 480000, 5600),
    ("town-anting", "安亭镇", "Anting", 465000, 2260, 720000, 8900),
    ("town-malu", "马陆镇", "Malu", 221000, 498, 530000, 5200),
    ("town-xuhang", "徐行镇", "Xuhang", 98000, 316, 186000, 2600),
    ("town-huating", "华亭镇", "Huating", 64000, 188, 112000, 1700),
    ("town-waigang", "外冈镇", "Waigang", 112000, 362, 205000, 2900),
    ("town-jiangqiao", "江桥镇", "Jiangqiao", 204000, 286, 396000, 5300),
    ("zone-industrial", "嘉定工业区", "Jiading Industrial Zone", 318000, 1340, 610000, 6800),
]

JIADING_COMPANIES = [
    # id, zh, en, ROE target (%), investment plan (10k yuan), debt-ratio side
    ("gc-urban-development", "上海嘉定城市发展集团有限公司", "Shanghai Jiading Urban Development Group",
     2.4, 860000, 1),
    ("gc-new-city", "上海嘉定新城发展有限公司", "Shanghai Jiading New City Development Co.",
     2.0, 540000, 1),
]


def jiading(rng):
    units = [unit(b[0], b[1], b[2], "bureau") for b in JIADING_BUREAUS]
    units += [unit(s[0], s[1], s[2], "subdistrict") for s in JIADING_SUBDISTRICTS]
    units += [unit(c[0], c[1], c[2], "gov_company") for c in JIADING_COMPANIES]
    strengths = spread_strengths(rng, units, fixed={"tax-bureau": 0.92,
                                                    "gc-urban-development": 0.78,
                                                    "gc-new-city": 0.36})
    j = Jurisdiction("jiading", JIADING_FRAMEWORK, units, strengths)
    rows = {y: [] for y in YEARS}
    bureaus = {b[0]: b for b in JIADING_BUREAUS}
    subs = {s[0]: s for s in JIADING_SUBDISTRICTS}
    comps = {c[0]: c for c in JIADING_COMPANIES}

    for yi, year in enumerate(YEARS):
        out = rows[year]
        for u in units:
            uid = u["id"]
            g = Gen(rng, strengths[uid][yi])

            def put(code, value, target=None, d=2):
                r = j.indicators[code]["range"]
                value = clamp(value, r["min"], r["max"])
                out.append((uid, code, year, fmt(value, d), "" if target is None else fmt(target, d)))

            cat = u["category"]
            if cat == "bureau":
                b = bureaus[uid]
                put("key_work_score", g.lerp(61.0, 98.0), d=1)
                if uid == "tax-bureau":
                    put("ontime_rate", (98.95, 99.21)[yi], d=2)
                    put("declarations_due", (1102300, 1146800)[yi], d=0)
                    put("dissatisfaction_pct", (4.6, 3.9)[yi], d=1)
                    put("handling_days", (2.2, 1.9)[yi], b[4], 1)
                    put("matters_completed", (2735000, 2861000)[yi], d=0)
                else:
                    put("ontime_rate", g.lerp(93.8, 99.8, 0.1), d=2)
                    put("declarations_due", b[3] * (1.0 + 0.04 * yi) * rng.uniform(0.97, 1.03), d=0)
                    put("dissatisfaction_pct", g.lerp(12.5, 1.4), d=1)
                    put("handling_days", b[4] * g.lerp(2.1, 0.65), b[4], 1)
                    put("matters_completed", matters(rng, uid, yi), d=0)
                put("onenet_rate", g.lerp(80.0, 99.2, 0.1) + 1.5 * yi, d=1)
                put("budget_perf_score", g.lerp(67.0, 97.0), d=1)
                put("party_building", g.lerp(67.0, 98.0), d=1)
            elif cat == "subdistrict":
                s = subs[uid]
                tt = round(s[3] * (1.0 + 0.04 * yi))
                put("district_tax_revenue", tt * g.lerp(0.85, 1.08), tt, 1)
                ot = round(s[4] * (1.0 + 0.03 * yi), 1)
                put("industrial_output", ot * g.lerp(0.82, 1.06), ot, 2)
                it = round(s[5] * (1.0 + 0.06 * yi))
                put("fixed_investment", it * g.lerp(0.6, 1.16), it, 1)
                put("hotline_solve_rate", g.lerp(66.0, 92.5), d=1)
                jt = round(s[6] * (1.0 + 0.02 * yi))
                put("employment_new", round(jt * g.lerp(0.78, 1.1)), jt, 0)
                put("pm25", g.lerp(38.5, 26.0) - 1.0 * yi, d=1)
                put("garbage_sorting", g.lerp(89.5, 99.5, 0.1), d=1)
                put("party_building", g.lerp(67.0, 98.0), d=1)
            else:
                c = comps[uid]
                put("roe_pct", g.lerp(0.6, 3.0), round(c[3] + 0.1 * yi, 1), 2)
                put("debt_ratio", 60 + c[5] * g.lerp(19.0, 1.0), d=1)
                it = round(c[4] * (1.0 + 0.05 * yi))
                put("investment_completion", it * g.lerp(0.62, 1.08), it, 1)
                put("audit_rectification", g.lerp(86.0, 100.0), d=1)
                put("party_building", g.lerp(67.0, 98.0), d=1)
    return j, rows, {}, {}


# ===================================================================== output

README = """\
# Sample data

Sample appraisal data for the three jurisdictions of the demo federation:
Taicang 太仓市 (320585), Kunshan 昆山市 (320583) and Jiading 嘉定区 (310114).
Each folder holds the jurisdiction's own framework, its appraised units
(agencies, towns and streets, state-owned enterprises) and one year of unit
observations per file for 2024 and 2025. The figures are made up but
plausible; a few come from the Taicang source article. All files are written
by `scripts/gen_samples.py`, which is seeded and writes the same bytes on
every run.

## Taicang 太仓市 (320585): `taicang.hqd`

The high-quality-development framework covers {tc_units} units in three categories:
municipal agencies (`agency`), towns, subdistricts and development zones
(`town`) and municipal state-owned enterprises (`soe`). Agencies are scored
on the article's three-part model: department performance 40 (key tasks,
on-time filing, service satisfaction, processing time), post performance 30
(key enterprises served, public review) and discipline 30 (attendance, party
building). Towns are scored on budget revenue, major-project investment,
industrial growth, the 12345 hotline, PM2.5, water quality and party
building; SOEs on profit, revenue, debt ratio (closest to 55%), debt-service
ratio (early warning at 10%), internal-control improvements and recovered
state assets. Grades use thresholds (A ≥ 92, B ≥ 85, C ≥ 75, D ≥ 65) with pay
coefficients 1.3 / 1.15 / 1.0 / 0.85 / 0.7. The article's figures appear: the
tax bureau serves 104 key enterprises in 2025; over the two years the SOEs
report 47 internal-control improvements and 30.9 million yuan (3089.2 ×
10k yuan) of recovered state assets; town budget revenue totals about
1.7 million × 10k yuan. Tax metrics: `tax_ontime` is a ratio in [0, 1]
(reference `ontime_filing_rate` is in %: multiply by 100); `svc_satisfaction`
is already on 0–100; `processing_days` is already in days. Every agency
reports the three for the taxpayers and enterprises it deals with; the
on-time rate aggregates as a mean weighted by `filings_due`, satisfaction
and processing time as means weighted by `matters_handled`, so the tax
bureau's returns and counter business dominate the jurisdiction figures.

Version 1.1.0 (`framework-1.1.0.json`, same periods) adds
`energy_intensity_drop`, retires `hotline_response_hours` and raises the
town weight of `pm25` from 10 to 15. The rows of the added indicator are in
`observations-1.1.0-additions.csv`; load it after framework 1.1.0.

Files: `taicang/framework.json`, `taicang/framework-1.1.0.json`,
`taicang/units.json`, `taicang/observations-2024.csv`,
`taicang/observations-2025.csv`, `taicang/observations-1.1.0-additions.csv`.

## Kunshan 昆山市 (320583): `kunshan.perf`

The comprehensive framework covers {ks_units} units: municipal departments (`dept`),
zones and towns (`street`) and municipal state-owned enterprises
(`enterprise`). Departments are scored in three groups: core duties 55 (key
task completion, on-time filing, processing time), common indicators 25
(party building, rule-of-law administration, budget execution as spent over
allocated) and public evaluation 20 (taxpayer and enterprise satisfaction).
Zones and towns are scored on budget revenue, FDI actually used, tax per mu
of industrial land, 12345 response time, grid events closed on time, good-air
days, work-safety deaths and party building; enterprises on profit, asset
value preservation, debt ratio (early warning at 65%), investment completed,
work safety and party building. Grades are a forced distribution within each
category: at most 20% A (and at least 85 points), at most 35% B (at least
75), then C from 65, D from 55, E below. Tax metrics: `filing_ontime_pct` is
already in %; `taxpayer_sat_5` is surveyed on a 1–5 scale (to 0–100:
rescale [1, 5] onto [0, 100], i.e. (x − 1) × 25); `processing_hours` counts
hours (to days: divide by 24). The on-time rate is weighted by `returns_due`,
satisfaction and hours by `cases_handled`.

Files: `kunshan/framework.json`, `kunshan/units.json`,
`kunshan/observations-2024.csv`, `kunshan/observations-2025.csv`.

## Jiading 嘉定区 (310114): `jiading.gov`

The government performance framework covers {jd_units} units: district bureaus
(`bureau`), subdistricts and towns (`subdistrict`) and district
government-owned companies (`gov_company`, only two, so their distributions
and grade counts fall under disclosure control at k = 3). Bureaus are scored
on key work, on-time filing, dissatisfaction, handling days, the share of
matters handled fully online, budget performance and party building.
Subdistricts and towns are scored in four groups: economy 40 (tax revenue,
industrial output, fixed-asset investment), livelihood 25 (12345 solution
rate, new jobs), ecology 15 (PM2.5, waste sorting) and party building 20;
companies on return on equity, debt ratio (closest to 60%), investment
completed, audit rectification and party building. The framework names no
grading, so the standard thresholds apply (A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60).
Tax metrics: `ontime_rate` is already in %; `dissatisfaction_pct` is the share
of dissatisfied users, lower is better (to satisfaction on 0–100: invert on
[0, 100], i.e. 100 − x); `handling_days` is already in days. The on-time rate
is weighted by `declarations_due`, dissatisfaction and handling days by
`matters_completed`.

Files: `jiading/framework.json`, `jiading/units.json`,
`jiading/observations-2024.csv`, `jiading/observations-2025.csv`.

## The tax alliance `yrd.tax`

`yrd.tax/framework.json` is the alliance's reference framework (owned by the
alliance; any member may publish it): `ontime_filing_rate` (%, higher is
better), `service_satisfaction` (0-100, higher is better) and
`avg_processing_days` (days, lower is better). `yrd.tax/crosswalks/` holds
one crosswalk per jurisdiction and metric, with the real conversions:

| crosswalk | from | transform | relation |
|---|---|---|---|
| `taicang.ontime` | `taicang.hqd/tax_ontime` (ratio) | unit ratio → % | exact |
| `taicang.satisfaction` | `taicang.hqd/svc_satisfaction` (0-100) | none | exact |
| `taicang.processing` | `taicang.hqd/processing_days` (days) | none | exact |
| `kunshan.ontime` | `kunshan.perf/filing_ontime_pct` (%) | none | exact |
| `kunshan.satisfaction` | `kunshan.perf/taxpayer_sat_5` (1-5) | rescale [1, 5] → [0, 100] | exact |
| `kunshan.processing` | `kunshan.perf/processing_hours` (hours) | unit hours → days | exact |
| `jiading.ontime` | `jiading.gov/ontime_rate` (%) | none | exact |
| `jiading.satisfaction` | `jiading.gov/dissatisfaction_pct` (% dissatisfied) | invert on [0, 100] | close |
| `jiading.processing` | `jiading.gov/handling_days` (days) | none | exact |

Jiading's satisfaction mapping is `close`, not `exact`: the share of
dissatisfied users is another measure, so its row is flagged and left out of
ranks unless a caller asks for flagged rows. Each file is a crosswalk payload
without `version` (the node numbers versions), ready for
`POST /api/v1/crosswalks`.

## Public rating (民生项目绩效众评) and `yrd.public`

Each jurisdiction also has six livelihood projects (`projects.json`: names
in Chinese and English, the responsible agency, place, budget in yuan,
category, milestones) rated in 2025, and a framework scored by public
ratings (`public-framework.json`, `taicang.public`, `kunshan.public`,
`jiading.public`): one indicator, `public_satisfaction`, with `"source":
"public_rating"`, whose value for an agency is the mean shrunk score (1-5)
of its projects with at least k = 10 ratings, weighted 100 in the agency
category. `ratings.json` is the demo's plan: for each project a number of
ratings and the weights of levels 1 to 5, from which the demo draws the
levels with a generator seeded by `seed` and the project, sending each
rating with its own one-time code through `POST /public/v1/ratings`. The
sixth project of each gets 7 ratings, fewer than k, so it shows no score
and counts for nothing.

`yrd.public/framework.json` is a reference framework owned by the alliance
`yrd.tax`: `satisfaction` (0-100, higher is better).
`yrd.public/crosswalks/` maps each jurisdiction's `public_satisfaction`
onto it (rescale [1, 5] → [0, 100], exact).

## 12345 hotline efficiency and `yrd.hotline`

Each jurisdiction's `hotline-framework.json` (`taicang.hotline`,
`kunshan.hotline`, `jiading.hotline`) has two indicators valued from its
12345 requests (`tickets.csv`, written by `scripts/gen_tickets.py`) rather
than observations: each department's resolution rate (`"source":
"hotline_resolution_rate"`, the share of its requests closed as resolved)
and its share closed within the SLA (`"source": "hotline_within_sla"`),
both ratios in [0, 1] aggregated as the mean over departments, each
weighted 50 in the agency and the town categories. The codes are each
city's own:

| framework | resolution rate | within SLA |
|---|---|---|
| `taicang.hotline` | `hotline_jjl` | `hotline_asbj` |
| `kunshan.hotline` | `resolved_share` | `ontime_close_share` |
| `jiading.hotline` | `rx_resolution` | `rx_ontime` |

`yrd.hotline/framework.json` is a reference framework owned by the alliance
`yrd.tax`: `resolution_rate` and `within_sla`, in percent (0-100, higher is
better). `yrd.hotline/crosswalks/` maps each city's two indicators onto them
(rescale [0, 1] → [0, 100], exact).

## Formats

`framework*.json` is a framework payload (`schemas/framework.v1.schema.json`).
`units.json` is an array of `{{"id", "name_zh", "name_en", "category"}}`.
`observations-*.csv` has the header `unit,indicator,period,value,target`;
`target` is empty where the indicator's own target (or none) applies.
Indicators that only weight or divide others (returns due, matters
handled, 12345 cases, budget spent and allocated) have rows for the units
that report the indicator they serve.

## Monthly series (`observations-monthly.csv`)

Written by `scripts/gen_monthly.py` (seeded; run it after
`scripts/gen_samples.py`): for every unit and every indicator summed over the
year and scored as a ratio to a target, the months of 2023 and 2024 summing
to each year's value (2023's being 2024's less the unit's growth into 2025),
and January to September of 2025 along a year that sums to the unit's 2025
value, all on one seasonal profile with a few percent of noise. The twin
forecasts the 2025 year end from them (`GET /api/v1/forecasts`), so a unit
whose 2025 value falls short of its target is warned of. Illustrative
figures, not real ones.

## Debt figures (`debt.json`)

The body of `POST /api/v1/debt` for each city: debt balance,
comprehensive financial resources (综合财力) and debt service due for
2021-2025 (亿元), and a bond calendar for 2026-2028 (issuance, repayment,
expected resources). Taicang's debt ratio rises from 105% to 135% and,
over the calendar, to 241% (orange) in 2027; Kunshan stays near 84%
(green); Jiading's 196% (yellow) turns orange in 2026. Illustrative
figures, not real ones.

`yrd.debt/framework.json` is a reference framework owned by the alliance
`yrd.tax` with two indicators, `debt_ratio` and `debt_service_ratio` (in
percent, lower is better). Each city signs its reported figures of a year as
a summary of it (`POST /api/v1/debt/summaries`), so the members compare
their debt ratios without a crosswalk.

## 12345 hotline requests (`tickets.csv`)

Written by `python3 scripts/gen_tickets.py` (seeded, standard library only):
2,000 requests per city accepted in 2025, with Open311 column names where
Open311 has the field and ours for the rest, times in China Standard Time.
Categories follow a fixed mix (housing, city appearance, noise, roads,
environment, market regulation, labour, water, education, health); each
goes to the department that handles it, city appearance to the request's
own town or street (both units of the city). Coordinates are GCJ-02,
scattered around the request's town inside the city's bounding box
(Taicang 31.37-31.75 N, 120.98-121.34 E; Kunshan 31.10-31.55 N,
120.80-121.15 E; Jiading 31.23-31.50 N, 121.10-121.42 E), 8% without any.
Some of each data-quality problem is there on purpose: 1% closed before
they were accepted, 4% closed within three minutes, 3% reopened, 3% closed
with no acknowledgement; 3% are still open. Illustrative, not real
requests. Import with `deltabench import --kind tickets --coordinates gcj02
node-config/samples/taicang/tickets.csv`.
"""


def yrd_tax():
    """The tax alliance's reference framework and the crosswalks onto it.

    Each jurisdiction measures the three shared tax-service metrics in its own
    unit and scale; the crosswalks carry the real conversions.
    """
    framework = {
        "id": "yrd.tax",
        "version": "1.0.0",
        "owner": {"alliance": "yrd.tax"},
        "name_zh": "嘉昆太税收协作联盟纳税服务参照指标",
        "name_en": "Jiading-Kunshan-Taicang tax alliance reference indicators",
        "periods": [str(y) for y in YEARS],
        "indicators": [
            ind("ontime_filing_rate", "企业所得税按期申报率", "On-time corporate income tax filing rate",
                "tax", "%", "higher_is_better", mean(), 0, 100),
            ind("service_satisfaction", "纳税服务满意度", "Tax service satisfaction",
                "tax", "score_0_100", "higher_is_better", mean(), 0, 100),
            ind("avg_processing_days", "涉税事项平均办理天数", "Average processing time of tax matters",
                "tax", "days", "lower_is_better", mean(), 0, 60),
        ],
    }

    def cw(cid, framework_id, code, target, relation, transform, why, confidence):
        return {
            "id": cid,
            "source": {"framework": framework_id, "versions": "^1", "indicator": code},
            "target": f"yrd.tax/{target}",
            "relation": relation,
            "transform": transform,
            "justification": why,
            "confidence": confidence,
        }

    crosswalks = [
        cw("taicang.ontime", "taicang.hqd", "tax_ontime", "ontime_filing_rate", "exact",
           [{"op": "unit", "from": "ratio", "to": "%"}],
           "Same definition (returns filed by the deadline over returns due); Taicang reports a ratio in [0, 1].",
           1.0),
        cw("taicang.satisfaction", "taicang.hqd", "svc_satisfaction", "service_satisfaction", "exact", [],
           "Same provincial survey instrument on a 0-100 scale.", 0.95),
        cw("taicang.processing", "taicang.hqd", "processing_days", "avg_processing_days", "exact", [],
           "Same definition, counted in calendar days.", 1.0),
        cw("kunshan.ontime", "kunshan.perf", "filing_ontime_pct", "ontime_filing_rate", "exact", [],
           "Same definition, already in percent.", 1.0),
        cw("kunshan.satisfaction", "kunshan.perf", "taxpayer_sat_5", "service_satisfaction", "exact",
           [{"op": "rescale", "from": [1, 5], "to": [0, 100]}],
           "The same survey question answered on a five-point scale; its mean maps linearly onto 0-100 ((x - 1) x 25).",
           0.85),
        cw("kunshan.processing", "kunshan.perf", "processing_hours", "avg_processing_days", "exact",
           [{"op": "unit", "from": "hours", "to": "days"}],
           "Same definition counted in elapsed hours; 24 hours to a day.", 0.95),
        cw("jiading.ontime", "jiading.gov", "ontime_rate", "ontime_filing_rate", "exact", [],
           "Same definition, already in percent.", 1.0),
        cw("jiading.satisfaction", "jiading.gov", "dissatisfaction_pct", "service_satisfaction", "close",
           [{"op": "invert", "lo": 0, "hi": 100}],
           "Jiading records the share of dissatisfied users (lower is better); 100 minus it approximates a satisfaction score but is not the same measure.",
           0.6),
        cw("jiading.processing", "jiading.gov", "handling_days", "avg_processing_days", "exact", [],
           "Same definition, counted in calendar days.", 1.0),
    ]
    return framework, crosswalks


# ---------------------------------------------------------------- public rating

# Each jurisdiction: framework id, its agency category (id, zh, en), the
# livelihood projects (id, unit, category, zh, en, place, budget in yuan).
PUBLIC = {
    "taicang": ("320585", "太仓市", "Taicang", ("agency", "市级机关部门", "Municipal agencies"), [
        ("school-canteens", "education-bureau", "education", "中小学食堂提升改造", "School canteen upgrades", "城厢镇", 8_600_000),
        ("elderly-meals", "civil-affairs-bureau", "elderly_care", "社区老年助餐点建设", "Community meal points for the elderly", "沙溪镇", 3_200_000),
        ("old-estates", "housing-bureau", "housing", "老旧小区加装电梯", "Lifts for old housing estates", "浏河镇", 12_500_000),
        ("bus-routes", "transport-bureau", "roads", "城乡公交线路优化", "Town and country bus route redesign", "璜泾镇", 5_400_000),
        ("clinic-hours", "health-commission", "healthcare", "社区卫生服务中心延时服务", "Longer opening hours at community clinics", "双凤镇", 2_100_000),
        ("river-walk", "water-bureau", "environment", "致和塘滨水步道", "Zhihetang riverside walk", "城厢镇", 9_800_000),
    ]),
    "kunshan": ("320583", "昆山市", "Kunshan", ("dept", "市级机关部门", "Municipal departments"), [
        ("preschool-places", "education-bureau", "education", "普惠性幼儿园学位扩容", "More places in public kindergartens", "玉山镇", 15_000_000),
        ("home-care", "civil-affairs-bureau", "elderly_care", "居家养老上门服务", "Home visits for elderly care", "周庄镇", 4_600_000),
        ("rental-housing", "housing-bureau", "housing", "保障性租赁住房筹建", "Affordable rental housing", "花桥经济开发区", 28_000_000),
        ("school-crossings", "transport-bureau", "roads", "学校周边交通安全改造", "Safer crossings near schools", "张浦镇", 3_900_000),
        ("family-doctors", "health-commission", "healthcare", "家庭医生签约服务扩面", "Wider family doctor coverage", "千灯镇", 2_700_000),
        ("night-market", "urban-management-bureau", "environment", "夜市环境整治", "Night market clean-up", "淀山湖镇", 1_500_000),
    ]),
    "jiading": ("310114", "嘉定区", "Jiading", ("bureau", "区级机关部门", "District bureaus"), [
        ("after-school", "education-bureau", "education", "小学生课后托管服务", "After-school care for pupils", "新成路街道", 6_300_000),
        ("day-care-centres", "civil-affairs-bureau", "elderly_care", "长者日间照护中心", "Day care centres for the elderly", "南翔镇", 7_800_000),
        ("estate-renewal", "construction-commission", "housing", "旧住房成套改造", "Renewal of old flats", "嘉定镇街道", 21_000_000),
        ("last-mile-bus", "transport-commission", "roads", "最后一公里公交接驳", "Last-mile bus links", "安亭镇", 4_200_000),
        ("clinic-appointments", "health-commission", "healthcare", "社区医院预约诊疗", "Appointments at community hospitals", "江桥镇", 1_900_000),
        ("pocket-parks", "greening-appearance-bureau", "environment", "口袋公园建设", "Pocket parks", "马陆镇", 5_600_000),
    ]),
}


def public(name, rng):
    """A jurisdiction's public-rating framework, projects and rating plan.

    The framework has one indicator whose values come from public ratings
    (source public_rating): each agency's mean shrunk score of its projects,
    on the 1-5 scale, scored linearly from 1 (0 points) to 5 (100 points).
    The plan gives each project a number of ratings and level weights; the
    demo draws the levels from them with a seeded generator and sends each
    rating with its own one-time code. The last project gets fewer ratings
    than the disclosure threshold (10), so it shows no score.
    """
    code, zh, en, (cat, cat_zh, cat_en), projects = PUBLIC[name]
    indicator = ind("public_satisfaction", "民生项目群众满意度",
                    "Public satisfaction with livelihood projects", "livelihood", "score_1_5",
                    "higher_is_better", mean(), 1, 5, target=5, scoring=linear(1))
    indicator["source"] = "public_rating"
    framework = {
        "id": f"{name}.public",
        "version": "1.0.0",
        "owner": {"jurisdiction": code},
        "name_zh": f"{zh}民生项目绩效众评",
        "name_en": f"{en} public rating of livelihood projects",
        "periods": ["2025"],
        "indicators": [indicator],
        "categories": [{"id": cat, "name_zh": cat_zh, "name_en": cat_en,
                        "weights": [W("public_satisfaction", 100)]}],
    }
    out, plan = [], []
    for i, (pid, uid, category, pzh, pen, place, budget) in enumerate(projects):
        out.append({
            "id": pid, "name_zh": pzh, "name_en": pen, "unit": uid, "place": place,
            "budget": budget, "period": "2025", "category": category,
            "milestones": [
                {"name_zh": "立项", "name_en": "Approved", "planned": "2025-02-15",
                 "actual": "2025-02-20", "progress": 100},
                {"name_zh": "开工", "name_en": "Work starts", "planned": "2025-04-01",
                 "actual": "2025-04-10", "progress": 100},
                {"name_zh": "完工", "name_en": "Completed", "planned": "2025-10-31",
                 "progress": rng.choice([60, 75, 90, 100])},
            ],
        })
        quality = rng.uniform(0.35, 0.9)
        weights = [round(w, 3) for w in (
            (1 - quality) * 0.5, (1 - quality) * 0.7, 0.6 - quality * 0.35,
            0.4 + quality * 0.2, quality * 1.2)]
        count = 7 if i == len(projects) - 1 else rng.randint(40, 80)
        plan.append({"project": pid, "ratings": count, "weights": weights})
    return framework, out, {"seed": SEED, "projects": plan}


def yrd_public():
    """The reference framework of public satisfaction and each member's crosswalk onto it."""
    framework = {
        "id": "yrd.public",
        "version": "1.0.0",
        "owner": {"alliance": "yrd.tax"},
        "name_zh": "长三角民生项目群众满意度参照指标",
        "name_en": "Delta reference indicator of public satisfaction with livelihood projects",
        "periods": ["2025"],
        "indicators": [
            ind("satisfaction", "民生项目群众满意度", "Public satisfaction with livelihood projects",
                "livelihood", "score_0_100", "higher_is_better", mean(), 0, 100),
        ],
    }
    crosswalks = [{
        "id": f"{name}.public_satisfaction",
        "source": {"framework": f"{name}.public", "versions": "^1", "indicator": "public_satisfaction"},
        "target": "yrd.public/satisfaction",
        "relation": "exact",
        "transform": [{"op": "rescale", "from": [1, 5], "to": [0, 100]}],
        "justification": "The same five 好差评 levels, rated with one-time codes and shrunk toward the category mean (k = 10, C = 10); the 1-5 mean maps linearly onto 0-100 ((x - 1) x 25).",
        "confidence": 0.9,
    } for name in PUBLIC]
    return framework, crosswalks


# ---------------------------------------------------------------- 12345 hotline

# Each jurisdiction: its codes of the resolution rate and the within-SLA
# share, and its agency and town categories (id, zh, en).
HOTLINE = {
    "taicang": ("320585", "太仓市", "Taicang", "hotline_jjl", "hotline_asbj", [
        ("agency", "市级机关部门", "Municipal agencies"),
        ("town", "镇（区）、街道", "Towns, subdistricts and zones")]),
    "kunshan": ("320583", "昆山市", "Kunshan", "resolved_share", "ontime_close_share", [
        ("dept", "市级机关部门", "Municipal departments"),
        ("street", "区镇、街道", "Towns and subdistricts")]),
    "jiading": ("310114", "嘉定区", "Jiading", "rx_resolution", "rx_ontime", [
        ("bureau", "区级机关部门", "District bureaus"),
        ("subdistrict", "街镇", "Towns and subdistricts")]),
}


def hotline(name):
    """A jurisdiction's framework valued by its 12345 requests: each
    department's resolution rate and within-SLA share, ratios scored
    linearly from 0 (0 points) to 1 (100 points), means over departments."""
    code, zh, en, resolved, ontime, categories = HOTLINE[name]
    a = ind(resolved, "12345热线解决率", "12345 hotline resolution rate", "service", "ratio",
            "higher_is_better", mean(), 0, 1, target=1, scoring=linear(0))
    a["source"] = "hotline_resolution_rate"
    b = ind(ontime, "12345热线按时办结率", "12345 hotline share closed within the SLA", "service",
            "ratio", "higher_is_better", mean(), 0, 1, target=1, scoring=linear(0))
    b["source"] = "hotline_within_sla"
    return {
        "id": f"{name}.hotline",
        "version": "1.0.0",
        "owner": {"jurisdiction": code},
        "name_zh": f"{zh}12345热线部门响应效能",
        "name_en": f"{en} 12345 hotline response efficiency",
        "periods": ["2025"],
        "indicators": [a, b],
        "categories": [{"id": c, "name_zh": czh, "name_en": cen,
                        "weights": [W(resolved, 50), W(ontime, 50)]}
                       for c, czh, cen in categories],
    }


def yrd_hotline():
    """The reference framework of hotline efficiency and each member's crosswalks onto it."""
    framework = {
        "id": "yrd.hotline",
        "version": "1.0.0",
        "owner": {"alliance": "yrd.tax"},
        "name_zh": "长三角12345热线响应效能参照指标",
        "name_en": "Delta reference indicators of 12345 hotline response efficiency",
        "periods": ["2025"],
        "indicators": [
            ind("resolution_rate", "12345热线部门平均解决率", "Mean department resolution rate of the 12345 hotline",
                "service", "%", "higher_is_better", mean(), 0, 100),
            ind("within_sla", "12345热线部门平均按时办结率", "Mean department share of 12345 requests closed within the SLA",
                "service", "%", "higher_is_better", mean(), 0, 100),
        ],
    }
    crosswalks = []
    for name, (_, _, _, resolved, ontime, _) in HOTLINE.items():
        for local, target, what in ((resolved, "resolution_rate", "closed as resolved (解决), explained and unresolved closures counting against it"),
                                    (ontime, "within_sla", "closed by their SLA due time, of those with one")):
            crosswalks.append({
                "id": f"{name}.hotline_{target}",
                "source": {"framework": f"{name}.hotline", "versions": "^1", "indicator": local},
                "target": f"yrd.hotline/{target}",
                "relation": "exact",
                "transform": [{"op": "rescale", "from": [0, 1], "to": [0, 100]}],
                "justification": f"Each department's share of its 12345 requests {what}, by the same rule at every node, averaged over departments; a ratio maps onto percent (x 100).",
                "confidence": 1.0,
            })
    return framework, crosswalks


def dump_json(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def dump_csv(path, rows):
    lines = ["unit,indicator,period,value,target"]
    lines += [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    counts = {}
    for n, build in enumerate((taicang, kunshan, jiading)):
        rng = random.Random(SEED + n)
        j, rows, extra_frameworks, extra_rows = build(rng)
        d = OUT / j.name
        d.mkdir(parents=True, exist_ok=True)
        dump_json(d / "framework.json", j.framework)
        for name, f in extra_frameworks.items():
            dump_json(d / name, f)
        dump_json(d / "units.json", j.units)
        for year in YEARS:
            dump_csv(d / f"observations-{year}.csv", rows[year])
        for name, r in extra_rows.items():
            dump_csv(d / name, r)
        counts[j.name] = len(j.units)
    framework, crosswalks = yrd_tax()
    d = OUT / "yrd.tax"
    (d / "crosswalks").mkdir(parents=True, exist_ok=True)
    dump_json(d / "framework.json", framework)
    for c in crosswalks:
        dump_json(d / "crosswalks" / f"{c['id']}.json", c)
    for n, name in enumerate(PUBLIC):
        framework, projects, plan = public(name, random.Random(SEED + 100 + n))
        dump_json(OUT / name / "public-framework.json", framework)
        dump_json(OUT / name / "projects.json", projects)
        dump_json(OUT / name / "ratings.json", plan)
    framework, crosswalks = yrd_public()
    d = OUT / "yrd.public"
    (d / "crosswalks").mkdir(parents=True, exist_ok=True)
    dump_json(d / "framework.json", framework)
    for c in crosswalks:
        dump_json(d / "crosswalks" / f"{c['id']}.json", c)
    for name in HOTLINE:
        dump_json(OUT / name / "hotline-framework.json", hotline(name))
    framework, crosswalks = yrd_hotline()
    d = OUT / "yrd.hotline"
    (d / "crosswalks").mkdir(parents=True, exist_ok=True)
    dump_json(d / "framework.json", framework)
    for c in crosswalks:
        dump_json(d / "crosswalks" / f"{c['id']}.json", c)
    (OUT / "README.md").write_text(
        README.format(tc_units=counts["taicang"], ks_units=counts["kunshan"],
                      jd_units=counts["jiading"]),
        encoding="utf-8")


if __name__ == "__main__":
    main()
