#!/usr/bin/env python3
"""bench/http_differential.py — the tests/data/http-bad corpus against rollway, nginx and
HAProxy, side by side.

Each proxy runs on 127.0.0.1 in front of its own recording `test-upstream --record FILE`
(configs generated into a temp dir; nothing outside it is written). Every vector is sent
on a fresh connection to each proxy; the script prints, per vector and per proxy, what the
client got (the response statuses, `close` when the connection ended without one, `-`
when nothing came before the read bound) and how many requests reached that proxy's
upstream. A vector is flagged LESS-STRICT when rollway forwarded more requests than the
stricter of nginx and HAProxy (a peer rejected it or forwarded nothing, rollway forwarded
something); the exit status is 1 when any vector is flagged, 2 on a setup failure.

Needs nginx (nginx-light) and haproxy: scripts/install-deps.sh --bench. Not part of
`make test`. Usage:
  bench/http_differential.py [--build-dir build] [--rollway PATH] [--corpus tests/data/http-bad]
                             [--only SUBSTRING] [--keep-tmp] [--show-all]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READ_IDLE = 0.5     # seconds without a byte after which a kept-alive connection is done
READ_TOTAL = 3.0    # bound on one vector's read
SETTLE = 0.1        # let bytes still in flight reach the upstream record
REQUEST_RE = re.compile(rb"(?:^|\n)[!-~]+ [!-~]+ HTTP/1\.[01]\r\n")

NGINX_CONF = """worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy_temp;
    fastcgi_temp_path {dir}/fastcgi_temp;
    uwsgi_temp_path {dir}/uwsgi_temp;
    scgi_temp_path {dir}/scgi_temp;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""

HAPROXY_CFG = """global
    nbthread 1
    maxconn 256
defaults
    mode http
    option http-keep-alive
    timeout connect 2s
    timeout http-request 3s
    timeout client 10s
    timeout server 10s
frontend differential
    bind 127.0.0.1:{port}
    default_backend app
backend app
    server app1 127.0.0.1:{upstream}
"""


