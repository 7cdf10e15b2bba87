"""Snapshots over HTTP and with the CLI: save, inspect, restore, force."""

import json
import os
import subprocess
import urllib.request

from cluster import COFFER_CLI, Cluster


def download(node, token):
    req = urllib.request.Request(f"{node.url}/v1/sys/storage/raft/snapshot")
    req.add_header("X-Vault-Token", token)
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return r.read()


def upload(node, data, force=False, keys=(), token=None):
    path = "snapshot-force" if force else "snapshot"
    req = urllib.request.Request(
        f"{node.url}/v1/sys/storage/raft/{path}", data=data, method="POST")
    req.add_header("X-Vault-Token", token or node.cluster.token)
    if keys:
        req.add_header("X-Coffer-Unseal-Keys", ",".join(keys))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, None, None
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, (json.loads(body) if body.strip() else None), \
            e.headers.get("Location")


def value(node, key):
    r = node.get(f"secret/data/{key}")
    return r.body["data"]["data"]["v"] if r.status == 200 else None


def test_save_and_restore_over_http_and_the_cli():
    with Cluster(3) as c:
        c.initialized()
        leader = c.leader()
        standby = next(n for n in c.nodes if n is not leader)
        assert standby.post("secret/data/a", {"data": {"v": "1"}}).status \
            == 200
        snap = download(standby, c.token)  # any unsealed node saves
        path = os.path.join(c.dir, "one.snap")
        with open(path, "wb") as f:
            f.write(snap)
        standby.post("secret/data/a", {"data": {"v": "9"}})
        standby.post("secret/data/b", {"data": {"v": "2"}})

        # A standby sends the restore to the leader.
        status, body, location = upload(standby, snap)
        assert status == 307 and location == \
            leader.url + "/v1/sys/storage/raft/snapshot", (status, body)
        assert upload(leader, snap)[:2] == (204, None)
        for node in c.nodes:
            assert value(node, "a") == "1" and value(node, "b") is None

        # Corrupt and truncated files change nothing.
        bad = bytearray(snap)
        bad[len(bad) // 2] ^= 0xFF
        status, body, _ = upload(leader, bytes(bad))
        assert status == 400 and body["errors"], body
        status, body, _ = upload(leader, snap[: len(snap) // 2])
        assert status == 400 and body["errors"], body
        assert value(leader, "a") == "1"
        # No token, no snapshot.
        status, _, _ = upload(leader, snap, token="bad")
        assert status == 403

        # The CLI: save through a standby, inspect, restore through a
        # standby (it follows the redirect).
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("VAULT_", "COFFER_"))}
        env.update(COFFER_ADDR=standby.url, COFFER_TOKEN=c.token)
        cli = lambda *a: subprocess.run([COFFER_CLI, *a], env=env, text=True,
                                        capture_output=True, timeout=60)
        saved = os.path.join(c.dir, "two.snap")
        p = cli("operator", "raft", "snapshot", "save", saved)
        assert p.returncode == 0, p
        p = cli("operator", "raft", "snapshot", "inspect", "-format=json",
                saved)
        assert p.returncode == 0, p
        info = json.loads(p.stdout)
        assert info["records"] > 0, info
        p = cli("operator", "raft", "snapshot", "inspect", saved)
        assert p.returncode == 0 and p.stdout.strip(), p
        standby.post("secret/data/a", {"data": {"v": "changed"}})
        p = cli("operator", "raft", "snapshot", "restore", saved)
        assert p.returncode == 0, p
        assert value(leader, "a") == "1"
        p = cli("operator", "raft", "snapshot", "inspect",
                os.path.join(c.dir, "missing.snap"))
        assert p.returncode == 1 and "missing.snap" in p.stderr


def test_another_clusters_snapshot_needs_force_and_its_keys():
    with Cluster(1) as other, Cluster(3) as c:
        other.initialized()
        other.nodes[0].post("secret/data/from", {"data": {"v": "other"}})
        foreign = download(other.nodes[0], other.token)
        c.initialized()
        leader = c.leader()
        status, body, _ = upload(leader, foreign)
        assert status == 400, body
        status, body, _ = upload(leader, foreign, force=True)
        assert status == 400, body  # the other cluster's keys are needed
        status, body = upload(leader, foreign, force=True,
                              keys=other.keys[:2])[:2]
        assert status == 204, body
        # The data (and root token) are the other cluster's now; this
        # cluster's unseal keys still open every node.
        for node in c.nodes:
            r = node.get("secret/data/from", token=other.token)
            assert r.status == 200 and r.body["data"]["data"] == {
                "v": "other"}, r
        standby = next(n for n in c.nodes if n is not leader)
        assert standby.request("PUT", "sys/seal",
                               token=other.token).status == 204
        standby.unseal(c.keys[:2])
