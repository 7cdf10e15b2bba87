"""The `coffer` CLI against a live three-process cluster."""

import json
import os
import subprocess

from cluster import COFFER_CLI, Cluster, wait_for


class Cli:
    def __init__(self, env):
        self.env = env

    def __call__(self, *args, expect=0, stdin=None):
        p = subprocess.run([COFFER_CLI, *args], capture_output=True,
                           text=True, env=self.env, input=stdin, timeout=60)
        assert p.returncode == expect, (args, p.returncode, p.stdout,
                                        p.stderr)
        return p.stdout + p.stderr


def base_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VAULT_", "COFFER_"))}
    return env


def test_the_cli_runs_the_vault_lesson():
    with Cluster(3) as c:
        c.settled()
        env = base_env()
        env["COFFER_ADDR"] = c.nodes[1].url
        cli = Cli(env)
        out = cli("status", expect=2)  # sealed and uninitialized: 2
        assert "Initialized        false" in out
        init = json.loads(cli("operator", "init", "-key-shares=3",
                              "-key-threshold", "2", "-format=json"))
        assert len(init["keys_base64"]) == 3 and init["root_token"]
        for node in c.nodes:
            one = Cli(dict(env, COFFER_ADDR=node.url))
            out = one("operator", "unseal", init["keys_base64"][0])
            assert "Unseal Progress    1/2" in out
            # The second share from stdin, as typed at the prompt.
            out = one("operator", "unseal", stdin=init["keys"][2] + "\n")
            assert "Sealed          false" in out
        # VAULT_* names work as well.
        env["VAULT_TOKEN"] = init["root_token"]
        out = cli("status")
        assert "Sealed                 false" in out
        assert "HA Mode" in out
        assert "Success! Enabled the kv-v2 secrets engine at: secret/" in cli(
            "secrets", "enable", "-path=secret", "kv-v2")
        assert "secret/" in cli("secrets", "list")
        out = cli("kv", "put", "secret/app/db", "user=admin", "pw=one")
        assert "version            1" in out
        cli("kv", "put", "-cas=1", "secret/app/db", "pw=two")
        out = cli("kv", "put", "-cas=1", "secret/app/db", "pw=three",
                  expect=2)
        assert "check-and-set parameter did not match" in out
        assert cli("kv", "get", "-field=pw", "secret/app/db") == "two\n"
        out = cli("kv", "get", "secret/app/db")
        assert "====== Data ======" in out and "pw     two" in out
        v1 = json.loads(cli("kv", "get", "-version=1", "-format=json",
                            "secret/app/db"))
        assert v1["data"]["data"] == {"user": "admin", "pw": "one"}
        cli("kv", "patch", "secret/app/db", "user=root")
        assert cli("kv", "get", "-field=user", "secret/app/db") == "root\n"
        cli("kv", "put", "-mount=secret", "app/cache", "k=v")
        assert cli("kv", "list", "secret/app").split()[-2:] == ["cache", "db"]
        cli("kv", "delete", "secret/app/db")
        out = cli("kv", "get", "-format=json", "secret/app/db")
        assert json.loads(out)["data"]["data"] is None
        cli("kv", "undelete", "-versions=3", "secret/app/db")
        assert cli("kv", "get", "-field=pw", "secret/app/db") == "two\n"
        cli("kv", "destroy", "-versions=1", "secret/app/db")
        cli("kv", "metadata", "put", "-max-versions=4",
            "-custom-metadata=owner=ops", "secret/app/db")
        out = cli("kv", "metadata", "get", "secret/app/db")
        assert "max_versions            4" in out
        assert "owner:ops" in out and "====== Version 3 ======" in out
        cli("kv", "metadata", "delete", "secret/app/db")
        cli("kv", "get", "secret/app/db", expect=2)
        cli("kv", "get", "nomount/x", expect=2)

        out = cli("operator", "raft", "list-peers")
        assert out.count("follower") == 2 and out.count("leader") == 1
        leader = c.leader()
        gone = next(n for n in c.nodes if n is not leader and
                    n is not c.nodes[1])
        assert "Peer removed successfully!" in cli(
            "operator", "raft", "remove-peer", str(gone.id))
        peers = json.loads(cli("operator", "raft", "list-peers",
                               "-format=json"))["data"]["config"]["servers"]
        assert sorted(int(s["node_id"]) for s in peers) == sorted(
            n.id for n in c.nodes if n is not gone)

        # Errors: a bad token, a dead address, a usage error.
        bad = Cli(dict(env, VAULT_TOKEN="nope"))
        assert "permission denied" in bad("kv", "get", "secret/app/cache",
                                          expect=2)
        dead = Cli(dict(env, COFFER_ADDR="http://127.0.0.1:1"))
        dead("status", expect=1)
        cli("no-such-command", expect=1)
        # Key rotation and leadership hand-over, as Vault's operator verbs.
        out = cli("operator", "rotate")
        assert "Success! Rotated key" in out and "Key Term" in out, out
        # This node reports the new term once it applied the rotation.
        wait_for(lambda: json.loads(cli("operator", "key-status",
                                        "-format=json"))["data"]["term"] >= 2,
                 "the rotation applied on the CLI's node")
        before = c.leader()
        assert "Success! Stepped down" in cli("operator", "step-down")
        wait_for(lambda: c.leader() is not before, "a new leader")
        assert "Success! coffer is sealed." in cli("operator", "seal")
        cli("status", expect=2)


