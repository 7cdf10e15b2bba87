"""The `coffer` CLI where the course's lab found it unlike Vault's: it
retries a 5xx answer as Vault's CLI does (so `operator init` typed right
after a node starts waits for its election), and prints kv's path header
as Vault does."""

import http.server
import json
import os
import re
import subprocess
import threading

import pytest

from cluster import COFFER_CLI, Cluster


def run(env, *args, expect=0):
    p = subprocess.run([COFFER_CLI, *args], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == expect, (args, p.returncode, p.stdout, p.stderr)
    return p.stdout + p.stderr


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VAULT_", "COFFER_"))}
    env.update(extra)
    return env


SEALED = {"type": "shamir", "initialized": True, "sealed": True, "t": 2,
          "n": 3, "progress": 0, "nonce": "", "version": "0.1.0"}


class Scripted:
    """An HTTP server that answers GET sys/seal-status with the next status
    of `answers` (the last one repeats) and counts the requests."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status = outer.answers[min(outer.requests,
                                           len(outer.answers) - 1)]
                outer.requests += 1
                body = json.dumps(SEALED if status == 200 else
                                  {"errors": ["scripted"]}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("answers, max_retries, requests, code", [
    # Two 503s, then an answer: Vault's default of 2 retries reaches it.
    ([503, 503, 200], None, 3, 2),
    # VAULT_MAX_RETRIES=0: no retry.
    ([503, 200], "0", 1, 2),
    # Retries run out: the last answer's error.
    ([502, 500, 200], "1", 2, 2),
    # Not retried: 501, and 4xx other than 412.
    ([501, 200], None, 1, 2),
    ([400, 200], None, 1, 2),
    ([412, 200], "1", 2, 2),
])
def test_the_cli_retries_5xx_and_412_as_vaults_does(answers, max_retries,
                                                    requests, code):
    server = Scripted(answers)
    try:
        env = clean_env(VAULT_ADDR=server.url)
        if max_retries is not None:
            env["VAULT_MAX_RETRIES"] = max_retries
        # `status` of a sealed node exits 2 as well: the output tells an
        # answer from an error.
        out = run(env, "status", expect=code)
        assert server.requests == requests, (server.requests, out)
        reached = answers[min(requests, len(answers)) - 1] == 200
        assert bool(re.search(r"^Sealed\s+true$", out, re.M)) == reached, out
        assert ("Error checking seal status" in out) == (not reached), out
    finally:
        server.close()


def test_init_right_after_the_first_node_starts():
    # What the lab does: start a node, type `operator init` at once. The
    # node has no leader for its first second or so; the CLI's retries
    # carry the init over it.
    with Cluster(1, bootstrap=1) as c:
        env = clean_env(VAULT_ADDR=c.nodes[0].url)
        out = run(env, "operator", "init", "-key-shares=1",
                  "-key-threshold=1", "-format=json")
        init = json.loads(out)
        c.keys, c.token = init["keys"], init["root_token"]
        c.secrets.update(init["keys"] + [init["root_token"]])
        c.nodes[0].unseal(c.keys)
        env["VAULT_TOKEN"] = c.token
        run(env, "secrets", "enable", "-path=secret", "kv-v2")
        c.secrets.add("HA cluster working")
        # Vault pads the header to the path's width, rounded up to an even
        # number of signs, and two a side at least.
        for key, signs in (("test", 2), ("a", 2), ("abcdefghijklmnop", 8)):
            out = run(env, "kv", "put", f"secret/{key}",
                      "message=HA cluster working")
            bar = "=" * signs
            assert out.startswith(f"{bar} Secret Path {bar}\n"
                                  f"secret/data/{key}\n"), out
            out = run(env, "kv", "get", f"secret/{key}")
            assert out.startswith(f"{bar} Secret Path {bar}\n"), out
