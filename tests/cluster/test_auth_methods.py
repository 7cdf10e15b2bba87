"""Logins through cofferd's HTTP API, on real clusters: Vault's sys/auth,
auth/approle/* and auth/userpass/* endpoints, their bodies and codes, and
the tokens they give."""

import json

from cluster import Cluster

READ = 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n'


def test_approle_and_userpass_logins_through_any_node():
    with Cluster(3) as c:
        c.initialized()
        a, b, d = c.nodes
        assert a.request("PUT", "sys/policies/acl/r",
                         {"policy": READ}).status == 204
        assert a.post("secret/data/app", {"data": {"pw": "s3"}}).status == 200
        r = b.request("POST", "sys/auth/approle", {"type": "approle"})
        assert r.status == 204, r
        r = d.request("POST", "sys/auth/userpass", {
            "type": "userpass", "description": "people",
            "options": {"scrypt_n": "1024"}})
        assert r.status == 204, r
        r = a.get("sys/auth")
        assert r.status == 200, r
        assert r.body["data"]["approle/"]["type"] == "approle", r
        assert r.body["data"]["approle/"]["accessor"].startswith(
            "auth_approle_"), r
        assert r.body["userpass/"]["description"] == "people", r
        assert "token/" in r.body["data"], r

        r = b.post("auth/approle/role/web", {
            "token_policies": "r", "token_ttl": "1h", "token_max_ttl": "2h",
            "secret_id_num_uses": 2})
        assert r.status == 204, r
        r = d.get("auth/approle/role/web")
        assert r.status == 200, r
        assert r.body["data"]["token_policies"] == ["r"], r
        assert r.body["data"]["token_ttl"] == 3600, r
        assert r.body["data"]["bind_secret_id"] is True, r
        r = a.get("auth/approle/role?list=true")
        assert r.status == 200 and r.body["data"]["keys"] == ["web"], r
        role_id = d.get("auth/approle/role/web/role-id").body["data"]["role_id"]
        r = b.post("auth/approle/role/web/secret-id",
                   {"metadata": '{"team": "blue"}'})
        assert r.status == 200, r
        secret = r.body["data"]
        assert secret["secret_id_num_uses"] == 2, secret

        # Logins need no token; the answer is Vault's auth block.
        r = d.post("auth/approle/login",
                   {"role_id": role_id, "secret_id": secret["secret_id"]},
                   token="")
        assert r.status == 200, r
        auth = r.body["auth"]
        assert auth["policies"] == ["default", "r"], auth
        assert auth["metadata"] == {"role_name": "web", "team": "blue"}, auth
        assert auth["lease_duration"] == 3600 and auth["orphan"] is True
        tok = auth["client_token"]
        for n in c.nodes:
            r = n.get("secret/data/app", token=tok)
            assert r.status == 200, r
            assert n.post("secret/data/app", {"data": {"pw": "x"}},
                          token=tok).status == 403
        r = b.get("auth/token/lookup-self", token=tok)
        assert r.body["data"]["path"] == "auth/approle/login", r
        assert r.body["data"]["meta"]["role_name"] == "web", r
        r = a.post("auth/approle/role/web/secret-id-accessor/lookup",
                   {"secret_id_accessor": secret["secret_id_accessor"]})
        assert r.status == 200 and r.body["data"]["secret_id_num_uses"] == 1
        # A wrong secret-id: Vault's 400; the last use; then refused.
        r = a.post("auth/approle/login",
                   {"role_id": role_id, "secret_id": "nope"}, token="")
        assert r.status == 400 and r.body["errors"], r
        assert a.post("auth/approle/login", {
            "role_id": role_id, "secret_id": secret["secret_id"]},
            token="").status == 200
        assert a.post("auth/approle/login", {
            "role_id": role_id, "secret_id": secret["secret_id"]},
            token="").status == 400

        # userpass: write, login, a wrong password like an unknown user.
        r = b.post("auth/userpass/users/alice",
                   {"password": "alice-password-1", "token_policies": ["r"]})
        assert r.status == 204, r
        r = a.get("auth/userpass/users/alice")
        assert r.status == 200 and "password" not in r.body["data"], r
        r = d.post("auth/userpass/login/alice", {"password": "alice-password-1"},
                   token="")
        assert r.status == 200, r
        assert r.body["auth"]["metadata"] == {"username": "alice"}, r
        wrong = d.post("auth/userpass/login/alice", {"password": "x"},
                       token="")
        unknown = d.post("auth/userpass/login/bob", {"password": "x"},
                         token="")
        assert wrong.status == unknown.status == 400, (wrong, unknown)
        assert wrong.body == unknown.body, (wrong, unknown)
        assert b.post("auth/userpass/users/alice/password",
                      {"password": "alice-password-2"}).status == 204
        assert d.post("auth/userpass/login/alice", {"password": "alice-password-2"},
                      token="").status == 200

        # Without a token, nothing but the logins.
        assert a.post("auth/approle/role/web", {}, token="").status == 403
        assert a.get("sys/auth", token="").status == 403
        # Disabling refuses the method's tokens at once.
        assert a.request("DELETE", "sys/auth/approle").status == 204
        for n in c.nodes:
            assert n.get("secret/data/app", token=tok).status == 403
        assert a.get("auth/approle/role/web").status == 404


