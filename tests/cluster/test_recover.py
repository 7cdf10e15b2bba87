"""Recovery when quorum is lost for good: five cofferd processes, three
destroyed with their data, the two survivors restarted with peers.json
(node/recover.h) form a cluster of their own with every committed write."""

import json
import os
import shutil

from cluster import Cluster, wait_for


def peers_json(nodes):
    # Vault's format; coffer's ids are numbers, here as Vault's strings.
    return json.dumps([{"id": str(n.id), "address": n.cluster_addr,
                        "non_voter": False} for n in nodes], indent=2)


def servers(node):
    r = node.get("sys/storage/raft/configuration")
    assert r.status == 200, r
    return sorted(int(s["node_id"]) for s in r.body["data"]["config"]["servers"])


def read(node, key):
    r = node.get(f"secret/data/{key}")
    return r.body["data"]["data"]["v"] if r.status == 200 else None


def write(node, key, value):
    return node.post(f"secret/data/{key}", {"data": {"v": value}}).status


def test_two_survivors_of_five_recover_with_peers_json():
    with Cluster(5) as c:
        c.initialized()
        leader = c.leader()
        written = {}
        for i in range(30):
            key, value = f"before/{i}", f"value-{i}-recovered"
            assert write(leader, key, value) == 200
            written[key] = value
        # Every node applied the writes before the disaster.
        for n in c.nodes:
            wait_for(lambda: read(n, "before/29") == written["before/29"],
                     f"node {n.id} applied the writes")
        survivors = [c.node(4), c.node(5)]
        for n in c.nodes[:3]:
            n.kill()  # kill -9: the hosts are lost, with their data
            shutil.rmtree(n.dir)
        # The operator stops the survivors (they have no quorum).
        for n in survivors:
            n.stop()

        # A node the file leaves out refuses to start, and keeps the file.
        lonely = os.path.join(survivors[1].dir, "peers.json")
        with open(lonely, "w") as f:
            f.write(peers_json([survivors[0]]))
        assert survivors[1].run_to_exit() == 2
        assert "does not list this node (id 5)" in survivors[1].log()
        assert os.path.exists(lonely)
        # A malformed file is refused with its path and line.
        with open(lonely, "w") as f:
            f.write('[\n  {"id": "4", "address": "x"}\n  {"id": "5"}\n]\n')
        assert survivors[1].run_to_exit() == 2
        assert f"{lonely}:3:" in survivors[1].log()

        # The good file: Vault's place (<path>/raft/) for node 4, the data
        # directory itself for node 5.
        os.makedirs(os.path.join(survivors[0].dir, "raft"), exist_ok=True)
        vault_place = os.path.join(survivors[0].dir, "raft", "peers.json")
        with open(vault_place, "w") as f:
            f.write(peers_json(survivors))
        with open(lonely, "w") as f:
            f.write(peers_json(survivors))
        for n in survivors:
            n.start()
        for n in survivors:
            assert "recovered the raft configuration" in n.log(), n.log()
        assert not os.path.exists(vault_place)
        assert not os.path.exists(lonely)
        assert not os.path.exists(os.path.join(survivors[0].dir,
                                               "peers.json"))
        c.unseal_all(among=survivors)

        leader = c.leader(among=survivors)
        for n in survivors:
            wait_for(lambda: servers(n) == [4, 5],
                     f"node {n.id} lists the recovered members")
            for key, value in written.items():
                assert read(n, key) == value, (n.id, key)
        # Writes commit again, through either node.
        follower = next(n for n in survivors if n is not leader)
        assert write(follower, "after/1", "value-after-1") == 200
        assert write(leader, "after/2", "value-after-2") == 200
        for n in survivors:
            wait_for(lambda: read(n, "after/1") == "value-after-1",
                     f"node {n.id} applied the new write")
            assert read(n, "after/2") == "value-after-2"
