#!/usr/bin/env python3
"""Network partition: one member of a three-node alliance is cut off while all
three go on publishing, then the network heals.

Run through `scripts/faults.sh partition [PUBLICATIONS]`:

    faults_partition.py BIN SAMPLES [PUBLICATIONS]     (default 100)

The three demonstration jurisdictions (Taicang, Kunshan, Jiading) are set up
with the ordinary commands (init, roster new/approve/join, run, import,
summary, crosswalk propose), Kunshan and Jiading with Taicang as their
bootstrap peer. PUBLICATIONS documents are then published round robin by the
three nodes (crosswalk endorsements; every tenth one a summary after an
observation correction): a fifth before the cut, three fifths while one node
is cut off (both sides publish, the cut-off node included), a fifth after the
heal.

Modes:
- `netns` (root and iproute2): each node runs in a network namespace of its
  own, joined by veth pairs to a bridge in a hub namespace; the nodes' p2p
  addresses are 10.77.0.1-3 inside those namespaces and each API listens on
  127.0.0.1 inside its namespace. The cut detaches the node's veth from the
  bridge (both ends stay up, packets are lost, as with a cut cable); the heal
  attaches it again.
- `process` (fallback): nodes on 127.0.0.1; the cut stops the node and starts
  it again with no bootstrap peers on another p2p port, so that it still
  publishes but nobody reaches it; the heal stops it and starts it with its
  own configuration.
DELTABENCH_PARTITION_MODE=auto|netns|process chooses (default auto: netns
when possible).

Other settings (environment):
- DELTABENCH_PARTITION_NODE: the node cut off, taicang, kunshan or jiading
  (default kunshan);
- DELTABENCH_PARTITION_SECS: the least duration of the cut (default 20);
- DELTABENCH_PARTITION_BOUND: seconds allowed for convergence after the heal
  (default 60). The nodes close the connections to the cut-off node when
  its pings go unanswered, so the heal goes through re-dialling (every 5 s,
  each attempt given up after 10 s) and the sync on connect;
- DELTABENCH_PARTITION_TCP_RETRIES: net.ipv4.tcp_retries2 in the nodes'
  namespaces (netns mode; otherwise the system's value). A small value (4:
  about 6 s) makes the kernel give up on silent connections before the
  pings do;
- DELTABENCH_PARTITION_LOGS: a folder to copy the node logs to.

Pass criterion: within the bound after the heal, every node holds exactly the
same set of documents, which contains every acknowledged publication; no
document is listed twice and no (issuer, seq) is held twice; every chain is
complete (seq 1 to its head); nothing is pending; no equivocation is recorded
and no document was refused as a chain conflict. While the cut lasts, no
document published on one side reaches the other (otherwise the cut did not
cut). In netns mode the nodes notice the cut within 60 s of it: the
cut-off node lists no peers and no one lists it (each node pings its peers
every 10 s and closes a connection whose ping goes unanswered for 10 s).
Prints PASS or FAIL; exits 1 on FAIL, 2 on a setup error, 130 when
interrupted.

Everything the scenario creates (processes, namespaces with their veths and
bridge, the temporary folder) is removed on exit, also on failure and on
Ctrl-C or SIGTERM. Every wait is bounded.
"""
import ctypes
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else ""
SAMPLES = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else ""
PUBLICATIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 100

MODE = os.environ.get("DELTABENCH_PARTITION_MODE", "auto")
CUT_NAME = os.environ.get("DELTABENCH_PARTITION_NODE", "kunshan")
CUT_SECS = float(os.environ.get("DELTABENCH_PARTITION_SECS", "20"))
# Seconds within which the nodes must notice the cut (netns mode).
LOSS_BOUND = 60.0
BOUND = float(os.environ.get("DELTABENCH_PARTITION_BOUND", "60"))
LOGS_TO = os.environ.get("DELTABENCH_PARTITION_LOGS", "")
_retries = os.environ.get("DELTABENCH_PARTITION_TCP_RETRIES", "")
TCP_RETRIES = int(_retries) if _retries else None