def test_the_cli_enables_methods_and_logs_in():
    from test_cli import Cli, base_env
    with Cluster(3) as c:
        c.initialized()
        a, b, d = c.nodes
        env = base_env()
        env["COFFER_ADDR"] = b.url
        env["COFFER_TOKEN"] = c.token
        cli = Cli(env)
        assert a.request("PUT", "sys/policies/acl/r",
                         {"policy": READ}).status == 204
        out = cli("auth", "enable", "approle")
        assert "Enabled approle auth method at: approle/" in out, out
        cli("auth", "enable", "-path=people", "userpass", "scrypt_n=1024")
        out = cli("auth", "list")
        assert "approle/" in out and "people/" in out and "token/" in out
        listed = json.loads(cli("auth", "list", "-format=json"))
        assert listed["people/"]["options"] == {"scrypt_n": "1024"}, listed
        out = cli("write", "auth/approle/role/web", "token_policies=r",
                  "token_ttl=1h")
        assert "Success! Data written to: auth/approle/role/web" in out, out
        role_id = json.loads(cli("read", "-format=json",
                                 "auth/approle/role/web/role-id"))[
            "data"]["role_id"]
        cli("write", "auth/approle/role/web/secret-id", expect=1)  # no -f
        secret = json.loads(cli("write", "-f", "-format=json",
                                "auth/approle/role/web/secret-id"))[
            "data"]["secret_id"]
        login_env = dict(env)
        del login_env["COFFER_TOKEN"]
        anon = Cli(login_env)
        out = anon("write", "auth/approle/login", f"role_id={role_id}",
                   f"secret_id={secret}")
        assert "token_meta_role_name" in out and "web" in out, out
        tok = anon("login", "-method=approle", "-token-only",
                   f"role_id={role_id}", f"secret_id={secret}").strip()
        assert tok.startswith("hvs."), tok
        assert d.get("auth/token/lookup-self", token=tok).status == 200
        cli("write", "auth/people/users/carol",
            "password=carol-password-1", "token_policies=r")
        out = anon("login", "-method=userpass", "-path=people",
                   "username=carol", "password=carol-password-1")
        assert "Success! You are now authenticated." in out, out
        assert "token_meta_username" in out and "carol" in out, out
        anon("login", "-method=userpass", "-path=people", "username=carol",
             "password=wrong-password", expect=2)
        out = cli("auth", "disable", "approle")
        assert "Disabled" in out, out
        assert d.get("auth/token/lookup-self", token=tok).status == 403
