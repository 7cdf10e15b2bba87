"""Multi-process cofferd clusters for tests: start, drive over HTTP, clean up.

Only the standard library: subprocess for the daemons (each in its own
process group, so a test can kill -9 one and cleanup never leaves one
behind) and urllib for Vault's HTTP API. Every daemon listens on loopback
ports picked free by the kernel; every cluster lives in its own temporary
directory, removed when the cluster is closed, also after a failure.
"""

import json
import os
import signal
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COFFERD = os.environ.get(
    "COFFERD_BIN", os.path.join(ROOT, "build/examples/cofferd/cofferd"))
COFFER_CLI = os.environ.get(
    "COFFER_CLI_BIN", os.path.join(ROOT, "build/examples/cofferd/coffer"))

# Liveness bound for waits: generous, since the machine is shared.
WAIT_SECONDS = 60

# Secrets a cluster saw over HTTP (tokens, unseal keys, secret values, of
# at least this many characters, so that short ones cannot match by
# chance): when the cluster closes after a passing test, none may appear in
# any file it wrote (Cluster.check_no_secret_leaked).
MIN_SECRET_CHARS = 8
SECRET_FIELDS = ("root_token", "keys", "keys_base64", "recovery_keys",
                 "recovery_keys_base64", "client_token", "secret_id",
                 "password", "key", "token", "otp", "encoded_token",
                 "encoded_root_token")


def collect_secrets(out, value):
    """Adds every string of `value` (nested) to `out`."""
    if isinstance(value, str):
        if len(value) >= MIN_SECRET_CHARS:
            out.add(value)
    elif isinstance(value, dict):
        for v in value.values():
            collect_secrets(out, v)
    elif isinstance(value, list):
        for v in value:
            collect_secrets(out, v)


def collect_fields(out, body):
    """Adds the SECRET_FIELDS of `body` (and of its auth and data)."""
    if not isinstance(body, dict):
        return
    for part in (body, body.get("auth"), body.get("data")):
        if isinstance(part, dict):
            for name in SECRET_FIELDS:
                collect_secrets(out, part.get(name))


def free_ports(n):
    """n distinct free loopback TCP ports."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for(cond, what, timeout=WAIT_SECONDS):
    """Polls cond() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = cond()
        except (OSError, urllib.error.URLError, ValueError):
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        time.sleep(0.05)


class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body  # parsed JSON, or None
        self.headers = headers

    def __repr__(self):
        return f"Response({self.status}, {self.body!r})"