# Bounds of the individual waits, in seconds.
START_WAIT = 60.0
SETUP_WAIT = 120.0
COMMAND_WAIT = 120.0
HTTP_WAIT = 30.0
STOP_WAIT = 15.0

NODES = [
    # name, code, Chinese name, English name, framework id
    ("taicang", "320585", "太仓市", "Taicang", "taicang.hqd"),
    ("kunshan", "320583", "昆山市", "Kunshan", "kunshan.perf"),
    ("jiading", "310114", "嘉定区", "Jiading", "jiading.gov"),
]
ALLIANCE = "yrd.tax"
SUBNET = "10.77.0"
NS_API_PORT = 18080
NS_P2P_PORT = 4001
# Refusals that mean two documents competed for one chain position.
CONFLICT_REASONS = ("equivocation", "bad_chain_link", "key_mismatch", "roster_conflict")


class SetupError(Exception):
    """The scenario could not be set up (not a finding about the nodes)."""


class Failed(Exception):
    """The pass criterion was not met."""


def check(cond, what):
    if not cond:
        raise Failed(what)


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- namespaces

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
_ns_lock = threading.Lock()


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def in_namespace(ns, action):
    """Runs `action()` with this thread inside network namespace `ns` (None:
    where it is) and returns its result; the thread returns at once."""
    if ns is None:
        return action()
    with _ns_lock:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                _setns(target)
                try:
                    return action()
                finally:
                    _setns(own)
            finally:
                os.close(target)
        finally:
            os.close(own)


def ns_socket(ns):
    """A TCP socket created inside network namespace `ns` (None: this one).
    A socket stays in the namespace it was created in."""
    return in_namespace(ns, lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))


def set_tcp_retries(ns, retries):
    """Sets net.ipv4.tcp_retries2 (how many retransmissions before the kernel
    gives up on a connection) in namespace `ns`; /proc/sys/net answers for
    the namespace of the thread that opens it."""
    def write():
        with open("/proc/sys/net/ipv4/tcp_retries2", "w") as f:
            f.write(str(retries))
    in_namespace(ns, write)


class NsConnection(http.client.HTTPConnection):
    """An HTTP connection to 127.0.0.1:port inside a network namespace."""

    def __init__(self, ns, port, timeout):
        super().__init__("127.0.0.1", port, timeout=timeout)
        self.ns = ns

    def connect(self):
        s = ns_socket(self.ns)
        s.settimeout(self.timeout)
        try:
            s.connect(("127.0.0.1", self.port))
        except BaseException:
            s.close()
            raise
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s


def ip(*args, check_rc=True):
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=COMMAND_WAIT)
    if check_rc and r.returncode != 0:
        raise SetupError(f"ip {' '.join(args)}: {r.stderr.strip()}")
    return r


def netns_unavailable():
    """Why network namespaces cannot be used here, or None."""
    if shutil.which("ip") is None:
        return "iproute2 is not installed, there is no `ip` command (Debian: apt-get install iproute2)"
    if os.geteuid() != 0:
        return "not running as root"
    probe = f"dbprobe{os.getpid()}"
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return f"`ip netns add` failed: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=30)
    return None


