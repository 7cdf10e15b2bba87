"""Tokens and policies through cofferd's HTTP API, on real clusters: the
node checks every request's token (Vault's auth/token/*, sys/policies/acl,
sys/capabilities)."""

import os
import re
import subprocess

from cluster import COFFER_CLI, Cluster, wait_for

READ_ONLY = 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n'


def create(node, token=None, **body):
    r = node.post("auth/token/create", body, token=token)
    assert r.status == 200, r
    return r.body["auth"]


def test_root_token_is_an_hvs_token():
    with Cluster(1) as c:
        c.initialized()
        assert re.fullmatch(r"hvs\.[0-9A-Za-z]{33}", c.token), c.token
        r = c.nodes[0].get("auth/token/lookup-self")
        assert r.status == 200, r
        d = r.body["data"]
        assert d["policies"] == ["root"] and d["id"] == c.token, d
        assert d["type"] == "service" and d["expire_time"] is None, d


def test_read_only_token_reads_and_is_refused_writes_on_every_node():
    with Cluster(3) as c:
        c.initialized()
        a, b, d = c.nodes
        assert a.request("PUT", "sys/policies/acl/reader",
                         {"policy": READ_ONLY}).status == 204
        r = b.get("sys/policies/acl/reader")
        assert r.status == 200 and r.body["data"]["policy"] == READ_ONLY, r
        r = d.get("sys/policies/acl?list=true")
        assert "reader" in r.body["data"]["keys"], r
        r = d.get("sys/policy")
        assert "reader" in r.body["policies"] and r.body["keys"], r
        assert a.post("secret/data/app/db",
                      {"data": {"pw": "s3"}}).status == 200
        # Created on one node, used on the others.
        auth = create(b, policies=["reader"], ttl="1h",
                      meta={"team": "x"}, display_name="ro")
        tok = auth["client_token"]
        assert tok.startswith("hvs.") and auth["accessor"], auth
        assert auth["policies"] == ["default", "reader"], auth
        assert auth["token_policies"] == auth["policies"]
        assert auth["lease_duration"] == 3600 and auth["renewable"] is True
        assert auth["orphan"] is False and auth["entity_id"] == ""
        assert auth["token_type"] == "service" and auth["num_uses"] == 0
        assert auth["metadata"] == {"team": "x"}, auth
        for n in c.nodes:
            r = n.get("secret/data/app/db", token=tok)
            assert r.status == 200 and r.body["data"]["data"] == {
                "pw": "s3"}, r
            r = n.post("secret/data/app/db", {"data": {"pw": "x"}},
                       token=tok)
            assert r.status == 403, r
            assert r.body == {"errors": ["permission denied"]}, r
            r = n.post("secret/data/app/new", {"data": {"k": "v"}},
                       token=tok)
            assert r.status == 403, r
            assert n.get("sys/mounts", token=tok).status == 403
        # The refused writes left nothing.
        r = a.get("secret/data/app/db")
        assert r.body["data"]["data"] == {"pw": "s3"}, r
        assert r.body["data"]["metadata"]["version"] == 1, r
        assert a.get("secret/data/app/new").status == 404
        # Lookups: the id only where the caller presented it.
        r = d.get("auth/token/lookup-self", token=tok)
        data = r.body["data"]
        assert r.status == 200 and data["id"] == tok, r
        assert data["display_name"] == "token-ro", data
        assert data["meta"] == {"team": "x"} and data["creation_ttl"] == 3600
        assert 0 < data["ttl"] <= 3600 and data["path"] == "auth/token/create"
        assert data["expire_time"], data
        r = a.post("auth/token/lookup", {"token": tok})
        assert r.status == 200 and r.body["data"]["id"] == tok, r
        r = a.post("auth/token/lookup-accessor",
                   {"accessor": auth["accessor"]})
        assert r.status == 200 and r.body["data"]["id"] == "", r
        assert r.body["data"]["policies"] == ["default", "reader"]
        r = a.get("auth/token/accessors?list=true")
        assert auth["accessor"] in r.body["data"]["keys"], r
        # Capabilities.
        r = b.post("sys/capabilities-self",
                   {"paths": ["secret/data/app/db"]}, token=tok)
        assert r.status == 200, r
        assert r.body["capabilities"] == ["read"], r
        assert r.body["secret/data/app/db"] == ["read"], r
        r = b.post("sys/capabilities", {"token": tok,
                                        "paths": ["secret/data/other"]})
        assert r.body["capabilities"] == ["deny"], r
        r = b.post("sys/capabilities-accessor",
                   {"accessor": auth["accessor"], "paths": ["sys/mounts"]})
        assert r.body["capabilities"] == ["deny"], r
        # Renewal, then revocation: refused on every node.
        r = d.post("auth/token/renew-self", {"increment": "30m"}, token=tok)
        assert r.status == 200, r
        assert r.body["auth"]["lease_duration"] == 1800, r
        assert r.body["auth"]["client_token"] == tok
        # By accessor: the same renewal, and no token in the answer.
        r = b.post("auth/token/renew-accessor",
                   {"accessor": auth["accessor"], "increment": "45m"})
        assert r.status == 200, r
        assert r.body["auth"]["lease_duration"] == 2700, r
        assert r.body["auth"]["client_token"] == "", r
        assert r.body["auth"]["accessor"] == auth["accessor"]
        r = b.post("auth/token/renew-accessor", {"accessor": "nosuch"})
        assert r.status == 404, r
        r = a.post("auth/token/revoke", {"token": tok})
        assert r.status == 204, r
        for n in c.nodes:
            r = n.get("secret/data/app/db", token=tok)
            assert r.status == 403, (n.id, r)
            assert n.get("auth/token/lookup-self",
                         token=tok).status == 403
        # A deleted policy grants nothing.
        tok2 = create(a, policies=["reader"])["client_token"]
        assert d.get("secret/data/app/db", token=tok2).status == 200
        assert a.request("DELETE", "sys/policies/acl/reader").status == 204
        assert d.get("secret/data/app/db", token=tok2).status == 403
        assert a.get("sys/policies/acl/reader").status == 404


