"""deploy/: the systemd unit, the compose file and every .hcl in it.

The unit is checked with systemd-analyze (verify, and security's exposure
score) where systemd-analyze is installed, and its system call filter
against what cofferd calls through the whole lab (under strace, where
strace is installed); the compose file's structure
with PyYAML or `docker compose config`, whichever is there; every .hcl by
starting cofferd on it (paths, ports and certificates made local).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEPLOY = os.path.join(ROOT, "deploy")
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))

from cluster import COFFERD, Tls, free_ports, wait_for  # noqa: E402

UNIT = os.path.join(DEPLOY, "cofferd.service")
COMPOSE = os.path.join(DEPLOY, "docker-compose.ha.yml")
# `systemd-analyze security` scores exposure from 0 (none) to 10; the unit
# scores 1.3. A change that loosens it past 2.0 fails here.
MAX_EXPOSURE = "20"  # tenths, as --threshold takes it


def unit_settings():
    """The unit's Key=Value lines: {key: [values]} (keys repeat)."""
    out = {}
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")):
                key, _, value = line.partition("=")
                out.setdefault(key, []).append(value)
    return out


def hcl_string(text, key):
    """The values of `key = "..."` in an HCL file (comments skipped)."""
    code = "\n".join(l for l in text.splitlines()
                     if not l.lstrip().startswith("#"))
    return re.findall(rf'^\s*{key}\s*=\s*"([^"]*)"', code, re.M)


def test_the_unit_is_hardened_as_documented():
    s = unit_settings()
    expected = {
        "User": "coffer", "LimitMEMLOCK": "infinity", "LimitCORE": "0",
        "ProtectSystem": "strict", "ProtectHome": "yes",
        "PrivateTmp": "yes", "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "CAP_IPC_LOCK",
        "AmbientCapabilities": "CAP_IPC_LOCK",
        "ReadWritePaths": "/var/lib/coffer",
    }
    for key, value in expected.items():
        assert s.get(key) == [value], (key, s.get(key))
    # The unit and the example configuration agree on the paths.
    with open(os.path.join(DEPLOY, "coffer.hcl")) as f:
        hcl = f.read()
    assert hcl_string(hcl, "path") == ["/var/lib/coffer"]
    assert s["ExecStart"] == [
        "/usr/local/bin/cofferd server -config=/etc/coffer/coffer.hcl"]
    assert s["ConditionFileNotEmpty"] == ["/etc/coffer/coffer.hcl"]