def test_token_and_policy_verbs_round_trip(tmp_path):
    with Cluster(3) as c:
        c.initialized()
        env = base_env()
        env["COFFER_ADDR"] = c.nodes[0].url
        env["COFFER_TOKEN"] = c.token
        cli = Cli(env)
        cli("kv", "put", "secret/app/db", "pw=s3")
        policy = tmp_path / "reader.hcl"
        policy.write_text('path "secret/data/app/*" {\n'
                          '  capabilities = ["read"]\n}\n')
        assert "Success! Uploaded policy: reader" in cli(
            "policy", "write", "reader", str(policy))
        assert "Success! Uploaded policy: other" in cli(
            "policy", "write", "other", "-",
            stdin='path "x/*" { capabilities = ["list"] }\n')
        assert cli("policy", "read", "reader") == policy.read_text()
        listed = cli("policy", "list").split()
        assert {"default", "reader", "other", "root"} <= set(listed), listed
        assert json.loads(cli("policy", "list", "-format=json")) == sorted(
            listed)
        out = cli("token", "create", "-policy=reader", "-ttl=1h",
                  "-display-name=ro", "-metadata=team=x")
        assert "token_policies       [default reader]" in out, out
        assert "token_duration       1h0m0s" in out, out
        assert "token_meta_team      x" in out, out
        made = json.loads(cli("token", "create", "-policy", "reader",
                              "-policy=other", "-use-limit=10",
                              "-format=json"))["auth"]
        assert made["policies"] == ["default", "other", "reader"], made
        assert made["num_uses"] == 10
        tok, acc = made["client_token"], made["accessor"]
        # The new token, on another node.
        ro = Cli(dict(env, COFFER_TOKEN=tok, COFFER_ADDR=c.nodes[2].url))
        assert ro("kv", "get", "-field=pw", "secret/app/db") == "s3\n"
        out = ro("kv", "put", "secret/app/db", "pw=x", expect=2)
        assert "permission denied" in out and "403" in out, out
        out = ro("token", "lookup")
        assert f"id                  {tok}" in out, out
        assert "policies            [default other reader]" in out, out
        out = cli("token", "lookup", "-accessor", acc)
        assert f"accessor            {acc}" in out and tok not in out, out
        looked = json.loads(cli("token", "lookup", "-format=json", tok))
        assert looked["data"]["id"] == tok
        assert ro("token", "capabilities", "secret/data/app/db") == "read\n"
        assert cli("token", "capabilities", tok,
                   "secret/data/zzz") == "deny\n"
        assert cli("token", "capabilities", "secret/data/zzz") == "root\n"
        out = ro("token", "renew", "-increment=30m")
        assert "token_duration       30m0s" in out, out
        assert "Success! Revoked token" in cli("token", "revoke", "-accessor",
                                               acc)
        for node in c.nodes:
            gone = Cli(dict(env, COFFER_TOKEN=tok, COFFER_ADDR=node.url))
            out = gone("kv", "get", "secret/app/db", expect=2)
            assert "permission denied" in out, out
        assert "Success! Deleted policy: other" in cli("policy", "delete",
                                                       "other")
        assert "other" not in cli("policy", "list").split()
        self_tok = json.loads(cli("token", "create", "-orphan",
                                  "-format=json"))["auth"]
        assert self_tok["orphan"] is True
        mine = Cli(dict(env, COFFER_TOKEN=self_tok["client_token"]))
        assert "Success!" in mine("token", "revoke", "-self")
        mine("token", "lookup", expect=2)


def test_policy_fmt_rewrites_a_policy_the_server_still_takes(tmp_path):
    with Cluster(1) as c:
        c.initialized()
        env = dict(base_env(), COFFER_ADDR=c.nodes[0].url,
                   COFFER_TOKEN=c.token)
        cli = Cli(env)
        f = tmp_path / "p.hcl"
        f.write_text('path "secret/data/*" {capabilities=["read","create"]\n'
                     ' allowed_parameters = {"x"=[]}}\n'
                     'path "sys/x" { policy = "read" }\n')
        assert "Success! Formatted policy" in cli("policy", "fmt", str(f))
        once = f.read_text()
        cli("policy", "fmt", str(f))
        assert f.read_text() == once  # canonical: a fixed point
        cli("policy", "write", "p", str(f))
        tok = json.loads(cli("token", "create", "-policy=p",
                             "-format=json"))["auth"]["client_token"]
        assert cli("token", "capabilities", tok,
                   "secret/data/a") == "create, read\n"
        bad = tmp_path / "bad.hcl"
        bad.write_text('path "x" {')
        out = cli("policy", "fmt", str(bad), expect=1)
        assert "1:1" in out and bad.read_text() == 'path "x" {', out
