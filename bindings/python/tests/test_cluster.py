import datetime

import pytest

import coffer
from coffer.testing import Cluster

from conftest import follower_of


def test_leader_and_peers_agree(cluster):
    leader = cluster.wait_for_leader()
    peers = cluster.admin(leader).peers()
    assert [p.id for p in peers] == [1, 2, 3]
    assert [p.address for p in peers] == ["node-1", "node-2", "node-3"]
    assert [p.id for p in peers if p.state == "leader"] == [leader]
    info = cluster.node(follower_of(cluster)).leader()
    assert info.leader_id == leader and not info.is_self
    assert info.leader_address == f"node-{leader}" and info.term >= 1


def test_kv_round_trip_with_str_and_bytes(cluster):
    f = cluster.admin(follower_of(cluster))
    m = f.kv_put("secret", "app/db", {"user": "admin", "key": b"\x00\xff"})
    assert m.version == 1 and m.deletion_time is None
    assert m.created_time.tzinfo is datetime.timezone.utc
    for i in cluster.nodes:
        s = cluster.admin(i).kv_get("secret", "app/db")
        assert s.data == {"user": "admin", "key": b"\x00\xff"}
        assert s.metadata.version == 1
    raw = f.kv_get("secret", "app/db", raw=True)
    assert raw.data == {"user": b"admin", "key": b"\x00\xff"}
    assert "admin" not in repr(raw)


def test_check_and_set(cluster):
    n = cluster.admin()
    n.kv_put("secret", "cas", {"v": "1"}, cas=0)
    with pytest.raises(coffer.AbortedError) as e:
        n.kv_put("secret", "cas", {"v": "x"}, cas=0)
    assert e.value.code == 10
    assert n.kv_put("secret", "cas", {"v": "2"}, cas=1).version == 2
    assert n.kv_get("secret", "cas", version=1).data == {"v": "1"}


def test_patch_delete_undelete_destroy(cluster):
    n = cluster.admin(follower_of(cluster))
    n.kv_put("secret", "life", {"a": "1", "b": "2"})
    assert n.kv_patch("secret", "life", set={"c": "3"},
                      remove=["a"]).version == 2
    assert n.kv_get("secret", "life").data == {"b": "2", "c": "3"}
    n.kv_delete("secret", "life")
    s = n.kv_get("secret", "life")
    assert s.data is None and s.metadata.deletion_time is not None
    n.kv_undelete("secret", "life", [2])
    assert n.kv_get("secret", "life").data == {"b": "2", "c": "3"}
    n.kv_destroy("secret", "life", [1])
    assert n.kv_get("secret", "life", version=1).metadata.destroyed
    n.kv_delete("secret", "life", versions=[2])
    assert n.kv_get("secret", "life", version=2).data is None
    with pytest.raises(coffer.InvalidArgumentError):
        n.kv_undelete("secret", "life", [])


def test_metadata_and_list(cluster):
    n = cluster.admin()
    n.kv_put("secret", "meta/x", {"a": "1"})
    n.kv_put("secret", "meta/x", {"a": "2"})
    n.kv_write_metadata("secret", "meta/x", max_versions=4,
                        custom_metadata={"owner": "team-a"},
                        delete_version_after=datetime.timedelta(hours=1))
    m = n.kv_metadata("secret", "meta/x")
    assert m.current_version == 2 and m.max_versions == 4
    assert sorted(m.versions) == [1, 2]
    assert m.custom_metadata == {"owner": "team-a"}
    assert m.delete_version_after == datetime.timedelta(hours=1)
    n.kv_put("secret", "meta/sub/y", {"a": "1"})
    assert n.kv_list("secret", "meta/") == ["sub/", "x"]
    n.kv_delete_metadata("secret", "meta/x")
    with pytest.raises(coffer.NotFoundError):
        n.kv_get("secret", "meta/x")
    with pytest.raises(coffer.NotFoundError):
        n.kv_metadata("secret", "meta/x")
    assert n.kv_list("secret", "meta/") == ["sub/"]


def test_mounts(cluster):
    n = cluster.admin()
    n.enable_kv("other", max_versions=3, cas_required=True)
    mounts = {m.path: m for m in n.kv_mounts()}
    assert mounts["other/"].max_versions == 3 and mounts["other/"].cas_required
    with pytest.raises(coffer.InvalidArgumentError):
        n.kv_put("other", "k", {"a": "1"})  # cas required
    n.tune_kv("other", cas_required=False, max_versions=5)
    assert n.kv_put("other", "k", {"a": "1"}).version == 1
    tuned = {m.path: m for m in n.kv_mounts()}["other/"]
    assert tuned.max_versions == 5 and not tuned.cas_required
    with pytest.raises(coffer.NotFoundError):
        n.tune_kv("nomount", max_versions=1)
    n.disable_kv("other")
    assert [m.path for m in n.kv_mounts()] == ["secret/"]
    with pytest.raises(coffer.NotFoundError):
        n.kv_get("other", "k")