def test_the_unit_passes_systemd_analyze(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit is not "
                    "verified (Debian: apt-get install systemd)")
    # verify checks that ExecStart's binary exists: point it at the build.
    unit = tmp_path / "cofferd.service"
    with open(UNIT) as f:
        unit.write_text(f.read().replace("/usr/local/bin/cofferd", COFFERD))
    p = subprocess.run([analyze, "verify", "--man=no", str(unit)],
                       capture_output=True, text=True, timeout=60)
    ours = [l for l in (p.stdout + p.stderr).splitlines()
            if "cofferd.service" in l]
    assert p.returncode == 0 and not ours, p
    p = subprocess.run([analyze, "security", "--offline=yes",
                        f"--threshold={MAX_EXPOSURE}", str(unit)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr


def syscall_group(analyze, name):
    """The system calls of a systemd group (@name), nested groups
    expanded."""
    out = subprocess.run([analyze, "syscall-filter", name],
                         capture_output=True, text=True, timeout=60).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if item.startswith("@"):
            calls |= syscall_group(analyze, item)
        elif re.fullmatch(r"[a-z_0-9]+", item):
            calls.add(item)
    return calls


def test_cofferd_calls_only_what_the_units_filter_allows(tmp_path):
    # Under systemd a call outside SystemCallFilter fails with EPERM: a
    # dependency that starts using one would break the unit's nodes only
    # there. So the whole lab (init, unseal, joins, writes, a failover,
    # snapshots, a restart) runs with each cofferd under strace, and every
    # call it made must be inside the filter.
    analyze, strace = shutil.which("systemd-analyze"), shutil.which("strace")
    if analyze is None or strace is None:
        pytest.skip("systemd-analyze or strace is not installed: the "
                    "unit's system call filter is not checked")
    if subprocess.run([strace, "-qq", "-o", os.devnull, "true"],
                      capture_output=True).returncode != 0:
        pytest.skip("strace cannot trace here (ptrace refused): the "
                    "unit's system call filter is not checked")
    s = unit_settings()
    allowed, denied = set(), set()
    for spec in s["SystemCallFilter"]:
        names = spec.lstrip("~").split()
        calls = set()
        for n in names:
            calls |= syscall_group(analyze, n) if n.startswith("@") else {n}
        (denied if spec.startswith("~") else allowed).update(calls)
    allowed -= denied
    assert len(allowed) > 100, "systemd-analyze listed no groups"
    traces = tmp_path / "traces"
    traces.mkdir()
    wrapper = tmp_path / "cofferd"
    wrapper.write_text(f'#!/bin/sh\nexec {strace} -f -qq -o '
                       f'{traces}/trace.$$ {COFFERD} "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, COFFERD_BIN=str(wrapper))
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/lab")],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    used = set()
    for trace in traces.iterdir():
        for line in trace.read_text(errors="replace").splitlines():
            m = re.match(r"\d+\s+([a-z_0-9]+)\(", line)
            if m:
                used.add(m.group(1))
    assert len(used) > 20, f"strace recorded {len(used)} system calls"
    assert used <= allowed, \
        f"outside SystemCallFilter: {sorted(used - allowed)}"


def load_compose():
    """The compose file as data: PyYAML, else `docker compose config`."""
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        with open(COMPOSE) as f:
            return yaml.safe_load(f), "yaml"
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"],
                                 capture_output=True).returncode == 0:
        p = subprocess.run([docker, "compose", "-f", COMPOSE, "config",
                            "--format", "json"], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout), "docker compose"
    pytest.skip("neither PyYAML (python3-yaml) nor `docker compose` is "
                "installed: the compose file is not checked")


def test_the_compose_file_runs_three_coffer_services():
    doc, how = load_compose()
    services = doc["services"]
    assert sorted(services) == ["coffer-1", "coffer-2", "coffer-3"], how
    host_ports = set()
    for name, svc in services.items():
        n = name.split("-")[1]
        assert svc["hostname"] == name
        build = svc["build"]
        context = build["context"] if how == "docker compose" else \
            os.path.join(DEPLOY, build["context"])
        assert os.path.isfile(os.path.join(context, build["dockerfile"]))
        assert "IPC_LOCK" in svc["cap_add"]
        memlock = svc["ulimits"]["memlock"]
        assert memlock in (-1, {"soft": -1, "hard": -1}), memlock
        # The node's configuration, mounted where the image's CMD reads it.
        mounts = {}
        for v in svc["volumes"]:
            if isinstance(v, str):
                src, dst = v.split(":")[:2]
            else:
                src, dst = v["source"], v["target"]
            mounts[dst] = src
        src = mounts["/coffer/config/coffer.hcl"]
        path = src if os.path.isabs(src) else os.path.join(DEPLOY, src)
        with open(path) as f:
            hcl = f.read()
        assert hcl_string(hcl, "node_id") == [n], path
        assert hcl_string(hcl, "path") == ["/coffer/data"], path
        assert hcl_string(hcl, "api_addr") == [f"http://{name}:8200"], path
        joins = hcl_string(hcl, "leader_api_addr")
        # coffer-1 starts the cluster; the others join it by name.
        if n == "1":
            assert joins == [], path
        else:
            assert "http://coffer-1:8200" in joins, path
            assert all(re.fullmatch(r"http://coffer-[123]:8200", j)
                       for j in joins), joins
        assert mounts["/coffer/data"] in doc["volumes"]
        for p in svc["ports"]:
            host, target = (p.split(":") if isinstance(p, str) else
                            (str(p["published"]), str(p["target"])))
            assert target == "8200"
            host_ports.add(host)
    assert len(host_ports) == 3, host_ports
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        dockerfile = f.read()
    assert '"-config=/coffer/config/coffer.hcl"' in dockerfile


def localize(text, node_dir, api_port, cluster_port, tls):
    """A deploy .hcl made to run here: data in node_dir, loopback ports,
    retry_join to a port where nothing listens, tls files from `tls`."""
    scheme = "https" if tls else "http"
    dead = free_ports(1)[0]
    subs = [
        (r'(\bpath\s*=\s*)"[^"]*"', rf'\1"{node_dir}"'),
        (r'(\baddress\s*=\s*)"[^"]*"', rf'\1"127.0.0.1:{api_port}"'),
        (r'(\bcluster_address\s*=\s*)"[^"]*"',
         rf'\1"127.0.0.1:{cluster_port}"'),
        (r'(\bapi_addr\s*=\s*)"[^"]*"', rf'\1"{scheme}://127.0.0.1:{api_port}"'),
        (r'(\bcluster_addr\s*=\s*)"[^"]*"',
         rf'\1"https://127.0.0.1:{cluster_port}"'),
        (r'(\bleader_api_addr\s*=\s*)"[^"]*"',
         rf'\1"{scheme}://127.0.0.1:{dead}"'),
    ]
    if tls:
        subs += [(r'(\btls_cert_file\s*=\s*)"[^"]*"', rf'\1"{tls.cert}"'),
                 (r'(\btls_key_file\s*=\s*)"[^"]*"', rf'\1"{tls.key}"'),
                 (r'(\btls_client_ca_file\s*=\s*)"[^"]*"', rf'\1"{tls.ca}"')]
    for pattern, repl in subs:
        text = re.sub(pattern, repl, text)
    return text


HCL_FILES = ["coffer.hcl", "compose/coffer-1.hcl", "compose/coffer-2.hcl",
             "compose/coffer-3.hcl"]


@pytest.mark.parametrize("name", HCL_FILES)
def test_each_deploy_hcl_starts_a_node(name):
    import urllib.request
    with open(os.path.join(DEPLOY, name)) as f:
        original = f.read()
    top = tempfile.mkdtemp(prefix="coffer-deploy-")
    proc = None
    try:
        tls = Tls(os.path.join(top, "tls")) if "tls_cert_file" in \
            original else None
        api_port, cluster_port = free_ports(2)
        config = os.path.join(top, "coffer.hcl")
        with open(config, "w") as f:
            f.write(localize(original, os.path.join(top, "data"), api_port,
                             cluster_port, tls))
        log = open(os.path.join(top, "log"), "wb")
        proc = subprocess.Popen([COFFERD, "server", f"-config={config}"],
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True)
        log.close()
        url = (f"{'https' if tls else 'http'}://127.0.0.1:{api_port}"
               "/v1/sys/seal-status")
        ctx = tls.client_context() if tls else None

        def serving():
            if proc.poll() is not None:
                with open(os.path.join(top, "log")) as f:
                    raise AssertionError(f"cofferd exited {proc.returncode} "
                                         f"on {name}:\n{f.read()}")
            with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
                return json.loads(r.read())
        status = wait_for(serving, f"cofferd serving on {name}")
        assert status["sealed"] is True and status["type"] == "shamir"
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(top, ignore_errors=True)