def remove_stale_namespaces():
    """Namespaces left by an earlier run of this script that was killed
    outright (their names carry the process id of that run)."""
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith("dbpart") or "-" not in name:
            continue
        pid = name[len("dbpart"):].split("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"faults_partition" in f.read():
                    continue
        except OSError:
            pass
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
        log(f"   removed namespace {name} left by an earlier run")


class Network:
    """The hub namespace with its bridge, and one namespace per node."""

    def __init__(self, count):
        tag = str(os.getpid())
        self.hub = f"dbpart{tag}-hub"
        self.names = [f"dbpart{tag}-n{i}" for i in range(count)]
        # Interface names are at most 15 characters.
        short = tag[-6:]
        self.node_if = [f"dbn{short}x{i}" for i in range(count)]
        self.hub_if = [f"dbh{short}x{i}" for i in range(count)]
        self.created = []

    def address(self, i):
        return f"{SUBNET}.{i + 1}"

    def up(self):
        ip("netns", "add", self.hub)
        self.created.append(self.hub)
        ip("-n", self.hub, "link", "set", "lo", "up")
        ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        ip("-n", self.hub, "link", "set", "br0", "up")
        for i, ns in enumerate(self.names):
            ip("netns", "add", ns)
            self.created.append(ns)
            ip("-n", ns, "link", "set", "lo", "up")
            # Both ends are created directly in their namespaces.
            ip("-n", self.hub, "link", "add", self.hub_if[i], "type", "veth",
               "peer", "name", self.node_if[i], "netns", ns)
            ip("-n", ns, "addr", "add", f"{self.address(i)}/24", "dev", self.node_if[i])
            ip("-n", ns, "link", "set", self.node_if[i], "up")
            ip("-n", self.hub, "link", "set", self.hub_if[i], "master", "br0")
            ip("-n", self.hub, "link", "set", self.hub_if[i], "up")
            if TCP_RETRIES is not None:
                set_tcp_retries(ns, TCP_RETRIES)

    def cut(self, i):
        ip("-n", self.hub, "link", "set", self.hub_if[i], "nomaster")

    def heal(self, i):
        ip("-n", self.hub, "link", "set", self.hub_if[i], "master", "br0")

    def reachable(self, src, dst, port):
        """Whether a TCP connection from node `src`'s namespace to node
        `dst`'s p2p port opens within a second."""
        s = ns_socket(self.names[src])
        s.settimeout(1.0)
        try:
            s.connect((self.address(dst), port))
            return True
        except OSError:
            return False
        finally:
            s.close()

    def down(self):
        # Deleting a namespace destroys the veth ends and the bridge in it.
        for ns in reversed(self.created):
            ip("netns", "del", ns, check_rc=False)
        self.created = []


# --------------------------------------------------------------------- nodes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, index, root, ns, api_port, p2p_addr):
        self.index = index
        self.name, self.code, self.zh, self.en, self.framework = NODES[index]
        self.dir = os.path.join(root, self.name)
        self.config = os.path.join(self.dir, "node.toml")
        self.log_path = os.path.join(root, f"{self.name}.log")
        self.ns = ns
        self.api_port = api_port
        self.p2p_addr = p2p_addr
        self.proc = None
        self.admin = self.viewer = self.peer_id = self.public_key = None

    @property
    def api(self):
        return f"http://127.0.0.1:{self.api_port}"

    def prefix(self):
        return ["ip", "netns", "exec", self.ns] if self.ns else []

    # The node's own commands (import, summary, crosswalk) reach its API
    # from inside its namespace.
    def client(self, *args, timeout=COMMAND_WAIT):
        cmd = self.prefix() + [BIN, *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise SetupError(f"{self.en}: {' '.join(args[:2])} failed ({r.returncode}): "
                             f"{r.stderr.strip()[-800:]}")
        return r.stdout

    def request(self, method, path, body=None, token=None, timeout=HTTP_WAIT):
        conn = NsConnection(self.ns, self.api_port, timeout)
        try:
            headers = {"Authorization": f"Bearer {token or self.viewer}"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            ctype = r.getheader("Content-Type", "")
            if "json" in ctype:
                return r.status, json.loads(raw or b"null")
            return r.status, raw.decode(errors="replace")
        finally:
            conn.close()

    def get(self, path):
        s, v = self.request("GET", path)
        if s != 200:
            raise Failed(f"{self.en}: GET {path} answered {s}: {v}")
        return v

    def start(self):
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(self.prefix() + [BIN, "run", "--config", self.config],
                                         stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(f"{self.en}'s node exited with {self.proc.returncode}; "
                                 f"log:\n{tail(self.log_path)}")
            try:
                if self.request("GET", "/healthz", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SetupError(f"{self.en}'s node does not answer after {START_WAIT:.0f} s; "
                         f"log:\n{tail(self.log_path)}")

    def stop(self):
        """SIGTERM (a graceful stop), then SIGKILL after STOP_WAIT."""
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            p.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=STOP_WAIT)

    def documents(self):
        return self.get("/api/v1/documents")["documents"]


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"(no log: {e})"


def wait_until(what, cond, bound=SETUP_WAIT, every=0.25):
    deadline = time.monotonic() + bound
    while True:
        try:
            if cond():
                return
        except (OSError, http.client.HTTPException, Failed):
            pass
        if time.monotonic() > deadline:
            raise SetupError(f"timed out after {bound:.0f} s waiting for {what}")
        time.sleep(every)


def toml_with(text, **p2p):
    """`text` (a node.toml) with keys of its [p2p] section replaced."""
    out, section = [], ""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s
        key = s.split("=", 1)[0].strip() if "=" in s else ""
        if section == "[p2p]" and key in p2p:
            line = f"{key} = {json.dumps(p2p[key])}"
        out.append(line)
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ scenario

class Scenario:
    def __init__(self, root, mode, net):
        self.root, self.mode, self.net = root, mode, net
        self.nodes = []
        self.cut_index = [n[0] for n in NODES].index(CUT_NAME)
        self.acked = {}  # hash -> (node index, phase)
        self.original_config = None
        self.crosswalks = []
        self.observation = {}

    @property
    def cut_node(self):
        return self.nodes[self.cut_index]

    def setup(self):
        log("== 1. each office creates its node")
        for i in range(len(NODES)):
            if self.mode == "netns":
                node = Node(i, self.root, self.net.names[i], NS_API_PORT,
                            f"/ip4/{self.net.address(i)}/tcp/{NS_P2P_PORT}")
            else:
                node = Node(i, self.root, None, free_port(), f"/ip4/127.0.0.1/tcp/{free_port()}")
            args = ["init", "--jurisdiction", node.code, "--name-zh", node.zh, "--name-en", node.en,
                    "--dir", node.dir, "--api-listen", f"127.0.0.1:{node.api_port}",
                    "--p2p-listen", node.p2p_addr, "--json"]
            if i > 0:
                first = self.nodes[0]
                args += ["--bootstrap", f"{first.p2p_addr}/p2p/{first.peer_id}"]
            out = json.loads(subprocess.run([BIN, *args], check=True, capture_output=True,
                                            text=True, timeout=COMMAND_WAIT).stdout)
            node.admin, node.viewer = out["admin_token"], out["viewer_token"]
            node.peer_id, node.public_key = out["peer_id"], out["public_key"]
            self.nodes.append(node)
            where = f"namespace {node.ns}, p2p {node.p2p_addr}" if node.ns else f"p2p {node.p2p_addr}"
            log(f"   {node.en} ({node.code}): api 127.0.0.1:{node.api_port}, {where}")

        log("== 2. the alliance's roster: drafted, approved by two members, joined by all")
        roster = os.path.join(self.root, f"{ALLIANCE}.v1.json")
        members = []
        for n in self.nodes:
            members += ["--member", f"{n.code},{n.public_key},{n.zh},{n.en}"]
        run_bin("roster", "new", "--alliance", ALLIANCE, "--threshold", "2",
                "--reference-framework", ALLIANCE, "--recognition-quorum", "2", *members,
                "--out", roster)
        for n in self.nodes[:2]:
            run_bin("roster", "approve", "--config", n.config, "--roster", roster)
        for n in self.nodes:
            run_bin("roster", "join", "--config", n.config, "--roster", roster)

        log("== 3. each office starts its node")
        for n in self.nodes:
            n.start()
        wait_until("Kunshan and Jiading to connect to Taicang",
                   lambda: len(self.nodes[0].get("/api/v1/peers")["peers"]) >= 2)

        log("== 4. each office loads its data and publishes its summaries")
        for n in self.nodes:
            s = os.path.join(SAMPLES, n.name)
            api = ["--node", n.api, "--token", n.admin]
            n.client("import", *api, "--kind", "framework", f"{s}/framework.json")
            n.client("import", *api, "--kind", "units", f"{s}/units.json")
            n.client("import", *api, "--kind", "observations", f"{s}/observations-2024.csv")
            n.client("import", *api, "--kind", "observations", f"{s}/observations-2025.csv")
            for period in ("2024", "2025"):
                n.client("summary", *api, "--framework", n.framework, "--framework-version",
                         "1.0.0", "--period", period)
            with open(f"{s}/observations-2025.csv") as f:
                unit, indicator, period, value = f.read().splitlines()[2].split(",")[:4]
            self.observation[n.index] = (unit, indicator, period, float(value))

        log("== 5. Taicang publishes the reference framework and proposes the crosswalks")
        t = self.nodes[0]
        t.client("import", "--node", t.api, "--token", t.admin, "--kind", "framework",
                 f"{SAMPLES}/{ALLIANCE}/framework.json")
        for n in self.nodes[1:]:
            wait_until(f"Taicang to receive {n.framework}",
                       lambda n=n: t.request("GET", f"/api/v1/frameworks/{n.framework}")[0] == 200)
        folder = f"{SAMPLES}/{ALLIANCE}/crosswalks"
        files = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
        self.crosswalks = [f[:-len(".json")] for f in files]
        args = []
        for f in files:
            args += ["--file", os.path.join(folder, f)]
        t.client("crosswalk", "propose", "--node", t.api, "--token", t.admin, *args)
        for n in self.nodes[1:]:
            wait_until(f"{n.en} to receive the {len(files)} crosswalks",
                       lambda n=n: len(n.get("/api/v1/crosswalks")["crosswalks"]) >= len(files))

        log("== 6. the three nodes hold the same documents before the cut")
        start = time.monotonic()
        wait_until("the nodes to converge before the cut", lambda: self.converged(set()))
        held = len(self.nodes[0].documents())
        log(f"   {held} documents on every node ({time.monotonic() - start:.1f} s)")
        return held

    # Publications ------------------------------------------------------

    def publish(self, k, node, phase):
        """Publication number k by `node`; returns its hash once acknowledged."""
        if k % 10 == 9:
            unit, indicator, period, value = self.observation[node.index]
            row = [{"unit": unit, "indicator": indicator, "period": period,
                    "value": round(value * (1 - 0.0005 * (k + 1)), 6)}]
            s, v = node.request("POST", "/api/v1/observations", row, node.admin)
            check(s == 201, f"{node.en}: an observation correction answered {s}: {v}")
            s, v = node.request("POST", "/api/v1/summaries",
                                {"framework": node.framework, "version": "1.0.0", "period": period,
                                 "reason": f"partition scenario, correction {k}"}, node.admin)
            check(s == 201, f"{node.en}: a summary publication answered {s}: {v}")
            if v.get("created", True):
                return v["hash"], "summary"
        cw = self.crosswalks[k % len(self.crosswalks)]
        s, v = node.request("POST", f"/api/v1/crosswalks/{cw}/endorsements",
                            {"decision": "accept", "comment": f"partition scenario {phase} {k}"},
                            node.admin)
        check(s == 201, f"{node.en}: endorsing {cw} answered {s}: {v}")
        return v["hash"], "endorsement"

    def publish_range(self, ks, phase, seconds=0.0):
        """Publishes numbers `ks` round robin, spread over at least `seconds`."""
        start = time.monotonic()
        kinds = {}
        for j, k in enumerate(ks):
            due = start + seconds * j / max(1, len(ks))
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            node = self.nodes[k % len(self.nodes)]
            h, kind = self.publish(k, node, phase)
            check(h not in self.acked, f"{node.en}: publication {k} was answered with the hash "
                                       f"of an earlier one ({h})")
            self.acked[h] = (node.index, phase)
            kinds[kind] = kinds.get(kind, 0) + 1
        return kinds

    # The cut and the heal ---------------------------------------------

    def cut(self):
        n = self.cut_node
        if self.mode == "netns":
            self.net.cut(self.cut_index)
            others = [i for i in range(len(self.nodes)) if i != self.cut_index]
            for o in others:
                check(not self.net.reachable(self.cut_index, o, NS_P2P_PORT),
                      f"{n.en} still reaches {self.nodes[o].en} after the cut")
        else:
            n.stop()
            with open(n.config) as f:
                self.original_config = f.read()
            with open(n.config, "w") as f:
                f.write(toml_with(self.original_config, bootstrap=[],
                                  listen=[f"/ip4/127.0.0.1/tcp/{free_port()}"]))
            n.start()

    def heal(self):
        n = self.cut_node
        if self.mode == "netns":
            self.net.heal(self.cut_index)
        else:
            n.stop()
            with open(n.config, "w") as f:
                f.write(self.original_config)
            n.start()

    # Convergence --------------------------------------------------------

    def converged(self, acked, complete=None):
        """Whether every node holds the same documents, `acked` among them.
        `complete` (a dict) records the first call at which each node held
        every document of `acked`."""
        sets = []
        for n in self.nodes:
            docs = n.documents()
            hashes = {d["hash"] for d in docs}
            if complete is not None and n.index not in complete and acked <= hashes:
                complete[n.index] = time.monotonic()
            sets.append(hashes if len(hashes) == len(docs) else None)
        return all(s is not None and acked <= s and s == sets[0] for s in sets)

    def check_partition_held(self):
        """While cut, neither side has the other side's publications of the cut."""
        cut_side = {h for h, (i, p) in self.acked.items() if p == "cut" and i == self.cut_index}
        other_side = {h for h, (i, p) in self.acked.items() if p == "cut" and i != self.cut_index}
        for n in self.nodes:
            held = {d["hash"] for d in n.documents()}
            foreign = other_side if n.index == self.cut_index else cut_side
            leaked = held & foreign
            check(not leaked, f"the cut did not cut: {n.en} holds {len(leaked)} documents "
                              f"published on the other side during the cut")
        log(f"   during the cut: {len(cut_side)} publications by {self.cut_node.en} and "
            f"{len(other_side)} by the others, none crossed")
        # What each node believes about its peers at the end of the cut (a
        # finding to report, not a criterion).
        seen = []
        for n in self.nodes:
            peers = [p.get("jurisdiction") or "?" for p in n.get("/api/v1/peers")["peers"]]
            seen.append(f"{n.en} {sorted(peers)}")
        log(f"   peers listed at the end of the cut: {'; '.join(seen)}")

    def wait_peers_lost(self, t_cut):
        """The cut is noticed: the cut-off node lists no peers and the others
        no longer list it, within LOSS_BOUND of the cut (pings every 10 s,
        each answered within 10 s, else the connection is closed)."""
        cut = self.cut_node

        def lost():
            if cut.get("/api/v1/peers")["peers"]:
                return False
            return all(
                cut.peer_id not in {p.get("peer_id") for p in n.get("/api/v1/peers")["peers"]}
                for n in self.nodes if n is not cut)

        deadline = t_cut + LOSS_BOUND
        while not lost():
            check(time.monotonic() < deadline,
                  f"{LOSS_BOUND:.0f} s after the cut, {cut.en} or its peers still list each other")
            time.sleep(0.25)
        log(f"   the cut was noticed {time.monotonic() - t_cut:.1f} s after it "
            f"(bound {LOSS_BOUND:.0f} s): {cut.en} lists no peers, and no one lists {cut.en}")

    def final_checks(self):
        reference = None
        for n in self.nodes:
            docs = n.documents()
            hashes = [d["hash"] for d in docs]
            check(len(hashes) == len(set(hashes)), f"{n.en} lists a document twice")
            positions = [(d["issuer"], d["seq"]) for d in docs]
            check(len(positions) == len(set(positions)),
                  f"{n.en} holds two documents for one (issuer, seq)")
            chains = {}
            for issuer, seq in positions:
                chains.setdefault(issuer, []).append(seq)
            for issuer, seqs in chains.items():
                check(sorted(seqs) == list(range(1, len(seqs) + 1)),
                      f"{n.en}: the chain of {issuer} has gaps: {sorted(seqs)[:5]}...")
            missing = set(self.acked) - set(hashes)
            check(not missing, f"{n.en} lacks {len(missing)} acknowledged publications")
            if reference is None:
                reference = set(hashes)
            check(set(hashes) == reference, f"{n.en} holds another set of documents")
            ev = n.get("/api/v1/evidence")
            check(not ev["equivocations"], f"{n.en} records equivocation: {ev['equivocations']}")
            conflicts = {r: c for r, c in ev["rejected_by_reason"].items()
                         if r in CONFLICT_REASONS and c}
            check(not conflicts, f"{n.en} refused documents as chain conflicts: {conflicts}")
            others = {r: c for r, c in ev["rejected_by_reason"].items() if c}
            metrics = n.get("/metrics")
            pending = metric(metrics, "deltabench_documents_pending")
            check(pending == 0, f"{n.en} has {pending} documents pending")
            held = metric(metrics, "deltabench_documents_held")
            check(held == len(hashes), f"{n.en}: documents_held {held}, listed {len(hashes)}")
            peers = [p.get("jurisdiction") for p in n.get("/api/v1/peers")["peers"]]
            log(f"   {n.en}: {len(hashes)} documents, none pending, no equivocation, "
                f"synced {metric(metrics, 'deltabench_sync_documents_total'):.0f} by sync, "
                f"peers {sorted(p or '?' for p in peers)}"
                + (f", other refusals {others}" if others else ""))
        return len(reference)


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return float("nan")


def run_bin(*args):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=COMMAND_WAIT)
    if r.returncode != 0:
        raise SetupError(f"deltabench {' '.join(args[:2])} failed: {r.stderr.strip()[-800:]}")
    return r.stdout


def choose_mode():
    if MODE not in ("auto", "netns", "process"):
        raise SetupError(f"DELTABENCH_PARTITION_MODE={MODE}: expected auto, netns or process")
    if MODE == "process":
        return "process", "chosen by DELTABENCH_PARTITION_MODE=process"
    why = netns_unavailable()
    if why is None:
        return "netns", "network namespaces"
    if MODE == "netns":
        raise SetupError(f"network namespaces are not available: {why}")
    return "process", f"the fallback: no network namespaces, {why}"


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    if not BIN or not SAMPLES:
        print("usage: faults_partition.py DELTABENCH_BIN SAMPLES_DIR [PUBLICATIONS]", file=sys.stderr)
        return 2
    if CUT_NAME not in [n[0] for n in NODES]:
        print(f"DELTABENCH_PARTITION_NODE={CUT_NAME}: expected taicang, kunshan or jiading",
              file=sys.stderr)
        return 2
    if PUBLICATIONS < 10:
        print("PUBLICATIONS must be at least 10", file=sys.stderr)
        return 2
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupted)
    began = time.monotonic()
    root = tempfile.mkdtemp(prefix="deltabench-partition-")
    net = None
    scenario = None
    result = 2
    try:
        mode, why = choose_mode()
        retries = f"; tcp_retries2 {TCP_RETRIES}" if mode == "netns" and TCP_RETRIES is not None else ""
        log(f"mode: {mode} ({why}); {PUBLICATIONS} publications; "
            f"{CUT_NAME} cut off for at least {CUT_SECS:.0f} s{retries}")
        if mode == "netns":
            remove_stale_namespaces()
            net = Network(len(NODES))
            net.up()
        scenario = Scenario(root, mode, net)
        baseline = scenario.setup()

        before = max(1, PUBLICATIONS // 5)
        after = max(1, PUBLICATIONS // 5)
        during = PUBLICATIONS - before - after
        ks = list(range(PUBLICATIONS))
        log(f"== 7. {before} publications with everyone connected")
        scenario.publish_range(ks[:before], "before")

        log(f"== 8. {scenario.cut_node.en} cut off; {during} publications on both sides")
        t_cut = time.monotonic()
        scenario.cut()
        kinds = scenario.publish_range(ks[before:before + during], "cut", CUT_SECS)
        while time.monotonic() - t_cut < CUT_SECS:
            time.sleep(0.1)
        # Let gossip that could still cross do so before checking it did not.
        time.sleep(1.0)
        scenario.check_partition_held()
        if mode == "netns":
            scenario.wait_peers_lost(t_cut)
        cut_for = time.monotonic() - t_cut

        log(f"== 9. heal after {cut_for:.1f} s; {after} more publications")
        t_heal = time.monotonic()
        scenario.heal()
        scenario.publish_range(ks[before + during:], "after")
        t_last = time.monotonic()
        log(f"   publications ({kinds} during the cut) acknowledged: {len(scenario.acked)}; "
            f"the last {t_last - t_heal:.1f} s after the heal")

        log("== 10. waiting for every node to hold the same documents")
        acked = set(scenario.acked)
        deadline = t_heal + BOUND
        converged_at = None
        complete = {}
        while time.monotonic() <= deadline:
            try:
                if scenario.converged(acked, complete):
                    converged_at = time.monotonic()
                    break
            except (OSError, http.client.HTTPException) as e:
                log(f"   (a node did not answer: {e})")
            time.sleep(0.25)
        log("   every acknowledged publication held: " + ", ".join(
            f"{n.en} {complete[n.index] - t_heal:.1f} s" if n.index in complete
            else f"{n.en} not yet" for n in scenario.nodes) + " after the heal")
        if converged_at is None:
            counts = []
            for n in scenario.nodes:
                try:
                    held = {d["hash"] for d in n.documents()}
                    counts.append(f"{n.en} {len(held)} held, {len(acked - held)} acknowledged missing")
                except (OSError, http.client.HTTPException, Failed) as e:
                    counts.append(f"{n.en} unreadable ({e})")
            raise Failed(f"not converged within {BOUND:.0f} s of the heal: " + "; ".join(counts))
        total = scenario.final_checks()
        log(f"   {total} documents on every node ({baseline} before the publications, "
            f"{len(acked)} acknowledged publications)")
        log(f"converged in {converged_at - t_heal:.1f} s after the heal, "
            f"{converged_at - t_last:.1f} s after the last publication (bound {BOUND:.0f} s); "
            f"mode {mode}; the run took {time.monotonic() - began:.0f} s")
        log(f"PASS partition ({mode}, {PUBLICATIONS} publications, {CUT_NAME} cut off "
            f"{cut_for:.0f} s)")
        result = 0
    except Failed as e:
        log(f"FAIL partition: {e}")
        result = 1
    except SetupError as e:
        log(f"FAIL partition (setup): {e}")
        result = 2
    except KeyboardInterrupt as e:
        log(f"partition scenario interrupted ({e}); cleaning up")
        result = 130
    finally:
        # Further signals must not cut the cleanup short.
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        if scenario:
            for n in scenario.nodes:
                try:
                    n.stop()
                except Exception as e:  # noqa: BLE001 - cleanup goes on
                    log(f"   stopping {n.en}: {e}")
            if result in (1, 2):
                for n in scenario.nodes:
                    log(f"--- {n.en}'s log (last lines)\n{tail(n.log_path, 25)}")
            if LOGS_TO:
                os.makedirs(LOGS_TO, exist_ok=True)
                for n in scenario.nodes:
                    if os.path.exists(n.log_path):
                        shutil.copy(n.log_path, os.path.join(LOGS_TO, f"{n.name}.log"))
                log(f"   node logs copied to {LOGS_TO}")
        if net:
            net.down()
        shutil.rmtree(root, ignore_errors=True)
    return result


if __name__ == "__main__":
    sys.exit(main())
