"""sys/metrics on real clusters: Vault's JSON shape and Prometheus' text
format, scraped from every node and parsed strictly; who may read them."""

import json
import math
import re
import subprocess
import urllib.error
import urllib.request

import pytest

from cluster import COFFERD, Cluster, wait_for

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(
    rf"^({NAME})(\{{(?:{LABEL})(?:,{LABEL})*\}})? "
    r"([-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|Inf|NaN))$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|"
                  r"untyped)$")
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """{name: [(labels dict, value)]} and {name: type}; fails on any line
    that is not a HELP or TYPE comment or `name{labels} value`, on a
    sample before its family's TYPE, and on a family typed twice."""
    assert text.endswith("\n"), "the exposition ends with a newline"
    samples, types = {}, {}
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = HELP.match(line) or TYPE.match(line)
            assert m, f"line {n}: a bad comment: {line!r}"
            if line.startswith("# TYPE"):
                assert m.group(1) not in types, f"line {n}: typed twice"
                types[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        assert m, f"line {n}: not `name{{labels}} value`: {line!r}"
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or (family in types and
                                 types[family] == "histogram"), \
            f"line {n}: {name} has no TYPE line before it"
        labels = dict(LABEL_PAIR.findall(m.group(2) or ""))
        samples.setdefault(name, []).append((labels, float(m.group(3))))
    return samples, types


def fetch(node, query="", token=None):
    """(status, body text) of GET sys/metrics."""
    req = urllib.request.Request(f"{node.url}/v1/sys/metrics{query}")
    token = node.cluster.token if token is None else token
    if token:
        req.add_header("X-Vault-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def prometheus(node, token=None):
    status, text = fetch(node, "?format=prometheus", token)
    assert status == 200, (status, text)
    return parse_prometheus(text)


def value(samples, name, **want):
    """The one sample of `name` whose labels include `want`."""
    found = [v for labels, v in samples.get(name, [])
             if all(labels.get(k) == w for k, w in want.items())]
    assert len(found) == 1, (name, want, samples.get(name))
    return found[0]


def total(samples, name, **want):
    return sum(v for labels, v in samples.get(name, [])
               if all(labels.get(k) == w for k, w in want.items()))


def check_json_shape(body):
    for key in ("Timestamp", "Gauges", "Counters", "Samples"):
        assert key in body, body.keys()
    for g in body["Gauges"]:
        assert set(g) == {"Name", "Value", "Labels"}, g
    fields = {"Name", "Count", "Rate", "Sum", "Min", "Max", "Mean", "Stddev",
              "Labels"}
    for c in body["Counters"] + body["Samples"]:
        assert set(c) == fields, c
        assert c["Min"] <= c["Mean"] <= c["Max"], c
    return {g["Name"]: g["Value"] for g in body["Gauges"]}


def check_histogram(samples, name):
    """Buckets cumulative, +Inf last and equal to _count."""
    buckets = [(labels, v) for labels, v in samples[f"{name}_bucket"]]
    by_series = {}
    for labels, v in buckets:
        key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
        by_series.setdefault(key, []).append((labels["le"], v))
    for key, series in by_series.items():
        counts = [v for _, v in series]
        assert counts == sorted(counts), (name, series)
        assert series[-1][0] == "+Inf", series
        bounds = [float(le) for le, _ in series[:-1]]
        assert bounds == sorted(bounds) and not any(map(math.isinf, bounds))
        count = value(samples, f"{name}_count", **dict(key))
        assert series[-1][1] == count, (series, count)


def test_every_node_reports_vault_metrics_in_both_formats():
    with Cluster(3) as c:
        c.initialized()
        # Unsealed everywhere, active on exactly one node (each reports
        # its own leadership on its loop's next pass: wait for it).
        def scraped():
            out = [prometheus(n)[0] for n in c.nodes]
            active = [total(s, "vault_core_active") for s in out]
            ok = all(total(s, "vault_core_unsealed") == 1 for s in out) and \
                sorted(active) == [0, 0, 1]
            return out if ok else None
        samples = wait_for(scraped, "unsealed on all, active on one")
        for s in samples:
            assert len(s["vault_core_unsealed"]) == 1, s["vault_core_unsealed"]
            assert total(s, "coffer_node_sealed") == 0
            for name in ("vault_runtime_resident_bytes",
                         "vault_runtime_threads", "vault_runtime_open_fds",
                         "vault_runtime_uptime_seconds"):
                assert total(s, name) > 0, name
            assert total(s, "coffer_raft_term") >= 1
        leader = c.leader()
        lead = samples[c.nodes.index(leader)]
        assert total(lead, "vault_raft_state_leader") >= 1
        assert total(lead, "vault_core_active") == 1

        # The JSON form says the same, in Vault's shape.
        for n in c.nodes:
            r = n.get("sys/metrics")
            assert r.status == 200, r
            gauges = check_json_shape(r.body)
            assert gauges["vault.core.unsealed"] == 1, gauges
            assert gauges["coffer.node.sealed"] == 0, gauges

        # KV writes on a standby: its request counters and latencies
        # grow, and the leader applies them (vault.raft.apply).
        standby = next(n for n in c.nodes if n is not leader)
        before, types = prometheus(standby)
        assert types["vault_core_handle_request"] == "histogram", types
        assert types["cofferd_http_requests"] == "counter", types
        lead_before = prometheus(leader)[0]
        for i in range(5):
            assert standby.post(f"secret/data/m{i}",
                                {"data": {"v": str(i)}}).status == 200
        after, _ = prometheus(standby)
        for name in ("coffer_node_requests", "vault_core_handle_request_count"):
            assert total(after, name) >= total(before, name) + 5, name
        assert total(after, "cofferd_http_requests", method="POST",
                     code="200") >= total(before, "cofferd_http_requests",
                                          method="POST", code="200") + 5
        assert total(after, "cofferd_http_request_latency_count",
                     method="POST") >= 5
        check_histogram(after, "vault_core_handle_request")
        check_histogram(after, "cofferd_http_request_latency")
        wait_for(lambda: total(prometheus(leader)[0], "vault_raft_apply") >=
                 total(lead_before, "vault_raft_apply") + 5,
                 "the leader applies the writes")
        # The JSON counters agree with the text.
        body = standby.get("sys/metrics").body
        count = {x["Name"]: x for x in body["Samples"]}
        assert count["vault.core.handle_request"]["Count"] >= 5, count


POLICY = 'path "sys/metrics" {\n  capabilities = ["read"]\n}\n'


def test_metrics_need_read_on_sys_metrics():
    with Cluster(3) as c:
        c.initialized()
        a, b, d = c.nodes
        r = a.post("auth/token/create", {"policies": ["default"]})
        assert r.status == 200, r
        plain = r.body["auth"]["client_token"]
        assert a.request("PUT", "sys/policies/acl/metrics",
                         {"policy": POLICY}).status == 204
        r = a.post("auth/token/create", {"policies": ["metrics"]})
        assert r.status == 200, r
        reader = r.body["auth"]["client_token"]
        for n in (a, b, d):
            for query in ("", "?format=prometheus"):
                status, text = fetch(n, query, token=plain)
                assert status == 403, (status, text)
                assert json.loads(text) == {"errors": ["permission denied"]}
                status, text = fetch(n, query, token="")
                assert status == 403, (status, text)
                status, text = fetch(n, query, token="hvs.not-a-token-at-all")
                assert status == 403, (status, text)
            # The reader may, on every node (its token replicated).
            wait_for(lambda: fetch(n, token=reader)[0] == 200,
                     f"node {n.id} knows the reader's token")
            prometheus(n, token=reader)
        status, text = fetch(a, "?format=xml")
        assert status == 400, (status, text)


def unauthenticated(node, config):
    config["listener"]["tcp"]["telemetry"] = {
        "unauthenticated_metrics_access": True}
    config["telemetry"] = {"prometheus_retention_time": "0",
                           "disable_hostname": True,
                           "statsd_address": "127.0.0.1:8125"}  # kept


def test_unauthenticated_access_when_configured():
    with Cluster(1, config_hook=unauthenticated) as c:
        n = c.nodes[0]
        # Sealed and uninitialized, it still reports, without a token.
        status, text = fetch(n, token="")
        assert status == 200, (status, text)
        gauges = check_json_shape(json.loads(text))
        assert gauges["vault.core.unsealed"] == 0, gauges
        c.initialized()
        def unsealed():
            status, text = fetch(n, token="")
            return status == 200 and json.loads(text)
        body = wait_for(lambda: (b := unsealed()) and check_json_shape(b)[
            "vault.core.unsealed"] == 1 and b, "unsealed in the metrics")
        # disable_hostname: no host label.
        assert all(g["Labels"] == {} for g in body["Gauges"]), body["Gauges"]
        # prometheus_retention_time = 0 turns the text format off (Vault).
        status, text = fetch(n, "?format=prometheus", token="")
        assert status == 400, (status, text)
        assert "prometheus is not enabled" in text


def test_gauges_carry_the_host_label_by_default():
    with Cluster(1) as c:
        c.initialized()
        samples, types = prometheus(c.nodes[0])
        assert types["vault_core_unsealed"] == "gauge"
        [(labels, _)] = samples["vault_core_unsealed"]
        assert labels.get("host"), labels
        # Counters do not (Vault names only gauges by host).
        for labels, _ in samples.get("cofferd_http_requests", []):
            assert "host" not in labels, labels


def test_vault_hcl_telemetry_blocks():
    # Imported here: test_vault_hcl's helpers write and start a vault.hcl.
    from test_vault_hcl import start, vault_hcl
    with Cluster(1, start=False) as c:
        n = c.nodes[0]
        text = vault_hcl(n, []).replace(
            "  tls_disable     = true\n}",
            "  tls_disable     = true\n"
            "  telemetry {\n    unauthenticated_metrics_access = true\n  }\n}")
        assert "unauthenticated_metrics_access" in text
        start(n, text)
        samples, types = prometheus(n, token="")
        assert value(samples, "vault_core_unsealed") == 0
        # telemetry's disable_hostname = true: no host label.
        assert list(samples["vault_core_unsealed"][0][0]) == []


@pytest.mark.parametrize("extra, expected", [
    ('telemetry {\n  prometheus_retention_time = "soon"\n}\n',
     "vault.hcl: 11:31: telemetry.prometheus_retention_time: must be a "
     "duration"),
    ('telemetry {\n  disable_hostname = "yes"\n}\n',
     "vault.hcl: 11:22: telemetry.disable_hostname: must be true or false"),
])
def test_a_bad_telemetry_value_is_refused_with_its_line(tmp_path, extra,
                                                        expected):
    from test_vault_hcl import GOOD
    path = tmp_path / "vault.hcl"
    path.write_text(GOOD + "\n" + extra)
    r = subprocess.run([COFFERD, "server", f"-config={path}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, r
    assert expected in r.stderr, r.stderr


def test_only_get_reads_metrics():
    with Cluster(1) as c:
        c.initialized()
        r = c.nodes[0].post("sys/metrics", {})
        assert r.status == 405, r