def test_token_tree_revocation_and_orphans():
    with Cluster(1) as c:
        c.initialized()
        n = c.nodes[0]
        # Vault's default policy may not create tokens; "maker" may.
        assert n.request("PUT", "sys/policies/acl/maker", {
            "policy": 'path "auth/token/create" '
                      '{ capabilities = ["update"] }'}).status == 204
        parent = create(n, policies=["maker"])["client_token"]
        r = n.post("auth/token/create", {}, token=create(
            n, policies=["default"])["client_token"])
        assert r.status == 403, r
        child = create(n, token=parent)["client_token"]
        orphan = create(n, token=parent, ttl=120)
        assert orphan["lease_duration"] == 120
        # A non-root token may not make orphans (sudo on auth/token/create).
        r = n.post("auth/token/create", {"no_parent": True}, token=parent)
        assert r.status == 403, r
        r = n.post("auth/token/create-orphan", {"ttl": "10m"})
        assert r.status == 200 and r.body["auth"]["orphan"] is True, r
        lone = r.body["auth"]["client_token"]
        assert n.post("auth/token/revoke-self", token=parent).status == 204
        for t in (parent, child, orphan["client_token"]):
            assert n.get("auth/token/lookup-self", token=t).status == 403
        assert n.get("auth/token/lookup-self", token=lone).status == 200
        r = n.post("auth/token/lookup-accessor",
                   {"accessor": r.body["auth"]["accessor"]})
        assert r.status == 200
        r = n.post("auth/token/revoke-accessor",
                   {"accessor": r.body["data"]["accessor"]})
        assert r.status == 204, r
        assert n.get("auth/token/lookup-self", token=lone).status == 403
        # Malformed bodies are 400, not 403.
        assert n.post("auth/token/create", {"ttl": "soon"}).status == 400
        assert n.post("auth/token/lookup", {}).status == 400
        assert n.request("PUT", "sys/policies/acl/bad",
                         {"policy": 'path "x" {'}).status == 400


def test_no_quorum_and_sealed_are_503_not_403():
    with Cluster(3) as c:
        c.initialized()
        leader = c.leader()
        others = [n for n in c.nodes if n is not leader]
        tok = create(leader, policies=["default"])["client_token"]
        # Sealed with a valid token: 503.
        assert others[0].request("PUT", "sys/seal").status == 204
        for t in (c.token, tok):
            r = others[0].get("secret/data/x", token=t)
            assert r.status == 503, r
            r = others[0].get("auth/token/lookup-self", token=t)
            assert r.status == 503, r
        # No quorum: the token cannot be checked; never 403.
        others[1].kill()
        others[0].kill()
        for t in (c.token, tok):
            for path in ("secret/data/x", "auth/token/lookup-self"):
                r = leader.get(path, token=t, timeout=120)
                assert r.status in (500, 503), (path, r)


def test_a_narrow_token_finds_its_mount_and_no_other():
    """Vault's sys/internal/ui/mounts: a token without read on sys/mounts
    finds the mount of a path it may use (how the CLI routes `kv get`),
    on a mount that is not the path's first segment too."""
    with Cluster(3) as c:
        c.initialized()
        a, b, d = c.nodes
        assert a.post("sys/mounts/team/kv",
                      {"type": "kv", "options": {"version": "2"}}
                      ).status == 204
        assert a.request("PUT", "sys/policies/acl/team", {
            "policy": 'path "team/kv/data/app/*" '
                      '{ capabilities = ["read", "create", "update"] }'
        }).status == 204
        tok = create(a, policies=["team"])["client_token"]
        r = b.post("team/kv/data/app/db", {"data": {"pw": "n3sted"}},
                   token=tok)
        assert r.status == 200, r
        for n in c.nodes:
            assert n.get("sys/mounts", token=tok).status == 403
            r = n.get("sys/internal/ui/mounts/team/kv/app/db", token=tok)
            assert r.status == 200, (n.id, r)
            assert r.body["data"]["path"] == "team/kv/", r
            r = n.get("team/kv/data/app/db", token=tok)
            assert r.status == 200, (n.id, r)
            assert r.body["data"]["data"] == {"pw": "n3sted"}, r
            # A mount it may use nothing under, and no mount at all: the
            # same refusal, so that it cannot list the mounts.
            for path in ("sys/internal/ui/mounts/secret/x",
                         "sys/internal/ui/mounts/nomount/x"):
                assert n.get(path, token=tok).status == 403, (n.id, path)
            assert n.get("nomount/data/x", token=tok).status == 403
            # A token that may list the mounts is told there is none.
            assert n.get("nomount/data/x").status == 404
        # The CLI routes `kv get` the same way.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("VAULT_", "COFFER_"))}
        env.update(VAULT_ADDR=d.url, VAULT_TOKEN=tok)
        p = subprocess.run([COFFER_CLI, "kv", "get", "-field=pw",
                            "team/kv/app/db"], capture_output=True,
                           text=True, env=env, timeout=60)
        assert (p.returncode, p.stdout) == (0, "n3sted\n"), p