def test_raw_paths(cluster):
    n = cluster.admin(follower_of(cluster))
    n.put_raw("app/raw", b"v\x00w")
    assert cluster.admin().get_raw("app/raw") == b"v\x00w"
    n.delete_raw("app/raw")
    with pytest.raises(coffer.NotFoundError):
        n.get_raw("app/raw")


def test_bad_arguments(cluster):
    n = cluster.admin()
    with pytest.raises(TypeError):
        n.kv_put("secret", "k", {"a": 1})
    with pytest.raises(TypeError):
        n.kv_put("secret", "k", [("a", "b")])
    with pytest.raises(coffer.InvalidArgumentError):
        n.kv_put("secret", "k", {"": "empty name"})


def test_seal_wrong_shares_and_unseal_again(cluster):
    i = follower_of(cluster)
    n = cluster.node(i)
    admin = cluster.admin(i)
    admin.seal()
    status = n.seal_status()
    assert status.sealed and status.initialized and status.threshold == 3
    with pytest.raises(coffer.FailedPreconditionError):
        admin.kv_get("secret", "app/db")
    with pytest.raises(coffer.InvalidArgumentError):
        n.unseal("not a share")
    wrong = [p.hex() for p in coffer.shamir.split(b"\x42" * 32, 3, 3)]
    assert n.unseal(wrong[0]).progress == 1
    assert n.unseal(wrong[1]).progress == 2
    with pytest.raises(coffer.PermissionDeniedError):
        n.unseal(wrong[2])
    assert n.seal_status().progress == 0
    assert not cluster.unseal(i).sealed
    admin.kv_get("secret", "cas")


def test_failover_after_the_leader_closes():
    with Cluster(3) as c:
        leader = c.start()
        c.initialize()
        c.unseal_all()
        c.admin(leader).enable_kv("secret")
        c.admin(leader).kv_put("secret", "k", {"v": "1"})
        c.stop_node(leader)
        new = c.wait_for_leader()
        assert new != leader
        for i in c.nodes:
            assert c.admin(i).kv_get("secret", "k").data == {"v": "1"}
        for i in c.nodes:
            c.admin(i).kv_put("secret", "k", {"v": str(i)})
            assert c.admin(new).kv_get("secret", "k").data == {"v": str(i)}
        c.admin(new).remove_peer(leader)
        assert len(c.admin(new).peers()) == 2


def test_threads_write_through_every_node_at_once(cluster):
    import threading
    errors = []

    def writer(node_id, t):
        try:
            for i in range(10):
                cluster.admin(node_id).kv_put(
                    "secret", f"threads/{t}", {"i": str(i)})
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(t % 3 + 1, t))
               for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    n = cluster.admin()
    assert n.kv_list("secret", "threads/") == [str(t) for t in range(6)]
    for t in range(6):
        s = n.kv_get("secret", f"threads/{t}")
        assert s.data == {"i": "9"} and s.metadata.version == 10


def test_a_node_joins_with_the_unseal_shares():
    import time
    with Cluster(3) as c:
        c.start()
        c.initialize()
        c.unseal_all()
        c.admin().enable_kv("secret")
        node = c.start_node(4)
        with pytest.raises(coffer.InvalidArgumentError):
            node.join({})
        node.join({1: "node-1", 2: "node-2", 3: "node-3"})
        for key in c.init.keys[:3]:
            node.unseal(key)
        for _ in range(3000):
            if not node.seal_status().sealed:
                break
            time.sleep(0.01)
        assert not node.seal_status().sealed
        c.admin().kv_put("secret", "joined", {"v": "4"})
        assert node.as_caller(c.init.root_token).kv_get(
            "secret", "joined").data == {"v": "4"}
        peers = c.admin().peers()
        assert [p.id for p in peers] == [1, 2, 3, 4]
        assert all(p.last_contact >= datetime.timedelta(0) for p in peers)
        c.admin().remove_peer(4)
        for _ in range(3000):
            if node.seal_status().removed_from_cluster:
                break
            time.sleep(0.01)
        assert node.seal_status().removed_from_cluster
