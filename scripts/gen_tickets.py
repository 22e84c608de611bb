#!/usr/bin/env python3
"""Writes the 12345 hotline requests the demo loads.

    python3 scripts/gen_tickets.py

For each demo jurisdiction, writes node-config/samples/<name>/tickets.csv:
2,000 requests accepted in 2025, with Open311 column names where Open311
has the field (service_request_id, source, service_name,
agency_responsible, requested_datetime, closed_date, expected_datetime)
and ours for the rest (town, acknowledged_at, reopened_at, result,
satisfaction). Times are China Standard Time, `YYYY-MM-DD HH:MM`.

- Categories follow a fixed mix (housing and property, city appearance,
  noise, roads, environment, market regulation, labour, water, education,
  health); each goes to the department that handles it, city appearance to
  the request's own town or street.
- Coordinates are GCJ-02, as Chinese map services give them: scattered
  around the centre of the request's town (itself inside the city's
  bounding box, below), 8% of requests without any.
- Response and closure times are drawn per category, with an SLA of a few
  days; 3% are still open at the end of the year.
- Data-quality problems, some of each: 1% closed before they were
  accepted, 4% closed within three minutes, 3% reopened, 3% closed with no
  acknowledgement.

Seeded, so every run writes the same bytes. Standard library only.
"""

import csv
import datetime as dt
import math
import random
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "node-config" / "samples"
SEED = 12345
N = 2000
CST = dt.timezone(dt.timedelta(hours=8))

# City: (bounding box lat0, lat1, long0, long1, GCJ-02), towns as
# (name, unit, centre lat, centre long), and the departments by category.
CITIES = {
    "taicang": (
        (31.37, 31.75, 120.98, 121.34),
        [
            ("城厢镇", "town-chengxiang", 31.455, 121.105),
            ("沙溪镇", "town-shaxi", 31.560, 121.060),
            ("浏河镇", "town-liuhe", 31.500, 121.260),
            ("浮桥镇", "town-fuqiao", 31.600, 121.200),
            ("璜泾镇", "town-huangjing", 31.660, 121.100),
            ("双凤镇", "town-shuangfeng", 31.470, 121.020),
            ("娄东街道", "street-loudong", 31.440, 121.130),
            ("陆渡街道", "street-ludu", 31.470, 121.170),
        ],
        {
            "noise": "public-security-bureau",
            "environment": "ecology-env-bureau",
            "roads": "transport-bureau",
            "housing": "housing-bureau",
            "labour": "hrss-bureau",
            "market": "market-regulation",
            "education": "education-bureau",
            "health": "health-commission",
            "water": "water-bureau",
        },
    ),
    "kunshan": (
        (31.10, 31.55, 120.80, 121.15),
        [
            ("玉山镇", "town-yushan", 31.385, 120.980),
            ("巴城镇", "town-bacheng", 31.440, 120.880),
            ("周市镇", "town-zhoushi", 31.450, 121.000),
            ("陆家镇", "town-lujia", 31.320, 121.050),
            ("花桥镇", "town-huaqiao", 31.300, 121.100),
            ("淀山湖镇", "town-dianshanhu", 31.170, 120.970),
            ("张浦镇", "town-zhangpu", 31.290, 120.950),
            ("周庄镇", "town-zhouzhuang", 31.120, 120.850),
            ("千灯镇", "town-qiandeng", 31.250, 120.990),
            ("锦溪镇", "town-jinxi", 31.180, 120.900),
        ],
        {
            "noise": "public-security-bureau",
            "environment": "urban-management-bureau",
            "roads": "transport-bureau",
            "housing": "housing-bureau",
            "labour": "hrss-bureau",
            "market": "market-regulation",
            "education": "education-bureau",
            "health": "health-commission",
            "water": "water-bureau",
        },
    ),
    "jiading": (
        (31.23, 31.50, 121.10, 121.42),
        [
            ("嘉定镇街道", "street-jiadingzhen", 31.385, 121.250),
            ("新成路街道", "street-xinchenglu", 31.395, 121.265),
            ("真新街道", "street-zhenxin", 31.250, 121.380),
            ("南翔镇", "town-nanxiang", 31.300, 121.320),
            ("安亭镇", "town-anting", 31.300, 121.170),
            ("马陆镇", "town-malu", 31.330, 121.270),
            ("徐行镇", "town-xuhang", 31.430, 121.280),
            ("华亭镇", "town-huating", 31.460, 121.250),
            ("外冈镇", "town-waigang", 31.380, 121.170),
            ("江桥镇", "town-jiangqiao", 31.250, 121.330),
        ],
        {
            "noise": "public-security-branch",
            "environment": "ecology-env-bureau",
            "roads": "transport-commission",
            "housing": "construction-commission",
            "labour": "hrss-bureau",
            "market": "market-regulation",
            "education": "education-bureau",
            "health": "health-commission",
            "water": "water-bureau",
        },
    ),
}

