"""A node joins a running cluster by retry_join (Vault's way)."""

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
