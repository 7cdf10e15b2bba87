"""Real faults on real cofferd processes: cluster, workload and nemeses.

A ChaosCluster is tests/cluster's Cluster whose nodes advertise the
address of a fault proxy (proxy.py) as their cluster_addr and listen for
peers on another port, so every node -> node frame passes the test's
proxy. The workload (Client threads) runs KV v2 puts, check-and-set puts
and linearizable reads through every node and records each operation as
a linearizability.Op; the nemesis schedule (run_schedule) injects one
fault at a time, heals it, and waits until the cluster serves again.

Every wait is bounded in time; every process is killed when the cluster
closes, also after a failure.
"""

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "cluster"))

from cluster import COFFERD, Cluster, Node, free_ports, wait_for  # noqa: E402
from linearizability import INF, Op  # noqa: E402
from proxy import Proxies  # noqa: E402

# cofferd's timing in these clusters: 50 ms ticks, elections after 10 to
# 20 ticks (0.5 to 1 s).
TICK = 0.05
ELECTION_TIMEOUT = 10 * TICK
# A client gives up on an operation after this long (outcome unknown); the
# daemons give up on a request after REQUEST_TIMEOUT.
CLIENT_TIMEOUT = 8.0
REQUEST_TIMEOUT = "5s"
# How long the cluster may take to serve again after a fault is healed.
# Generous: CI is a shared 2-core machine.
RECOVERY_SECONDS = 120
# Operations on one key before clients move to fresh keys: keeps each
# key's history (and the checker's search) small.
OPS_PER_KEY = 30
KEYS_AT_ONCE = 3


# libfaketime (Debian's faketime package): when present, every node runs
# under it with a per-node offset file, so a nemesis can step the node's
# wall clock (CLOCK_REALTIME) while it runs. The monotonic clock is left
# alone (FAKETIME_DONT_FAKE_MONOTONIC): real clocks step, monotonic ones
# do not. The offset file is re-read once a second.
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def faketime_available():
    return (os.path.exists(FAKETIME_LIB)
            and os.environ.get("COFFER_CHAOS_FAKETIME", "1") != "0")


def log(msg):
    print(f"[{time.monotonic():10.3f}] {msg}", flush=True)


