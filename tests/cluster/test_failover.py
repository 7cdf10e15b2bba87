"""A three-process cluster loses its leader under a write load."""

import http.client
import os
import random
import threading
import time

from cluster import Cluster, wait_for

# Bounds of the load: this many acknowledged writes or this many seconds.
WRITES = 600
SECONDS = 60


class Writer(threading.Thread):
    """Writes w<n>/<i> = <n>-<i> through random live nodes; records acks."""

    def __init__(self, cluster, n, stop, rng):
        super().__init__(daemon=True)
        self.cluster, self.n, self.stop, self.rng = cluster, n, stop, rng
        self.acked = {}  # key -> value, for every write answered 200
        self.failed = 0

    def run(self):
        i = 0
        while not self.stop.is_set():
            nodes = [x for x in self.cluster.nodes if x.running()]
            node = self.rng.choice(nodes)
            key, value = f"w{self.n}/{i}", f"{self.n}-{i}"
            try:
                r = node.post(f"secret/data/{key}", {"data": {"v": value}},
                              timeout=15)
            except (OSError, http.client.HTTPException, ValueError):
                r = None  # the node died under us: unknown outcome
            if r is not None and r.status == 200:
                self.acked[key] = value
                i += 1
            else:
                self.failed += 1
                time.sleep(0.02)


def servers(node):
    r = node.get("sys/storage/raft/configuration")
    assert r.status == 200, r
    return r.body["data"]["config"]["servers"]


def total(writers):
    return sum(len(w.acked) for w in writers)


def test_kill_leader_under_load_loses_no_acknowledged_write():
    seed = int(os.environ.get("COFFER_TEST_SEED", time.time_ns() % 100000))
    print(f"seed {seed} (set COFFER_TEST_SEED to repeat)")
    rng = random.Random(seed)
    with Cluster(3) as c:
        c.initialized()
        stop = threading.Event()
        writers = [Writer(c, n, stop, random.Random(rng.random()))
                   for n in range(3)]
        start = time.monotonic()
        for w in writers:
            w.start()
        try:
            wait_for(lambda: total(writers) >= WRITES // 4, "first writes")
            old = c.leader()
            before = total(writers)
            killed = time.monotonic()
            old.kill()  # SIGKILL to its process group
            survivors = c.running()
            new = c.leader(among=survivors)
            assert new.id != old.id
            at_failover = total(writers)
            print(f"new leader {new.id} after "
                  f"{time.monotonic() - killed:.2f} s; {before} writes "
                  f"acknowledged before the kill")
            wait_for(lambda: total(writers) >= WRITES or
                     time.monotonic() - start > SECONDS, "more writes")
        finally:
            stop.set()
            for w in writers:
                w.join(timeout=30)
        acked = {}
        for w in writers:
            acked.update(w.acked)
        print(f"{len(acked)} writes acknowledged, "
              f"{sum(w.failed for w in writers)} failed or unknown, "
              f"in {time.monotonic() - start:.1f} s")
        # Writes went on after the failover.
        assert len(acked) > at_failover

        # Every acknowledged write is on the new leader and on the follower.
        for node in c.running():
            for key, value in acked.items():
                r = node.get(f"secret/data/{key}")
                assert r.status == 200, (node.id, key, r)
                assert r.body["data"]["data"] == {"v": value}, (node.id, key)

        # The old leader comes back sealed, is unsealed, and catches up:
        # its own applied state (a stale read) holds every write.
        old.start()
        assert old.get("sys/seal-status").body["sealed"] is True
        old.unseal(c.keys[1:3])

        def caught_up():
            for key, value in acked.items():
                r = old.get(f"secret/data/{key}",
                            headers={"X-Coffer-Consistency": "stale"})
                if r.status != 200 or r.body["data"]["data"] != {"v": value}:
                    return False
            return True

        wait_for(caught_up, "the restarted node catches up")
        r = old.get("sys/health")
        assert r.status in (200, 429), r
        assert r.body["sealed"] is False
        # It serves writes again (forwarded when it is a standby).
        r = old.post("secret/data/after", {"data": {"v": "restart"}})
        assert r.status == 200, r
        for node in c.nodes:
            assert node.get("secret/data/after").body["data"]["data"] == {
                "v": "restart"}


def test_remove_peer_shrinks_the_cluster():
    with Cluster(3) as c:
        c.initialized()
        leader = c.leader()
        gone = next(n for n in c.nodes if n is not leader)
        r = leader.post("sys/storage/raft/remove-peer",
                        {"server_id": str(gone.id)})
        assert r.status == 204, r
        for node in c.nodes:
            if node is gone:
                continue
            wait_for(lambda: len(servers(node)) == 2,
                     f"node {node.id} applies the removal")
            assert gone.id not in [int(s["node_id"]) for s in servers(node)]
        gone.stop()
        # Two voters of two carry on.
        rest = [n for n in c.nodes if n is not gone]
        for i, node in enumerate(rest):
            r = node.post(f"secret/data/k{i}", {"data": {"v": str(i)}})
            assert r.status == 200, r
        for node in rest:
            for i in range(len(rest)):
                assert node.get(f"secret/data/k{i}").body["data"]["data"] == {
                    "v": str(i)}
        # Removing an unknown member is a client error.
        r = leader.post("sys/storage/raft/remove-peer", {"server_id": "99"})
        assert r.status == 400, r
        r = leader.post("sys/storage/raft/remove-peer", {"server_id": "x"})
        assert r.status == 400, r


def test_a_waiting_node_is_added_and_promoted():
    # Nodes 1-3 bootstrap; node 4 starts with an empty data directory and
    # a retry_join address where nobody answers, and waits to be added.
    with Cluster(4, bootstrap=3, join_api="http://127.0.0.1:1") as c:
        first = c.nodes[:3]
        c.first_members_ready(first)
        new = c.nodes[3]
        assert new.get("sys/seal-status").body["initialized"] is False
        r = first[2].post("sys/storage/raft/add-peer", {
            "server_id": "4", "address": new.cluster_addr})
        assert r.status == 204, r
        # Promotion is refused until the learner caught up; then it is a
        # voter of four.
        wait_for(lambda: first[0].post("sys/storage/raft/add-peer", {
            "server_id": 4, "address": new.cluster_addr,
            "voter": True}).status == 204, "node 4 promoted")
        assert sorted((s["node_id"], s["voter"]) for s in servers(first[0])) \
            == [("1", True), ("2", True), ("3", True), ("4", True)]
        wait_for(lambda: new.get("sys/seal-status").body["initialized"],
                 "node 4 replicated the seal records")
        new.unseal(c.keys[1:3])
        r = new.post("secret/data/after", {"data": {"v": "2"}})
        assert r.status == 200, r
        for node in c.nodes:
            assert node.get("secret/data/before").body["data"]["data"] == {
                "v": "1"}
            assert node.get("secret/data/after").body["data"]["data"] == {
                "v": "2"}
        # Its id is taken now.
        r = first[0].post("sys/storage/raft/add-peer", {
            "server_id": "4", "address": new.cluster_addr, "voter": True})
        assert r.status == 400, r