class Node:
    def __init__(self, cluster, node_id, api_port, cluster_port):
        self.cluster = cluster
        self.id = node_id
        self.api_port = api_port
        self.cluster_port = cluster_port
        self.dir = os.path.join(cluster.dir, f"node{node_id}")
        self.config_path = os.path.join(cluster.dir, f"node{node_id}.json")
        self.log_path = os.path.join(cluster.dir, f"node{node_id}.log")
        self.proc = None

    @property
    def scheme(self):
        return "https" if self.cluster.tls else "http"

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.api_port}"

    @property
    def cluster_addr(self):
        return f"127.0.0.1:{self.cluster_port}"

    def config(self):
        tcp = {
            "address": f"127.0.0.1:{self.api_port}",
            "cluster_address": self.cluster_addr,
        }
        if self.cluster.tls:
            tcp.update(self.cluster.tls.listener())
        else:
            tcp["tls_disable"] = True
        raft = {"path": self.dir, "node_id": str(self.id)}
        if self.cluster.bootstrap_ids and self.id in self.cluster.bootstrap_ids:
            raft["peers"] = [
                {"node_id": str(n.id), "cluster_addr": n.cluster_addr,
                 "api_addr": n.url}
                for n in self.cluster.nodes if n.id in self.cluster.bootstrap_ids
            ]
        else:
            join = self.cluster.join_api or self.cluster.nodes[0].url
            raft["retry_join"] = [{"leader_api_addr": join}]
        config = {
            "storage": {"raft": raft},
            "listener": {"tcp": tcp},
            "api_addr": self.url,
            "cluster_addr": self.cluster_addr,
            "disable_mlock": True,
            "coffer": {"tick": "50ms", "election_ticks": 10,
                       "request_timeout": "10s"},
        }
        if self.cluster.config_hook:
            self.cluster.config_hook(self, config)
        return config

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        with open(self.config_path, "w") as f:
            json.dump(self.config(), f, indent=2)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [COFFERD, "server", f"-config={self.config_path}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        wait_for(lambda: self.running() and self.get("sys/seal-status").status
                 == 200, f"node {self.id} serving its API")

    def run_to_exit(self, timeout=WAIT_SECONDS):
        """Starts the node as start() does, for a node expected to refuse
        to start: waits for its exit and returns the exit status (fails if
        it is still running after timeout)."""
        assert self.proc is None or self.proc.poll() is not None
        with open(self.config_path, "w") as f:
            json.dump(self.config(), f, indent=2)
        with open(self.log_path, "ab") as log:
            proc = subprocess.Popen(
                [COFFERD, "server", f"-config={self.config_path}"],
                stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            return proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Sends sig to the node's process group and waits for its exit."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def stop(self):
        self.kill(signal.SIGTERM)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    # --- HTTP -------------------------------------------------------------

    def request(self, method, path, body=None, token=None, headers=None,
                timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/v1/{path}", data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        token = self.cluster.token if token is None else token
        if token:
            req.add_header("X-Vault-Token", token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        ctx = self.cluster.tls.client_context() if self.cluster.tls else None
        try:
            with urllib.request.urlopen(req, timeout=timeout,
                                        context=ctx) as r:
                raw, status, hdrs = r.read(), r.status, r.headers
        except urllib.error.HTTPError as e:
            raw, status, hdrs = e.read(), e.code, e.headers
        parsed = json.loads(raw) if raw.strip() else None
        seen = self.cluster.secrets
        collect_secrets(seen, token)
        collect_fields(seen, body)
        collect_fields(seen, parsed)
        if isinstance(body, dict) and "/data/" in path:
            collect_secrets(seen, body.get("data"))  # a KV v2 write
        return Response(status, parsed, hdrs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {},
                            **kw)

    def unseal(self, keys):
        r = None
        for k in keys:
            r = self.post("sys/unseal", {"key": k})
            assert r.status == 200, r
        assert r.body["sealed"] is False, r
        return r

    def is_leader(self):
        r = self.get("sys/leader", timeout=5)
        return r.status == 200 and r.body["is_self"]


class Tls:
    """A CA and one certificate per node for 127.0.0.1, made with openssl."""

    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")
        self.cert = os.path.join(directory, "node.pem")
        self.key = os.path.join(directory, "node-key.pem")
        ca_key = os.path.join(directory, "ca-key.pem")
        ext = os.path.join(directory, "ext.cnf")
        os.makedirs(directory, exist_ok=True)
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n")
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key,
            "-out", self.ca, "-days", "2", "-subj", "/CN=coffer test CA")
        csr = os.path.join(directory, "node.csr")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.key,
            "-out", csr, "-subj", "/CN=127.0.0.1")
        run("openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
            ca_key, "-CAcreateserial", "-out", self.cert, "-days", "2",
            "-extfile", ext)

    def listener(self):
        return {"tls_cert_file": self.cert, "tls_key_file": self.key,
                "tls_client_ca_file": self.ca}

    def client_context(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


class Cluster:
    """n cofferd processes; a context manager that always cleans up.

    bootstrap: how many of the nodes are initial voters (the first ones);
    the others start with retry_join to node 1 (or to join_api).
    config_hook: called as config_hook(node, config) with each node's JSON
    configuration (a dict) before it is written, to add or change keys.
    """

    def __init__(self, n=3, tls=False, bootstrap=None, start=True,
                 join_api=None, config_hook=None):
        self.dir = tempfile.mkdtemp(prefix="coffer-cluster-")
        self.tls = Tls(self.dir) if tls else None
        self.token = None
        self.keys = None
        self.secrets = set()
        self.join_api = join_api  # retry_join's address (default: node 1)
        self.config_hook = config_hook
        ports = free_ports(2 * n)
        self.nodes = [Node(self, i + 1, ports[2 * i], ports[2 * i + 1])
                      for i in range(n)]
        count = n if bootstrap is None else bootstrap
        self.bootstrap_ids = {node.id for node in self.nodes[:count]}
        self.closed = False
        if start:
            try:
                for node in self.nodes:
                    node.start()
            except BaseException:
                self.close()
                raise

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            for node in self.nodes:
                print(f"--- node {node.id} log ---\n{node.log()}")
        self.close(check=exc_type is None)
        return False

    def close(self, check=False):
        """Stops every node and removes the directory; with check, first
        checks that no secret leaked into a file."""
        if self.closed:
            return
        self.closed = True
        for node in self.nodes:
            node.kill()
        try:
            if check:
                self.check_no_secret_leaked()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def check_no_secret_leaked(self):
        """No secret in clear in any file of the cluster's directory: every
        node's log, audit files, and the data directories (raft log,
        LevelDB tables, snapshots), which hold values encrypted and tokens
        only as keyed hashes."""
        leaks = []
        paths = [os.path.join(top, name)
                 for top, _, files in os.walk(self.dir) for name in files]
        for path in paths:
            with open(path, "rb") as f:
                content = f.read()
            for secret in self.secrets:
                if secret.encode() in content:
                    leaks.append(f"{os.path.relpath(path, self.dir)}: "
                                 f"{secret[:4]}... ({len(secret)} chars)")
        assert not leaks, "secrets in logs or audit files:\n" + "\n".join(
            sorted(leaks))

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def running(self):
        return [n for n in self.nodes if n.running()]

    def leader(self, among=None):
        """The node that reports itself leader (waits for one)."""
        nodes = among or self.running()
        return wait_for(
            lambda: next((n for n in nodes if n.running() and n.is_leader()),
                         None), "a leader")

    def settled(self):
        """Waits until every running initial member knows the same leader."""
        members = [n for n in self.running() if n.id in self.bootstrap_ids]

        def agreed():
            seen = {n.get("sys/leader").body["leader_cluster_address"]
                    for n in members}
            return len(seen) == 1 and "" not in seen
        wait_for(agreed, "every node knows the leader")
        return self.leader(among=members)

    def init(self, via=None, shares=3, threshold=2):
        via = via or self.nodes[-1]
        self.settled()
        r = via.request("PUT", "sys/init", {"secret_shares": shares,
                                            "secret_threshold": threshold},
                        token="")
        assert r.status == 200, r
        self.keys = r.body["keys"]
        self.token = r.body["root_token"]
        return r.body

    def unseal_all(self, among=None):
        for node in among or self.running():
            wait_for(lambda: node.get("sys/seal-status").body["initialized"],
                     f"node {node.id} sees the initialization")
            node.unseal(self.keys[:2])

    def first_members_ready(self, first):
        """For a cluster whose later nodes join: `first` elect a leader,
        are initialized and unsealed; secret/ is enabled and holds
        secret/before."""
        self.leader(among=first)
        self.init(via=first[0])
        self.unseal_all(among=first)
        assert first[0].post("sys/mounts/secret",
                             {"type": "kv-v2"}).status == 204
        assert first[1].post("secret/data/before",
                             {"data": {"v": "1"}}).status == 200

    def initialized(self, mount="secret"):
        """Waits for a leader, initializes, unseals all, enables a kv-v2."""
        self.leader()
        self.init()
        self.unseal_all()
        r = self.nodes[0].post(f"sys/mounts/{mount}", {"type": "kv-v2"})
        assert r.status == 204, r
