"""Vault's HTTP API as cofferd serves it: codes, shapes, KV v2 verbs."""

import json
import os
import socket
import subprocess
import urllib.request

from cluster import COFFERD, Cluster, wait_for


def test_health_codes_follow_vault():
    with Cluster(3) as c:
        c.leader()
        n = c.nodes[0]
        r = n.get("sys/health")
        assert r.status == 501 and r.body["initialized"] is False, r
        assert n.get("sys/health?uninitcode=299").status == 299
        assert n.get("sys/init").body == {"initialized": False}
        c.init()
        wait_for(lambda: n.get("sys/health").status == 503, "sealed")
        r = n.get("sys/seal-status")
        assert r.body["sealed"] and r.body["t"] == 2 and r.body["n"] == 3, r
        assert r.body["type"] == "shamir" and r.body["progress"] == 0
        # Before unsealing, data routes answer 503 whatever the token.
        assert n.get("sys/mounts").status == 503
        c.unseal_all()
        leader = c.leader()
        standby = next(x for x in c.nodes if x is not leader)
        assert leader.get("sys/health").status == 200
        r = standby.get("sys/health")
        assert r.status == 429 and r.body["standby"] is True, r
        assert standby.get("sys/health?standbyok=true").status == 200
        assert standby.get("sys/health?standbycode=210").status == 210
        r = standby.get("sys/leader")
        assert r.body["is_self"] is False
        assert r.body["leader_address"] == leader.url, r
        assert r.body["leader_cluster_address"] == leader.cluster_addr, r
        # sys/init again: already initialized.
        r = n.request("PUT", "sys/init", {"secret_shares": 1,
                                          "secret_threshold": 1}, token="")
        assert r.status == 400 and r.body["errors"], r
        # Sealing one node (with the token) takes only that node down.
        assert standby.request("PUT", "sys/seal").status == 204
        assert standby.get("sys/health").status == 503
        assert leader.get("sys/health").status == 200
        r = standby.get("sys/mounts")
        assert r.status == 503 and r.body["errors"], r


def test_errors_have_vaults_shape_and_codes():
    with Cluster(3) as c:
        c.initialized()
        n = c.nodes[1]
        r = n.get("sys/mounts", token="")
        assert r.status == 403 and r.body == {"errors": ["permission denied"]}
        r = n.get("sys/mounts", token="0" * 64)
        assert r.status == 403, r
        r = n.get("sys/mounts", token="",
                  headers={"Authorization": f"Bearer {c.token}"})
        assert r.status == 200 and "secret/" in r.body["data"], r
        assert r.body["data"]["secret/"]["type"] == "kv"
        assert r.body["data"]["secret/"]["options"] == {"version": "2"}
        assert n.get("nowhere/data/x").status == 404
        assert n.get("sys/nothing").status == 404
        assert n.request("DELETE", "sys/seal-status").status == 405
        assert n.request("PUT", "secret/metadata/x/y", {}).status == 204
        assert n.request("POST", "secret/data/x", {"nodata": 1}).status == 400
        # A malformed body.
        req = urllib.request.Request(f"{n.url}/v1/secret/data/x",
                                     data=b"{not json", method="POST")
        req.add_header("X-Vault-Token", c.token)
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("accepted a malformed body")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and json.loads(e.read())["errors"]
        # A body above 64 MiB is refused from its headers alone.
        with socket.create_connection(("127.0.0.1", n.api_port), 10) as s:
            s.sendall(b"POST /v1/secret/data/x HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 999999999\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 413")
        # Mounts: only kv version 2; bad type is a 400.
        r = n.post("sys/mounts/v1kv", {"type": "kv"})
        assert r.status == 400, r
        assert n.post("sys/mounts/kv2", {
            "type": "kv", "options": {"version": "2"}}).status == 204
        assert "kv2/" in n.get("sys/mounts").body["data"]
        assert n.request("DELETE", "sys/mounts/kv2").status == 204
        wait_for(lambda: "kv2/" not in n.get("sys/mounts").body["data"],
                 "the mount disabled")