class ChaosNode(Node):
    """A cofferd whose peers reach it through proxy port cluster_port."""

    def __init__(self, cluster, node_id, api_port, listen_port, proxy_port,
                 faketime=False):
        super().__init__(cluster, node_id, api_port, proxy_port)
        self.listen_port = listen_port
        self.paused = False
        self.env = None
        self.clock_file = os.path.join(cluster.dir, f"node{node_id}.clock")
        if faketime:
            self.set_clock("+0")
            self.env = dict(os.environ, LD_PRELOAD=FAKETIME_LIB,
                            FAKETIME_TIMESTAMP_FILE=self.clock_file,
                            FAKETIME_CACHE_DURATION="1",
                            FAKETIME_DONT_FAKE_MONOTONIC="1")

    def set_clock(self, offset):
        """Steps this node's wall clock to real time + offset ("+0",
        "-2h", "+1d": libfaketime's syntax), within about a second."""
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(offset + "\n")
        os.replace(tmp, self.clock_file)

    def config(self):
        c = super().config()
        c["listener"]["tcp"]["cluster_address"] = \
            f"127.0.0.1:{self.listen_port}"
        c["coffer"]["request_timeout"] = REQUEST_TIMEOUT
        return c

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        with open(self.config_path, "w") as f:
            json.dump(self.config(), f, indent=2)
        log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [COFFERD, "server", f"-config={self.config_path}"],
            stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, env=self.env)
        log_file.close()
        self.paused = False
        wait_for(lambda: self.running() and self.get(
            "sys/seal-status", timeout=5).status == 200,
            f"node {self.id} serving its API")

    def send(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def pause(self):
        self.send(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.send(signal.SIGCONT)
        self.paused = False

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.paused:
            self.resume()  # a stopped process would not act on SIGTERM
        super().kill(sig)


class ChaosCluster(Cluster):
    """before_start(cluster), if given, runs before the daemons start;
    cleanups (callables) run after they were killed, before the cluster's
    directory is removed. faketime: the nodes run under libfaketime (for
    the clock nemeses; requires faketime_available())."""

    def __init__(self, n, rng, before_start=None, faketime=False):
        super().__init__(n, start=False)
        self.cleanups = []
        ports = free_ports(3 * n)
        self.nodes = [ChaosNode(self, i + 1, ports[3 * i], ports[3 * i + 1],
                                ports[3 * i + 2], faketime)
                      for i in range(n)]
        self.proxies = None
        try:
            self.proxies = Proxies(
                {x.id: x.listen_port for x in self.nodes},
                {x.id: x.cluster_port for x in self.nodes},
                random.Random(rng.random()))
            if before_start is not None:
                before_start(self)
            for node in self.nodes:
                node.start()
        except BaseException:
            self.close()
            raise

    def close(self, check=False):
        """Stops the nodes; with check, looks for leaked secrets while the
        nodes' filesystems are still mounted; then undoes the faults."""
        if self.closed:
            return
        for node in self.nodes:
            node.kill()
        try:
            if check:
                self.check_no_secret_leaked()
        finally:
            for fn in reversed(self.cleanups):
                fn()
            if self.proxies is not None:
                self.proxies.close()
            super().close()

    def live(self):
        """Nodes running and not paused."""
        return [x for x in self.nodes if x.running() and not x.paused]

    def leader_now(self):
        """The live node that says it leads and is unsealed, or None."""
        for x in self.live():
            try:
                r = x.get("sys/leader", timeout=3)
                if r.status == 200 and r.body["is_self"]:
                    return x
            except (OSError, http.client.HTTPException, ValueError):
                continue
        return None


# --- operations over HTTP ---------------------------------------------------

def call(node, method, path, body=None, token=None, timeout=CLIENT_TIMEOUT,
         headers=None):
    """(status, parsed body) or raises OSError / HTTPException."""
    conn = http.client.HTTPConnection("127.0.0.1", node.api_port,
                                      timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = dict(headers or {})
        headers["X-Vault-Token"] = token or node.cluster.token
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, f"/v1/{path}", body=data, headers=headers)
        r = conn.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw.strip() else None)
    finally:
        conn.close()


def perform(node, op, stale=False):
    """Runs op (an Op with key, kind, value, cas, call set) on node and
    fills in its outcome; a read is linearizable unless `stale`.
    Client-side failures never raise."""
    op.node = node.id
    try:
        if op.kind == "read":
            status, body = call(node, "GET", f"secret/data/{op.key}",
                                headers={"X-Coffer-Consistency": "stale"}
                                if stale else None)
        else:
            req = {"data": {"v": op.value}}
            if op.kind == "cas":
                req["options"] = {"cas": op.cas}
            status, body = call(node, "POST", f"secret/data/{op.key}", req)
    except (OSError, http.client.HTTPException, ValueError) as e:
        op.status, op.error = "unknown", type(e).__name__
        return op
    now = time.monotonic()
    if op.kind == "read":
        if status == 200:
            op.version = body["data"]["metadata"]["version"]
            op.out = body["data"]["data"]["v"]
            op.status, op.ret = "ok", now
        elif status == 404 and not (body or {}).get("data"):
            op.version, op.out, op.status, op.ret = 0, None, "ok", now
        else:
            op.status, op.error = "unknown", f"{status} {errors(body)}"
        return op
    if status == 200:
        op.version = body["data"]["version"]
        op.status, op.ret = "ok", now
    elif (status == 400 and op.kind == "cas"
          and "check-and-set" in errors(body)):
        op.status, op.ret, op.error = "fail", now, "cas mismatch"
    elif status in (413, 429):
        # Refused before it ran (a full disk, too many requests): it took
        # no effect, and is no check-and-set answer either.
        op.status, op.ret, op.error = "refused", now, f"{status} {errors(body)}"
    elif status >= 500:
        op.error = f"{status} {errors(body)}"  # unknown
    else:
        # Anything else is the harness's mistake: record it as definitely
        # failed, and the run counts it (and fails on it).
        op.status, op.ret, op.error = "fail", now, f"{status} {errors(body)}"
    return op


def errors(body):
    return "; ".join((body or {}).get("errors", []) or [])


# --- the workload -----------------------------------------------------------

class Workload:
    """Client threads over the cluster's nodes; a shared history."""

    def __init__(self, cluster, rng, clients):
        self.cluster = cluster
        self.lock = threading.Lock()
        self.history = []
        self.started = 0          # operations started (key rotation)
        self.seq = 0              # makes every written value unique
        self.known = {}           # key -> highest version seen ok
        self.stop = threading.Event()
        self.threads = [threading.Thread(
            target=self._client, args=(i, random.Random(rng.random())),
            daemon=True, name=f"client-{i}") for i in range(clients)]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=CLIENT_TIMEOUT + 30)
            assert not t.is_alive(), f"{t.name} did not stop"

    def current_keys(self):
        with self.lock:
            gen = self.started // OPS_PER_KEY // KEYS_AT_ONCE
        return [f"g{gen}k{j}" for j in range(KEYS_AT_ONCE)]

    def record(self, op):
        with self.lock:
            self.history.append(op)
            if op.status == "ok" and op.version:
                self.known[op.key] = max(self.known.get(op.key, 0),
                                         op.version)

    def new_op(self, client, rng, kind, key=None):
        with self.lock:
            self.started += 1
            self.seq += 1
            n = self.seq
        key = key or rng.choice(self.current_keys())
        op = Op(key, kind, time.monotonic(), client=client)
        if kind != "read":
            op.value = f"c{client}-{n}"
        if kind == "cas":
            with self.lock:
                v = self.known.get(key, 0)
            # Mostly the latest version seen (contended), sometimes older.
            op.cas = v if rng.random() < 0.75 else max(0, v - 1)
        return op

    def run_op(self, node, op):
        perform(node, op)
        self.record(op)
        return op

    def _client(self, i, rng):
        # Bounded by the stop event; each operation by CLIENT_TIMEOUT.
        while not self.stop.is_set():
            nodes = [x for x in self.cluster.nodes if x.running()]
            if not nodes:
                time.sleep(0.05)
                continue
            node = rng.choice(nodes)
            kind = rng.choices(["read", "put", "cas"], [4, 3, 3])[0]
            op = self.run_op(node, self.new_op(i, rng, kind))
            if op.status != "ok":
                time.sleep(rng.uniform(0.01, 0.1))

    def errors(self):
        """How often each error ended an operation that was not ok."""
        out = {}
        with self.lock:
            for op in self.history:
                if op.status != "ok":
                    e = op.error.split(";")[0][:60]
                    out[e] = out.get(e, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def counts(self):
        out = {}
        with self.lock:
            for op in self.history:
                k = f"{op.kind}:{op.status}"
                out[k] = out.get(k, 0) + 1
        return out


# --- recovery ---------------------------------------------------------------

def wait(cond, what, timeout=RECOVERY_SECONDS):
    """Polls cond() until true (errors count as false); returns the value."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = cond()
        except (OSError, http.client.HTTPException, ValueError, KeyError,
                TypeError):
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for: "
                                 f"{what}")
        time.sleep(0.1)


def restart(cluster, node):
    """Starts a killed node again and unseals it (its seal status tells
    which share it needs next, so a lost answer is no problem)."""
    node.start()

    def unsealed():
        status, body = call(node, "GET", "sys/seal-status", timeout=5)
        if status != 200:
            return False
        if not body["sealed"]:
            return True
        key = cluster.keys[body.get("progress", 0) % 2]
        call(node, "POST", "sys/unseal", {"key": key}, timeout=10)
        return False
    wait(unsealed, f"node {node.id} unsealed")


def healthy(cluster):
    """True once a leader answers a write and every node is unsealed and
    agrees who leads."""
    leaders = set()
    for x in cluster.nodes:
        if not x.running() or x.paused:
            return False
        status, body = call(x, "GET", "sys/leader", timeout=5)
        if status != 200 or not body.get("leader_cluster_address"):
            return False
        leaders.add(body["leader_cluster_address"])
        status, body = call(x, "GET", "sys/seal-status", timeout=5)
        if status != 200 or body["sealed"]:
            return False
    if len(leaders) != 1:
        return False
    status, _ = call(cluster.nodes[0], "POST", "secret/data/health",
                     {"data": {"v": "ok"}}, timeout=10)
    return status == 200


def wait_healthy(cluster, what, timeout=RECOVERY_SECONDS):
    start = time.monotonic()
    wait(lambda: healthy(cluster), f"the cluster serves again ({what})",
         timeout)
    return time.monotonic() - start


def _read_ok(r):
    return r if r[0] in (200, 404) else None


def final_state(cluster, keys):
    """{node_id: {key: {version: value}}}: every version of every key, as
    each node reads it (linearizable reads), one thread per node."""
    out, failures = {}, []

    def read_all(x):
        try:
            state = {}
            for key in keys:
                status, body = wait(lambda: _read_ok(call(
                    x, "GET", f"secret/metadata/{key}", timeout=10)),
                    f"node {x.id} reads {key}'s metadata", timeout=60)
                versions = {}
                if status == 200:
                    for v in sorted(int(s) for s in body["data"]["versions"]):
                        s2, b2 = wait(lambda: _read_ok(call(
                            x, "GET", f"secret/data/{key}?version={v}",
                            timeout=10)),
                            f"node {x.id} reads {key} v{v}", timeout=60)
                        if s2 == 200:
                            versions[v] = b2["data"]["data"]["v"]
                state[key] = versions
            out[x.id] = state
        except BaseException as e:  # noqa: BLE001 (reported below)
            failures.append(e)

    threads = [threading.Thread(target=read_all, args=(x,), daemon=True)
               for x in cluster.nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    if failures:
        raise failures[0]
    assert len(out) == len(cluster.nodes), "final reads did not finish"
    return out


def save_history(path, seed, history, events):
    with open(path, "w") as f:
        json.dump({"seed": seed, "events": events,
                   "ops": [dict(op.__dict__, ret=None if op.ret == INF
                                else op.ret) for op in history]}, f)
