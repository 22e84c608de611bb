#!/usr/bin/env python3
"""Helpers of `scripts/load.sh delta`, standard library only.

  load_delta.py split BUNDLE OUTDIR SIZE      bundle -> OUTDIR/part-NNNN.json of SIZE documents
  load_delta.py import URL TOKEN OUTDIR        POSTs the parts in order; prints one JSON line
  load_delta.py feed URL TOKEN STREAM RATE SECONDS
                                              POSTs STREAM's documents at RATE per second for
                                              SECONDS (batches every 0.1 s); prints one JSON line
  load_delta.py lua FEDERATION PERIOD COUNT FILE
                                              writes a wrk script that rotates over the
                                              first COUNT reference indicators of
                                              FEDERATION (federation.json)

Every request failure is reported with the HTTP status and body, and the
script exits 1.
"""

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def post(url, token, body):
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        sys.exit(f"error: POST {url}: {e.code} {e.read()[:500]!r}")


def split(bundle, outdir, size):
    docs = json.loads(Path(bundle).read_text())["documents"]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(docs), size):
        part = out / f"part-{i // size:04}.json"
        part.write_text(json.dumps({"documents": docs[i : i + size]}))
    print(len(docs))


def import_parts(url, token, outdir):
    accepted = duplicates = rejected = 0
    t = time.monotonic()
    for part in sorted(Path(outdir).glob("part-*.json")):
        r = post(f"{url}/api/v1/bundle", token, part.read_bytes())
        accepted += r["accepted"]
        duplicates += r["duplicates"]
        rejected += len(r["rejected"])
        if r["rejected"]:
            print(f"{part.name}: rejected {r['rejected'][:3]}", file=sys.stderr)
    secs = time.monotonic() - t
    print(json.dumps({"accepted": accepted, "duplicates": duplicates, "rejected": rejected,
                      "seconds": secs, "per_second": accepted / secs if secs else 0}))
    if rejected:
        sys.exit(1)


def feed(url, token, stream, rate, seconds):
    docs = json.loads(Path(stream).read_text())["documents"]
    per_tick = max(1, round(rate / 10))
    sent = accepted = 0
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds and sent < len(docs):
        batch = docs[sent : sent + per_tick]
        r = post(f"{url}/api/v1/bundle", token, json.dumps({"documents": batch}).encode())
        accepted += r["accepted"]
        if r["rejected"]:
            sys.exit(f"error: stream documents refused: {r['rejected'][:3]}")
        sent += len(batch)
        tick += 1
        # Wait for the next tick on the schedule, never sleeping past it.
        delay = start + tick / 10 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    secs = time.monotonic() - start
    print(json.dumps({"sent": sent, "accepted": accepted, "seconds": secs,
                      "per_second": sent / secs if secs else 0,
                      "exhausted": sent >= len(docs)}))


def lua(federation, period, count, path):
    refs = json.loads(Path(federation).read_text())["indicators"][:count]
    paths = ", ".join(
        json.dumps(f"/api/v1/comparisons?indicator={r}&period={period}") for r in refs
    )
    Path(path).write_text(
        f"local paths = {{{paths}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        "  return wrk.format(\"GET\", paths[i])\n"
        "end\n"
    )
    print(len(refs))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "split":
        split(args[0], args[1], int(args[2]))
    elif cmd == "import":
        import_parts(*args)
    elif cmd == "feed":
        feed(args[0], args[1], args[2], float(args[3]), float(args[4]))
    elif cmd == "lua":
        lua(args[0], args[1], int(args[2]), args[3])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
