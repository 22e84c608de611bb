#!/usr/bin/env python3
"""Disk trouble: a node whose data directory fills up, or turns read-only.

Run through `scripts/faults.sh disk`. Needs root (it mounts a small tmpfs as
the node's folder). Prints PASS or FAIL and exits non-zero on FAIL.

Pass criterion: once the disk is full, writes answer 503 problem+json
naming storage and reads still answer; once it has room again and the node
is restarted, writes succeed and the data is exactly what was acknowledged.
On a read-only disk the node refuses to start with the cause on stderr, and
starts with its data intact once the disk is writable.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = sys.argv[1]
SAMPLES = sys.argv[2]
PORT = int(os.environ.get("DISK_FAULT_PORT", "18590"))
API = f"http://127.0.0.1:{PORT}"
WAIT = 30.0


def request(method, path, token, body=None, ctype="application/json"):
    req = urllib.request.Request(API + path, data=body, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), json.loads(e.read() or b"null")


class Node:
    def __init__(self, config, log):
        self.config, self.log, self.proc = config, log, None

    def start(self):
        self.proc = subprocess.Popen([BIN, "run", "--config", self.config],
                                     stdout=subprocess.PIPE, stderr=open(self.log, "a"), text=True)
        deadline = time.monotonic() + WAIT
        for line in self.proc.stdout:
            if "api listening on" in line:
                return
            if time.monotonic() > deadline:
                break
        raise SystemExit(f"FAIL disk: the node did not start; see {self.log}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def observations(token):
    s, _, v = request("GET", "/api/v1/observations?period=2025", token)
    check(s == 200, f"reading observations answered {s}: {v}")
    return {(o["unit"], o["indicator"], o["period"]): o["value"] for o in v["observations"]}


def write(token, value):
    row = [{"unit": "tax-bureau", "indicator": "attendance", "period": "2025", "value": value}]
    return request("POST", "/api/v1/observations", token, json.dumps(row).encode())


def refused_as_storage(status, ctype, body, what):
    check(status == 503, f"{what}: a write answered {status}: {body}")
    check(ctype.startswith("application/problem+json"), f"{what}: not problem+json: {ctype}")
    check("storage" in body.get("type", ""), f"{what}: {body}")
    check("disk is full" in body.get("detail", ""), f"{what}: the cause is not named: {body}")


def main():
    root = tempfile.mkdtemp(prefix="deltabench-disk-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", root], check=True)
    node = None
    try:
        out = subprocess.run([BIN, "init", "--jurisdiction", "320585", "--name-zh", "太仓市",
                              "--name-en", "Taicang", "--dir", f"{root}/n", "--api-listen",
                              f"127.0.0.1:{PORT}", "--p2p-listen", "/ip4/127.0.0.1/tcp/0", "--json"],
                             check=True, capture_output=True, text=True).stdout
        token = json.loads(out)["admin_token"]
        node = Node(f"{root}/n/node.toml", f"{tempfile.gettempdir()}/deltabench-disk-node.log")
        node.start()
        for kind, f in [("framework", "framework.json"), ("units", "units.json"),
                        ("observations", "observations-2025.csv")]:
            subprocess.run([BIN, "import", "--node", API, "--token", token, "--kind", kind,
                            f"{SAMPLES}/{f}"], check=True, capture_output=True)
        before = observations(token)

        # 1. The disk fills up: writes go on until one is refused.
        with open(f"{root}/filler", "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
            except OSError:
                pass
        acked, n = None, 0
        while True:
            n += 1
            check(n < 100_000, "no write was refused on a full disk")
            value = 50 + n / 1024
            s, c, v = write(token, value)
            if s != 201:
                refused_as_storage(s, c, v, "full disk")
                break
            acked = value
        for _ in range(3):
            s, c, v = write(token, 42.0)
            refused_as_storage(s, c, v, "full disk, again")
        s, _, _ = request("GET", "/api/v1/units", token)
        check(s == 200, f"reads stop on a full disk: {s}")
        print(f"   full disk: {n - 1} writes acknowledged, then 503 storage-unavailable; reads answer")

        # 2. Room again, and a restart: exactly the acknowledged data.
        os.remove(f"{root}/filler")
        node.stop()
        node.start()
        after = observations(token)
        key = ("tax-bureau", "attendance", "2025")
        want = dict(before)
        if acked is not None:
            want[key] = acked
        check(after == want, f"after the restart the data differs from what was acknowledged: "
                             f"{ {k: (want.get(k), after.get(k)) for k in set(want) | set(after) if want.get(k) != after.get(k)} }")
        s, _, v = write(token, 61.5)
        check(s == 201, f"a write after recovery answered {s}: {v}")
        print("   after room and a restart: data as acknowledged, writes succeed")

        # 3. A read-only disk (a mount cannot turn read-only under open files,
        # so the node is stopped first): the node refuses to start, saying
        # why, and starts with its data intact once the disk is writable.
        before = observations(token)
        node.stop()
        subprocess.run(["mount", "-o", "remount,ro", root], check=True)
        r = subprocess.run([BIN, "run", "--config", f"{root}/n/node.toml"],
                           capture_output=True, text=True, timeout=WAIT)
        check(r.returncode != 0, "the node started on a read-only disk")
        cause = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        check("read-only" in cause.lower() or "Read-only" in cause, f"the cause is not named: {r.stderr}")
        subprocess.run(["mount", "-o", "remount,rw", root], check=True)
        node.start()
        check(observations(token) == before, "after read-only: the data differs from what was acknowledged")
        s, _, v = write(token, 62.5)
        check(s == 201, f"a write after read-only answered {s}: {v}")
        print(f"   read-only disk: the node refuses to start ({cause}); writable again: data intact")
        print("PASS disk")
        return 0
    except AssertionError as e:
        print(f"FAIL disk: {e}")
        return 1
    finally:
        if node:
            node.stop()
        subprocess.run(["mount", "-o", "remount,rw", root], capture_output=True)
        subprocess.run(["umount", root], capture_output=True)
        os.rmdir(root)


if __name__ == "__main__":
    sys.exit(main())
