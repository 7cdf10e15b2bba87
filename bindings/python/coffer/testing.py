"""An in-process coffer cluster for tests and notebooks.

    with coffer.testing.Cluster(3) as c:
        c.start()                   # open, bootstrap, elect
        keys = c.initialize()       # 5 shares, threshold 3
        c.unseal_all()
        admin = c.admin()           # the leader, as the root token's holder
        admin.enable_kv("secret")
        c.admin(2).kv_put("secret", "app", {"password": "s3cret"})

Nodes 1..n run in this process on temporary directories (removed at
close), joined by an in-memory transport: each node's send callback queues
the frame and a pump thread hands it to the destination's receive. Ticks
are 10 ms and fsync is off (a test cluster, not a durable one).
"""

import collections
import shutil
import tempfile
import threading
import time

from .errors import CofferError
from .node import Node


class MemoryNetwork:
    """Frames between nodes of one process; frames to a node not attached
    (stopped) or isolated are dropped."""

    def __init__(self):
        self._queue = collections.deque()
        self._cv = threading.Condition()
        self._deliver = threading.Lock()  # held while delivering
        self._nodes = {}
        self._isolated = set()
        self._stop = False
        self.delivered = 0
        self._pump = threading.Thread(target=self._run, name="coffer-pump",
                                      daemon=True)
        self._pump.start()

    def sender(self, from_id):
        def send(to, address, frame):
            with self._cv:
                if self._stop or len(self._queue) > 100000:
                    return
                self._queue.append((from_id, to, frame))
                self._cv.notify()
        return send

    def attach(self, node_id, node):
        with self._deliver:
            self._nodes[node_id] = node

    def detach(self, node_id):
        """Returns once no delivery to `node_id` runs."""
        with self._deliver:
            self._nodes.pop(node_id, None)

    def isolate(self, node_id):
        with self._deliver:
            self._isolated.add(node_id)

    def heal(self):
        with self._deliver:
            self._isolated.clear()

    def close(self):
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._pump.join()

    def _run(self):
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                from_id, to, frame = self._queue.popleft()
            with self._deliver:
                node = self._nodes.get(to)
                if node is None or {from_id, to} & self._isolated:
                    continue
                node.receive(frame)
                self.delivered += 1


class Cluster:
    """n coffer nodes (ids 1..n) in this process. Also a context manager."""

    def __init__(self, n=3, root=None, **node_options):
        self.n = n
        self._own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="coffer-py-")
        self.network = MemoryNetwork()
        self.nodes = {}
        self.options = dict(tick=0.01, sync=False)
        self.options.update(node_options)
        self.init = None

    @staticmethod
    def address(node_id):
        return f"node-{node_id}"

    def data_dir(self, node_id):
        return f"{self.root}/node-{node_id}"

    def start_node(self, node_id, **options):
        """Opens node `node_id` on its directory and connects it."""
        opts = dict(self.options, random_seed=node_id)
        opts.update(options)
        node = Node(node_id, self.address(node_id), self.data_dir(node_id),
                    self.network.sender(node_id), **opts)
        self.nodes[node_id] = node
        self.network.attach(node_id, node)
        return node

    def stop_node(self, node_id):
        """Disconnects and closes node `node_id` (its directory stays)."""
        node = self.nodes.pop(node_id, None)
        if node is not None:
            self.network.detach(node_id)
            node.close()

    def node(self, node_id):
        return self.nodes[node_id]

    def start(self, timeout=30.0):
        """Starts nodes 1..n, bootstraps them and waits for a leader."""
        peers = {i: self.address(i) for i in range(1, self.n + 1)}
        for i in peers:
            self.start_node(i)
        for i in peers:
            self.nodes[i].bootstrap(peers)
        return self.wait_for_leader(timeout)

    def wait_for_leader(self, timeout=30.0, ignore=()):
        """Waits until every running node not in `ignore` agrees on one
        running leader; returns its id. TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = set()
            for i, node in self.nodes.items():
                if i in ignore:
                    continue
                try:
                    seen.add(node.leader().leader_id)
                except CofferError:
                    seen.add(0)
            if len(seen) == 1:
                leader = seen.pop()
                if leader in self.nodes and leader not in ignore:
                    return leader
            time.sleep(0.01)
        raise TimeoutError("coffer.testing: no leader agreed on")

    def leader_node(self):
        return self.nodes[self.wait_for_leader()]

    def initialize(self, secret_shares=5, secret_threshold=3, timeout=30.0,
                   **kwargs):
        """Initializes the cluster through the leader; waits until every
        node has applied it. Returns (and keeps, as .init) the result."""
        self.init = self.leader_node().initialize(
            secret_shares, secret_threshold, **kwargs)
        deadline = time.monotonic() + timeout
        while not all(n.seal_status().initialized
                      for n in self.nodes.values()):
            if time.monotonic() > deadline:
                raise TimeoutError("coffer.testing: initialization not "
                                   "applied everywhere")
            time.sleep(0.01)
        return self.init

    def admin(self, node_id=None):
        """Node `node_id` (the leader when None) as the caller holding the
        root token of the last initialize()."""
        if self.init is None:
            raise RuntimeError("coffer.testing: not initialized")
        node = self.leader_node() if node_id is None else self.nodes[node_id]
        return node.as_caller(self.init.root_token)

    def unseal(self, node_id, keys=None):
        """Submits shares to node `node_id` until it is unsealed."""
        keys = keys if keys is not None else self.init.keys
        status = None
        for key in keys:
            status = self.nodes[node_id].unseal(key)
            if not status.sealed:
                return status
        return status

    def unseal_all(self, keys=None):
        for i in list(self.nodes):
            self.unseal(i, keys)

    def close(self):
        for i in list(self.nodes):
            self.stop_node(i)
        self.network.close()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