def test_kv_v2_verbs_through_a_standby():
    with Cluster(3) as c:
        c.initialized()
        leader = c.leader()
        n = next(x for x in c.nodes if x is not leader)  # a standby
        p = "secret/data/app/db"
        # What Vault's CLI asks before a kv command.
        r = n.get("sys/internal/ui/mounts/secret/app/db")
        assert r.status == 200 and r.body["data"]["path"] == "secret/", r
        assert r.body["data"]["options"] == {"version": "2"}
        assert n.get("sys/internal/ui/mounts/other/x").status == 404
        r = n.post(p, {"data": {"user": "admin", "pw": "one"}})
        assert r.status == 200 and r.body["data"]["version"] == 1, r
        r = n.post(p, {"data": {"pw": "two"}, "options": {"cas": 1}})
        assert r.status == 200 and r.body["data"]["version"] == 2, r
        r = n.post(p, {"data": {"pw": "x"}, "options": {"cas": 1}})
        assert r.status == 400, r
        assert r.body["errors"] == [
            "check-and-set parameter did not match the current version"]
        r = n.request("PATCH", p, {"data": {"user": "root", "pw": None}})
        assert r.status == 200 and r.body["data"]["version"] == 3, r
        assert n.get(p).body["data"]["data"] == {"user": "root"}
        assert n.get(p + "?version=1").body["data"]["data"] == {
            "user": "admin", "pw": "one"}
        # Soft delete of the current version, then undelete.
        assert n.request("DELETE", p).status == 204
        r = n.get(p)
        assert r.status == 404 and r.body["data"]["data"] is None, r
        assert r.body["data"]["metadata"]["deletion_time"] != ""
        assert n.post("secret/undelete/app/db",
                      {"versions": [3]}).status == 204
        assert n.get(p).status == 200
        assert n.post("secret/delete/app/db", {"versions": [1]}).status == 204
        assert n.get(p + "?version=1").status == 404
        assert n.post("secret/destroy/app/db", {"versions": [2]}).status == 204
        r = n.get(p + "?version=2")
        assert r.status == 404 and r.body["data"]["metadata"]["destroyed"]
        assert n.post("secret/destroy/app/db", {}).status == 400
        # Metadata.
        r = n.post("secret/metadata/app/db", {
            "max_versions": 5, "custom_metadata": {"owner": "ops"}})
        assert r.status == 204, r
        r = n.request("PATCH", "secret/metadata/app/db",
                      {"custom_metadata": {"team": "db"}})
        assert r.status == 204, r
        m = n.get("secret/metadata/app/db").body["data"]
        assert m["current_version"] == 3 and m["max_versions"] == 5, m
        assert m["custom_metadata"] == {"owner": "ops", "team": "db"}
        assert m["versions"]["2"]["destroyed"] is True
        # LIST as Vault's client sends it.
        n.post("secret/data/app/cache", {"data": {"k": "v"}})
        r = n.get("secret/metadata/app?list=true")
        assert r.body["data"]["keys"] == ["cache", "db"], r
        assert n.get("secret/metadata/none?list=true").status == 404
        assert n.request("DELETE", "secret/metadata/app/db").status == 204
        assert n.get("secret/data/app/db").status == 404
        assert n.get("secret/metadata/app/db").status == 404
        # The mount's config (Vault's <mount>/config), through a standby.
        r = n.post("secret/config", {"max_versions": 7, "cas_required": True})
        assert r.status == 204, r
        cfg = n.get("secret/config").body["data"]
        assert cfg["max_versions"] == 7 and cfg["cas_required"] is True, cfg
        assert n.post("secret/data/nocas", {"data": {"k": "v"}}).status == 400
        assert n.post("secret/config", {"max_versions": "x"}).status == 400
        assert n.post("secret/config", {"cas_required": False}).status == 204
        # Stale reads on every node see the write eventually.
        for x in c.nodes:
            wait_for(lambda: x.get("secret/data/app/cache", headers={
                "X-Coffer-Consistency": "stale"}).status == 200,
                f"node {x.id} applies the write")
        # sys/step-down through a standby: another node takes over.
        assert n.request("PUT", "sys/step-down").status == 204
        wait_for(lambda: c.leader() is not leader, "a new leader")
        assert n.get("secret/data/app/cache").status == 200


