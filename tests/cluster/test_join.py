"""A node joins a running cluster by retry_join (Vault's way)."""

import urllib.error
import urllib.request

from cluster import Cluster, wait_for


def servers(node):
    r = node.get("sys/storage/raft/configuration")
    assert r.status == 200, r
    return r.body["data"]["config"]["servers"]


def test_a_node_joins_by_retry_join_and_is_unsealed_with_the_shares():
    # Nodes 1-3 bootstrap; node 4 starts on an empty data directory with
    # retry_join pointing at node 1's API.
    with Cluster(4, bootstrap=3) as c:
        first = c.nodes[:3]
        c.first_members_ready(first)
        new = c.nodes[3]
        # The leader's challenge arrives; the cluster's shares answer it.
        wait_for(lambda: new.get("sys/seal-status").body["initialized"],
                 "node 4 received the join challenge")
        for key in c.keys[:2]:
            r = new.post("sys/unseal", {"key": key})
            assert r.status == 200, r
        wait_for(lambda: len(servers(first[0])) == 4, "node 4 admitted")
        wait_for(lambda: new.get("sys/seal-status").body["sealed"] is False,
                 "node 4 unseals itself once caught up")
        wait_for(lambda: all(s["voter"] for s in servers(first[0])),
                 "node 4 promoted to voter")
        r = new.post("secret/data/after", {"data": {"v": "2"}})
        assert r.status == 200, r
        for node in c.nodes:
            assert node.get("secret/data/before").body["data"]["data"] == {
                "v": "1"}
            assert node.get("secret/data/after").body["data"]["data"] == {
                "v": "2"}
        # Restarted, it stays a member (no second join) and comes back
        # sealed like the others.
        new.stop()
        new.start()
        assert new.get("sys/seal-status").body["sealed"] is True
        new.unseal(c.keys[1:3])
        r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(
            new.get("secret/data/after")), "node 4 serves after a restart")
        assert r.body["data"]["data"] == {"v": "2"}
        assert len(servers(first[0])) == 4


def strip_peer_api_addrs(node, config):
    """Config names the peers by cluster address only, as retry_join
    clusters and many hand-written configs do."""
    for peer in config["storage"]["raft"].get("peers", []):
        del peer["api_addr"]


def test_every_node_learns_the_api_addresses_of_its_peers():
    # Node 4 joins by retry_join; nobody's config names another node's
    # API URL. The peers' hellos tell each node where the others serve, so
    # a standby names the active node's API (sys/leader) and sends a
    # restore there.
    with Cluster(4, bootstrap=3, config_hook=strip_peer_api_addrs) as c:
        first = c.nodes[:3]
        c.first_members_ready(first)
        new = c.nodes[3]
        wait_for(lambda: new.get("sys/seal-status").body["initialized"],
                 "node 4 received the join challenge")
        for key in c.keys[:2]:
            assert new.post("sys/unseal", {"key": key}).status == 200
        wait_for(lambda: len(servers(first[0])) == 4, "node 4 admitted")
        wait_for(lambda: new.get("sys/seal-status").body["sealed"] is False,
                 "node 4 unseals itself once caught up")
        for round in range(2):
            leader = c.leader()
            for node in c.running():
                wait_for(lambda: node.get("sys/leader").body[
                    "leader_address"] == leader.url,
                    f"node {node.id} names the leader's API")
            standby = next(n for n in c.running() if n is not leader)
            req = urllib.request.Request(
                f"{standby.url}/v1/sys/storage/raft/snapshot", data=b"x",
                method="POST", headers={"X-Vault-Token": c.token})
            try:
                urllib.request.urlopen(req, timeout=30)
                raise AssertionError("a standby restored a snapshot")
            except urllib.error.HTTPError as e:
                assert e.code == 307, e
                assert e.headers["Location"] == (
                    leader.url + "/v1/sys/storage/raft/snapshot")
            if round == 0:
                leader.kill()  # the next leader is learned the same way