# Category: (share, median hours to close, SLA days).
CATEGORIES = {
    "housing": (0.16, 60, 5),
    "city_appearance": (0.15, 30, 3),
    "noise": (0.12, 20, 3),
    "roads": (0.12, 50, 5),
    "environment": (0.10, 45, 5),
    "market": (0.10, 70, 7),
    "labour": (0.08, 90, 10),
    "water": (0.08, 28, 3),
    "education": (0.05, 80, 7),
    "health": (0.04, 60, 7),
}
CHANNELS = [("12345", 0.7), ("app", 0.2), ("web", 0.1)]
HEADER = [
    "service_request_id", "source", "service_name", "town", "agency_responsible",
    "lat", "long", "requested_datetime", "acknowledged_at", "closed_date",
    "reopened_at", "expected_datetime", "result", "satisfaction",
]


def pick(rng, weighted):
    x = rng.random() * sum(w for _, w in weighted)
    for v, w in weighted:
        if x < w:
            return v
        x -= w
    return weighted[-1][0]


def stamp(t):
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def main():
    rng = random.Random(SEED)
    start = dt.datetime(2025, 1, 1, tzinfo=CST)
    end = dt.datetime(2026, 1, 1, tzinfo=CST)
    cats = [(c, v[0]) for c, v in CATEGORIES.items()]
    for city, (box, towns, depts) in CITIES.items():
        lat0, lat1, long0, long1 = box
        # Busier towns first: weights fall off with the town's place.
        town_w = [(t, 1.0 / (i + 1) ** 0.6) for i, t in enumerate(towns)]
        rows = []
        for i in range(N):
            town, unit, clat, clong = pick(rng, town_w)
            cat = pick(rng, cats)
            _, median_h, sla_days = CATEGORIES[cat]
            dept = unit if cat == "city_appearance" else depts[cat]
            day = start + dt.timedelta(days=rng.randrange(365))
            accepted = day + dt.timedelta(hours=rng.uniform(8, 20))
            lat = lon = ""
            if rng.random() >= 0.08:
                la = min(max(rng.gauss(clat, 0.012), lat0), lat1)
                lo = min(max(rng.gauss(clong, 0.014), long0), long1)
                lat, lon = f"{la:.6f}", f"{lo:.6f}"
            ack = accepted + dt.timedelta(hours=rng.lognormvariate(math.log(1.5), 0.8))
            close = accepted + dt.timedelta(hours=rng.lognormvariate(math.log(median_h), 0.7))
            sla = accepted + dt.timedelta(days=sla_days)
            result = pick(rng, [("resolved", 0.75), ("explained", 0.18), ("not_resolved", 0.07)])
            reopened = ""
            problem = rng.random()
            if problem < 0.01:
                close = accepted - dt.timedelta(hours=rng.uniform(1, 48))
            elif problem < 0.05:
                close = accepted + dt.timedelta(minutes=rng.uniform(0.5, 3))
                ack = close
                result = "explained"
            elif problem < 0.08:
                reopened = stamp(close + dt.timedelta(days=rng.uniform(1, 5)))
            elif problem < 0.11:
                ack = None
            still_open = rng.random() < 0.03 or close >= end
            sat = ""
            if not still_open and rng.random() < 0.6:
                base = {"resolved": [0.02, 0.04, 0.12, 0.37, 0.45],
                        "explained": [0.12, 0.2, 0.3, 0.25, 0.13],
                        "not_resolved": [0.35, 0.3, 0.2, 0.1, 0.05]}[result]
                sat = str(pick(rng, list(zip(range(1, 6), base))))
            rows.append([
                f"{city[:2].upper()}-2025-{i + 1:06d}",
                pick(rng, CHANNELS),
                cat,
                town,
                dept,
                lat,
                lon,
                stamp(accepted),
                stamp(ack) if ack and not still_open or (ack and ack < end and still_open) else "",
                "" if still_open else stamp(close),
                "" if still_open else reopened,
                stamp(sla),
                "" if still_open else result,
                sat,
            ])
        rows.sort(key=lambda r: r[7])
        out = SAMPLES / city / "tickets.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(HEADER)
            w.writerows(rows)
        print(f"{out.relative_to(SAMPLES.parent.parent)}: {len(rows)} requests")


if __name__ == "__main__":
    main()