def test_kv_values_are_any_json_as_in_vault():
    with Cluster(3) as c:
        c.initialized()
        leader = c.leader()
        n = next(x for x in c.nodes if x is not leader)  # a standby
        p = "secret/data/app/json"
        data = {"port": 5432, "ratio": 0.25, "tls": True, "none": None,
                "hosts": ["a", "b"], "opts": {"pool": {"max": 10}},
                "text": "5432", "quoted": '"x"', "empty": ""}
        r = n.post(p, {"data": data})
        assert r.status == 200 and r.body["data"]["version"] == 1, r
        # Every node reads back the same JSON: a string that looks like a
        # number stays a string, and a real number stays a number.
        for x in c.nodes:
            wait_for(lambda: x.get(p, headers={
                "X-Coffer-Consistency": "stale"}).status == 200,
                f"node {x.id} applies the write")
            assert x.get(p).body["data"]["data"] == data, x.id
        # A patch keeps what it does not name, sets what it names, and
        # removes what it sets to null.
        r = n.request("PATCH", p, {"data": {"port": "5433", "hosts": None,
                                            "extra": [1, {"k": False}]}})
        assert r.status == 200 and r.body["data"]["version"] == 2, r
        want = dict(data, port="5433", extra=[1, {"k": False}])
        del want["hosts"]
        assert leader.get(p).body["data"]["data"] == want
        assert leader.get(p + "?version=1").body["data"]["data"] == data
        # The data itself must still be an object.
        assert n.post(p, {"data": [1]}).status == 400
        assert n.post(p, {"data": "x"}).status == 400
        assert leader.get(p).body["data"]["metadata"]["version"] == 2


def bad_config(tmp_path, cfg):
    path = tmp_path / "bad.json"
    path.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    p = subprocess.run([COFFERD, "server", f"-config={path}"],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr


def good(tmp_path):
    return {"storage": {"raft": {"path": str(tmp_path / "data"),
                                 "node_id": "1"}},
            "listener": {"tcp": {"address": "127.0.0.1:1",
                                 "tls_disable": True}}}


def test_a_bad_configuration_is_rejected_with_key_and_reason(tmp_path):
    cases = []
    c = good(tmp_path)
    del c["storage"]["raft"]["path"]
    cases.append((c, "storage.raft.path"))
    c = good(tmp_path)
    c["storage"]["raft"]["node_id"] = "node-a"
    cases.append((c, "storage.raft.node_id"))
    c = good(tmp_path)
    c["listener"]["tcp"]["adress"] = "x"
    cases.append((c, "listener.tcp.adress"))
    c = good(tmp_path)
    c["listener"]["tcp"]["address"] = "127.0.0.1"
    cases.append((c, "listener.tcp.address"))
    c = good(tmp_path)
    del c["listener"]["tcp"]["tls_disable"]
    cases.append((c, "listener.tcp.tls_cert_file"))
    c = good(tmp_path)
    c["listener"]["tcp"]["tls_disable"] = False
    c["listener"]["tcp"]["tls_cert_file"] = str(tmp_path / "missing.pem")
    cases.append((c, "listener.tcp.tls_cert_file"))
    c = good(tmp_path)
    c["seal"] = {"awskms": {}}
    cases.append((c, "seal"))
    c = good(tmp_path)
    c["storage"]["raft"]["retry_join"] = [{"leader_api_addr": "tcp:1"}]
    cases.append((c, "storage.raft.retry_join[0].leader_api_addr"))
    c = good(tmp_path)
    c["storage"]["raft"]["peers"] = [{"node_id": 2,
                                      "cluster_addr": "127.0.0.1:9"}]
    cases.append((c, "storage.raft.peers"))
    c = good(tmp_path)
    c["coffer"] = {"tick": "fast"}
    cases.append((c, "coffer.tick"))
    cases.append(("{\"storage\": ", "not valid JSON"))
    for cfg, key in cases:
        code, err = bad_config(tmp_path, cfg)
        assert code == 2, (cfg, code, err)
        assert key in err, (key, err)
    assert not os.path.exists(tmp_path / "data")
    p = subprocess.run([COFFERD, "server", "-config=/nonexistent.json"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "/nonexistent.json" in p.stderr