def response_statuses(buf):
    """The status of each whole or partial response in `buf`, framing followed."""
    out, i = [], 0
    while i < len(buf):
        m = re.match(rb"HTTP/1\.[01] (\d{3})", buf[i:i + 12])
        if not m:
            out.append("garbage")
            break
        status = int(m.group(1))
        out.append(str(status))
        end = buf.find(b"\r\n\r\n", i)
        if end < 0:
            break
        head, i = buf[i:end], end + 4
        if 100 <= status < 200 or status in (204, 304):
            continue
        length = re.search(rb"(?im)^content-length:[ \t]*(\d+)", head)
        if re.search(rb"(?im)^transfer-encoding:.*chunked", head):
            while True:
                eol = buf.find(b"\r\n", i)
                if eol < 0:
                    return out
                size = int(buf[i:eol].split(b";")[0] or b"0", 16)
                i = eol + 2 + size + 2
                if size == 0:
                    trailer_end = buf.find(b"\r\n", i - 2)
                    i = trailer_end + 2 if trailer_end >= 0 else len(buf)
                    break
        elif length:
            i += int(length.group(1))
        else:
            break  # delimited by the close
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, bound=10.0):
    deadline = time.time() + bound
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Target:
    """One proxy (or none) in front of its own recording test-upstream."""

    def __init__(self, name, tmp, build_dir, rollway=None):
        self.name = name
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.record = os.path.join(self.dir, "upstream.record")
        self.procs = []  # (Popen, own process group)
        self.build_dir = build_dir
        self.port = None
        self.rollway = rollway or os.path.join(build_dir, "rollway")

    def start(self):
        log = open(os.path.join(self.dir, "upstream.log"), "wb")
        up = subprocess.Popen([os.path.join(self.build_dir, "test-upstream"), "--port", "0",
                               "--record", self.record], stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((up, False))
        upstream = None
        deadline = time.time() + 10
        while time.time() < deadline and upstream is None:
            text = open(os.path.join(self.dir, "upstream.log"), "rb").read()
            m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", text)
            if m:
                upstream = int(m.group(1))
            else:
                time.sleep(0.05)
        if upstream is None:
            raise RuntimeError(f"{self.name}: test-upstream did not start")
        self.port = free_port()
        out = open(os.path.join(self.dir, "proxy.log"), "wb")
        if self.name == "rollway":
            argv = [self.rollway, "proxy", "--listen", f"127.0.0.1:{self.port}",
                    "--upstream", f"127.0.0.1:{upstream}", "--header-timeout", "2s", "--log-level", "warn"]
        elif self.name == "nginx":
            for d in ("client_body", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp"):
                os.makedirs(os.path.join(self.dir, d))
            conf = os.path.join(self.dir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(dir=self.dir, port=self.port, upstream=upstream))
            argv = ["nginx", "-p", self.dir, "-e", os.path.join(self.dir, "nginx-error.log"), "-c", conf,
                    "-g", "daemon off;"]
        else:
            cfg = os.path.join(self.dir, "haproxy.cfg")
            with open(cfg, "w") as f:
                f.write(HAPROXY_CFG.format(port=self.port, upstream=upstream))
            argv = ["haproxy", "-db", "-f", cfg]
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((proc, True))
        if not wait_port(self.port, proc):
            raise RuntimeError(f"{self.name} did not start: " +
                               open(os.path.join(self.dir, "proxy.log"), errors="replace").read())

    def stop(self):
        # A proxy runs in its own process group (nginx: master + worker): signal the group
        # it leads, by its id; test-upstream by its pid.
        for p, group in reversed(self.procs):
            if p.poll() is None:
                try:
                    if group:
                        os.killpg(p.pid, signal.SIGTERM)
                    else:
                        p.terminate()
                except ProcessLookupError:
                    pass
        for p, group in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                if group:
                    os.killpg(p.pid, signal.SIGKILL)
                else:
                    p.kill()
                p.wait()

    def record_size(self):
        try:
            return os.path.getsize(self.record)
        except OSError:
            return 0

    def record_since(self, offset):
        try:
            with open(self.record, "rb") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return b""

    def send(self, data):
        """(statuses, closed, requests that reached the upstream)"""
        before = self.record_size()
        got = b""
        closed = False
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError:
            return [], True, 0
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                s.sendall(data)
            except OSError:
                pass  # the proxy may close before reading everything
            deadline = time.time() + READ_TOTAL
            s.settimeout(READ_IDLE)
            while time.time() < deadline:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except OSError:
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                got += chunk
        finally:
            s.close()
        time.sleep(SETTLE)
        gained = self.record_since(before)
        statuses = response_statuses(got)
        return statuses, closed, len(REQUEST_RE.findall(gained))


def describe(result):
    statuses, closed, forwarded = result
    text = " ".join(statuses) if statuses else ("close" if closed else "-")
    if statuses and closed:
        text += " close"
    return f"{text} [up {forwarded}]"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.environ.get("BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "tests/data/http-bad"))
    ap.add_argument("--rollway", default=None, help="the rollway binary (default: BUILD_DIR/rollway)")
    ap.add_argument("--only", default="", help="only vectors whose file name contains this")
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--show-all", action="store_true", help="print every vector, not only differences")
    args = ap.parse_args()
    for tool in ("nginx", "haproxy"):
        if shutil.which(tool) is None:
            print(f"{tool} not found (scripts/install-deps.sh --bench)", file=sys.stderr)
            return 2
    for binary in ("rollway", "test-upstream"):
        if not os.path.exists(os.path.join(args.build_dir, binary)):
            print(f"{binary} not found in {args.build_dir} (make build)", file=sys.stderr)
            return 2
    files = sorted(f for f in os.listdir(args.corpus) if f.endswith(".http") and args.only in f)
    vectors = [(f, open(os.path.join(args.corpus, f), "rb").read()) for f in files]

    tmp = tempfile.mkdtemp(prefix="rollway-differential-")
    targets = [Target(n, tmp, args.build_dir, args.rollway) for n in ("rollway", "nginx", "haproxy")]
    results = {t.name: {} for t in targets}
    try:
        for t in targets:
            t.start()

        def run(target):
            for name, data in vectors:
                results[target.name][name] = target.send(data)

        threads = [threading.Thread(target=run, args=(t,)) for t in targets]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    except RuntimeError as e:
        print(f"setup failed: {e}", file=sys.stderr)
        return 2
    finally:
        for t in targets:
            t.stop()
        if args.keep_tmp:
            print(f"temp dir kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    flagged = []
    counts = {"rollway stricter": 0, "same": 0, "rollway less strict": 0}
    rows = []
    for name, _ in vectors:
        r, n, h = (results[t][name] for t in ("rollway", "nginx", "haproxy"))
        stricter = min(n[2], h[2])
        if r[2] > stricter:
            verdict = "LESS-STRICT"
            flagged.append(name)
            counts["rollway less strict"] += 1
        elif r[2] < max(n[2], h[2]):
            verdict = "stricter"
            counts["rollway stricter"] += 1
        else:
            verdict = "same"
            counts["same"] += 1
        rows.append((name, describe(r), describe(n), describe(h), verdict))

    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"{'vector':<{width}}  {'rollway':<22} {'nginx':<22} {'haproxy':<22} verdict")
    for name, r, n, h, verdict in rows:
        if args.show_all or verdict != "same":
            print(f"{name:<{width}}  {r:<22} {n:<22} {h:<22} {verdict}")
    print(f"\n{len(rows)} vectors; [up N] = requests that reached that proxy's upstream.")
    print(f"forwarded the same as the peers: {counts['same']}; rollway forwarded less than a peer: "
          f"{counts['rollway stricter']}; rollway forwarded more than the stricter peer: "
          f"{counts['rollway less strict']}")
    if flagged:
        print("LESS STRICT than the stricter of nginx/HAProxy: " + ", ".join(flagged))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
