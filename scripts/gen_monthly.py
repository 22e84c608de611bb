#!/usr/bin/env python3
"""Writes the monthly series the demo forecasts from.

    python3 scripts/gen_monthly.py

For each demo jurisdiction, reads node-config/samples/<name>/framework.json
and its observations-2024.csv and observations-2025.csv, and writes
node-config/samples/<name>/observations-monthly.csv (unit,indicator,period,
value,target) with, for every unit and every indicator that is summed over
the year and scored against a target:

- the twelve months of 2023 (history: the 2024 value less the unit's
  growth from 2024 to 2025), and of 2024, summing to the year's value;
- the months January to September of 2025, nine twelfths of the way along a
  year that would sum to the unit's 2025 value.

Each year's months follow one seasonal profile (slow first quarter, a
December rush) with seeded noise of a few percent, so every run writes the
same bytes and a forecast made at September has something real to learn
from: a unit whose 2025 value falls short of its target is forecast to
miss it. Counts stay whole numbers. Standard library only.
"""

import csv
import json
import random
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "node-config" / "samples"
CITIES = ["taicang", "kunshan", "jiading"]
SEED = 20251001
PROFILE = [0.06, 0.06, 0.08, 0.08, 0.08, 0.09, 0.08, 0.08, 0.09, 0.09, 0.09, 0.12]
THROUGH = 9  # months of 2025 observed


def annual(path):
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out[(r["unit"], r["indicator"])] = (float(r["value"]), r.get("target") or "")
    return out


def months(total, rng, whole):
    """Twelve positive values summing to `total` (exactly, for whole counts)."""
    w = [p * (1.0 + rng.uniform(-0.04, 0.04)) for p in PROFILE]
    s = sum(w)
    vals = [total * x / s for x in w]
    if whole:
        # Largest remainders: whole, never negative, summing to the total.
        ints = [int(v) for v in vals]
        short = int(round(total)) - sum(ints)
        order = sorted(range(12), key=lambda m: vals[m] - ints[m], reverse=True)
        for m in order[:short]:
            ints[m] += 1
        return ints
    vals = [round(v, 2) for v in vals]
    vals[-1] = round(total - sum(vals[:-1]), 2)
    return vals


def fmt(v):
    if isinstance(v, int) or float(v).is_integer():
        return str(int(v))
    return f"{v:.2f}"


def main():
    rng = random.Random(SEED)
    for city in CITIES:
        d = SAMPLES / city
        fw = json.loads((d / "framework.json").read_text(encoding="utf-8"))
        tracked = [
            i["code"]
            for i in fw["indicators"]
            if i["aggregation"]["rule"] == "sum"
            and (i.get("scoring") or {}).get("rule") == "ratio_to_target"
        ]
        y24 = annual(d / "observations-2024.csv")
        y25 = annual(d / "observations-2025.csv")
        rows = []
        for (unit, ind), (v25, _) in sorted(y25.items()):
            if ind not in tracked or (unit, ind) not in y24:
                continue
            v24 = y24[(unit, ind)][0]
            whole = v24.is_integer() and v25.is_integer()
            growth = v25 / v24 if v24 > 0 else 1.0
            v23 = v24 / growth if growth > 0 else v24
            if whole:
                v23 = float(round(v23))
            for year, total in ((2023, v23), (2024, v24), (2025, v25)):
                ms = months(total, rng, whole)
                last = THROUGH if year == 2025 else 12
                for m in range(1, last + 1):
                    rows.append((unit, ind, f"{year}-{m:02d}", fmt(ms[m - 1]), ""))
        out = d / "observations-monthly.csv"
        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["unit", "indicator", "period", "value", "target"])
            w.writerows(rows)
        print(f"{out.relative_to(SAMPLES.parent.parent)}: {len(rows)} rows, indicators {', '.join(tracked)}")


if __name__ == "__main__":
    main()
