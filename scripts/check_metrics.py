#!/usr/bin/env python3
"""Reads a node's /metrics answers with the prometheus_client parsers.

    check_metrics.py --classic FILE --openmetrics FILE

FILE holds the body of `GET /metrics`: --classic the answer to a request with
no Accept header (the classic text format 0.0.4), --openmetrics the answer to
the Accept header Prometheus sends (OpenMetrics 1.0.0). Each is parsed with
the parser for its format (prometheus_client.parser and
prometheus_client.openmetrics.parser). Both must parse, must type the
document counters as counters, must leave no family untyped, and must agree
on every document and evidence sample (those change only when documents
arrive; traffic counters may move between the two requests). Exits
non-zero, naming what differs, otherwise.
"""

import argparse
import sys

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as classic_families

COUNTERS = ("deltabench_documents_accepted", "deltabench_documents_rejected")


def samples(families):
    """Every counter and gauge sample, by (name, labels), and each family's type."""
    out, types = {}, {}
    for family in families:
        types[family.name] = family.type
        if family.type not in ("counter", "gauge"):
            continue
        for s in family.samples:
            if s.name.endswith("_created"):
                continue
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out, types


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classic", required=True)
    ap.add_argument("--openmetrics", required=True)
    args = ap.parse_args()
    failures = []

    with open(args.classic, encoding="utf-8") as f:
        classic_text = f.read()
    with open(args.openmetrics, encoding="utf-8") as f:
        om_text = f.read()

    try:
        classic, classic_types = samples(classic_families(classic_text))
    except Exception as e:  # the parser's own error, reported as such
        sys.exit(f"check_metrics: the classic parser refused the text format: {e}")
    try:
        om, om_types = samples(openmetrics_families(om_text))
    except Exception as e:
        sys.exit(f"check_metrics: the OpenMetrics parser refused OpenMetrics: {e}")

    # Both parsers name a counter family without `_total`.
    for name in COUNTERS:
        for fmt, types in (("classic", classic_types), ("openmetrics", om_types)):
            if types.get(name) != "counter":
                failures.append(f"{fmt}: {name} typed {types.get(name)!r}, not counter")
    untyped = sorted(n for n, t in classic_types.items() if t in ("unknown", "untyped"))
    if untyped:
        failures.append(f"classic: untyped families {untyped}")
    stable = ("deltabench_documents_", "deltabench_evidence_")
    classic = {k: v for k, v in classic.items() if k[0].startswith(stable)}
    om = {k: v for k, v in om.items() if k[0].startswith(stable)}
    if classic != om:
        only_c = sorted(set(classic) - set(om))[:5]
        only_o = sorted(set(om) - set(classic))[:5]
        differ = sorted(k for k in set(classic) & set(om) if classic[k] != om[k])[:5]
        failures.append(
            f"the formats disagree: only classic {only_c}, only OpenMetrics {only_o}, "
            f"values differ {differ}"
        )
    accepted = classic.get(("deltabench_documents_accepted_total", ()), 0)
    if accepted <= 0:
        failures.append("deltabench_documents_accepted_total is not above 0")

    for f in failures:
        print(f"check_metrics: {f}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(
        f"check_metrics: both parsers read the {len(classic)} document and evidence "
        f"samples alike ({len(classic_types)} families, all typed; documents "
        f"accepted {accepted:g})"
    )


if __name__ == "__main__":
    main()
