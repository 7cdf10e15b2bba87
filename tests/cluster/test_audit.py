"""Audit devices through cofferd's HTTP API and the `coffer` CLI, on real
clusters: Vault's sys/audit and sys/audit-hash, records on every node's disk
with secrets HMAC'd, and Vault's rule that a request no device can record
fails."""

import json
import os

from cluster import Cluster
from test_cli import Cli, base_env

SECRET = "audit-secret-9f3c2a"


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_file_devices_record_every_node_with_secrets_hashed():
    with Cluster(3) as c:
        c.initialized()
        a, b, d = c.nodes
        r = a.request("PUT", "sys/audit/file", {
            "type": "file", "description": "on disk",
            "options": {"file_path": "audit.log"}})  # in each data dir
        assert r.status == 204, r
        r = b.get("sys/audit")
        assert r.status == 200, r
        entry = r.body["data"]["file/"]
        assert entry["type"] == "file" and entry["path"] == "file/", entry
        assert entry["description"] == "on disk", entry
        assert entry["options"] == {"file_path": "audit.log"}, entry
        assert r.body["file/"] == entry  # at the top level too, as Vault
        # In use, unknown type, missing option, bad bodies: 400.
        for body in ({"type": "file", "options": {"file_path": "x.log"}},):
            assert a.request("PUT", "sys/audit/file", body).status == 400
        for path, body in (("x", {"type": "syslog"}), ("x", {"type": "file"}),
                           ("x", {"options": {}}),
                           ("x", {"type": "file", "options": "a"}),
                           ("x", {"type": "file", "local": True,
                                  "options": {"file_path": "y.log"}})):
            r = a.request("PUT", f"sys/audit/{path}", body)
            assert r.status == 400 and r.body["errors"], (body, r)

        # A write through b, a read through d: each node records what it
        # served, the value and the token hashed.
        assert b.post("secret/data/app", {"data": {"pw": SECRET}}).status \
            == 200
        r = d.get("secret/data/app")
        assert r.body["data"]["data"] == {"pw": SECRET}, r
        r = d.post("sys/audit-hash/file", {"input": SECRET})
        assert r.status == 200, r
        hashed = r.body["data"]["hash"]
        assert hashed.startswith("hmac-sha256:") and r.body["hash"] == hashed
        for node in (b, d):
            path = os.path.join(node.dir, "audit.log")
            text = open(path).read()
            assert SECRET not in text and c.token not in text
            assert hashed in text, node.id
            entries = records(path)
            assert {"request", "response"} <= {e["type"] for e in entries}
            req = next(e for e in entries if e["type"] == "request" and
                       e["request"]["path"] == "secret/data/app")
            assert req["auth"]["client_token"].startswith("hmac-sha256:")
            # The caller's address, in clear, as Vault records it.
            assert req["request"]["remote_address"] == "127.0.0.1", req
            # The response entry knows the caller (checked by then).
            res = next(e for e in entries if e["type"] == "response" and
                       e["request"]["id"] == req["request"]["id"])
            assert res["auth"]["display_name"] == "root", res
            assert res["auth"]["policies"] == ["root"], res

        # Only sudo may see or change the devices.
        r = a.post("auth/token/create", {"policies": ["default"]})
        tok = r.body["auth"]["client_token"]
        assert d.get("sys/audit", token=tok).status == 403
        assert d.request("DELETE", "sys/audit/file", token=tok).status == 403
        assert d.post("sys/audit-hash/file", {"input": "x"},
                      token=tok).status == 403
        assert a.request("DELETE", "sys/audit/file").status == 204
        assert a.request("DELETE", "sys/audit/file").status == 404
        assert b.get("sys/audit").body["data"] == {}
        assert a.post("sys/audit-hash/file", {"input": "x"}).status == 404


def test_a_request_no_device_can_record_fails():
    with Cluster(1) as c:
        c.initialized()
        n = c.nodes[0]
        # /dev/full opens, and every write to it fails (ENOSPC).
        r = n.request("PUT", "sys/audit/full", {
            "type": "file", "options": {"file_path": "/dev/full"}})
        assert r.status == 204, r
        r = n.post("secret/data/refused", {"data": {"v": "x"}})
        assert r.status >= 500 and r.body["errors"], r
        r = n.get("secret/data/refused")
        assert r.status >= 500, r
        # The daemon still answers what needs no token (and no audit).
        assert n.get("sys/health").status == 200


def test_the_cli_enables_lists_and_disables_devices():
    with Cluster(1) as c:
        c.initialized()
        env = dict(base_env(), COFFER_ADDR=c.nodes[0].url,
                   COFFER_TOKEN=c.token)
        cli = Cli(env)
        log = os.path.join(c.dir, "cli-audit.log")
        out = cli("audit", "enable", "file", f"file_path={log}")
        assert "Success! Enabled the file audit device at: file/" in out
        out = cli("audit", "enable", "-path=second",
                  "-description=the second", "file",
                  f"file_path={log}2")
        assert "at: second/" in out
        out = cli("audit", "list")
        lines = out.splitlines()
        assert lines[0].split() == ["Path", "Type", "Description"], out
        assert lines[2].split() == ["file/", "file", "n/a"], out
        assert lines[3].split()[:2] == ["second/", "file"], out
        assert "the second" in lines[3]
        assert f"file_path:{log}" in cli("audit", "list", "-detailed")
        devices = json.loads(cli("audit", "list", "-format=json"))
        assert set(devices) == {"file/", "second/"}
        out = cli("audit", "enable", "file", f"file_path={log}", expect=2)
        assert "Error enabling audit device" in out
        out = cli("audit", "enable", "file", "file_path", expect=1)
        assert "key=value" in out
        out = cli("audit", "disable", "second")
        assert "Success! Disabled audit device (if it was enabled) at: " \
            "second/" in out
        assert "second/" not in cli("audit", "list")
        assert records(log), "the CLI's own requests were recorded"


def test_the_leak_check_finds_a_secret_in_a_log():
    c = Cluster(1)
    try:
        c.initialized()
        n = c.nodes[0]
        assert n.post("secret/data/leak", {"data": {"k": SECRET}}).status \
            == 200
        assert {SECRET, c.token} <= c.secrets and c.keys[0] in c.secrets
        c.check_no_secret_leaked()
        with open(n.log_path, "a") as f:
            f.write(f"oops: {SECRET}\n")
        try:
            c.check_no_secret_leaked()
        except AssertionError as e:
            assert "node1.log" in str(e) and SECRET not in str(e), e
        else:
            raise AssertionError("the leak was not found")
    finally:
        c.close()
