#!/usr/bin/python3
"""pinwatch benchmark: `pinwatch check` cold, warm and without --state against a generated PyPI
mirror served over HTTPS on loopback, beside the time `curl --parallel` needs just to download the
same pages; and, when bench/pinwatch-bench-diff and bench/pinwatch-bench-dashboard are built, the
per-poll diff() of the mirror's largest project and the dashboard's overview for 1,000 pins (on
stderr).

Usage: bench/run.py [--build DIR] [--sizes 500,5000] [--repeat N]
Prints a Markdown table (the README's benchmark section is this output).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def start_fake(build, projects, pins):
    fake = subprocess.Popen([os.path.join(build, "tests/fakes/pinwatch-fake-pypi"), "--tls",
                             "--projects", str(projects), "--seed", "1", "--pins", pins],
                            stdout=subprocess.PIPE, text=True)
    index = ca = osv = None
    while index is None or ca is None or osv is None:
        line = fake.stdout.readline()
        if not line:
            raise SystemExit("bench: the fake PyPI exited early")
        if line.startswith("mirror: "):
            print(line.strip(), file=sys.stderr)
        if line.startswith("index_url: "):
            index = line.split(": ", 1)[1].strip()
        elif line.startswith("ca_file: "):
            ca = line.split(": ", 1)[1].strip()
        elif line.startswith("osv_url: "):
            osv = line.split(": ", 1)[1].strip()
    return fake, index, ca, osv


# pinwatch asks `python3` for the marker environment at most once per run, when a marker needs
# a value only Python knows. Debian's /usr/bin/python3 answers in ~15 ms; a pyenv shim earlier
# in PATH (as on some dev boxes) takes ~90 ms, which would be measured as pinwatch's. Put
# Debian's first, as on a team box.
ENV = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))


def measure(cmd, env=ENV):
    """Runs cmd; returns (wall s, cpu s, peak RSS MiB, stderr text)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd)} exited {p.returncode}:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, err


def parse_stats(err):
    m = re.search(r"(\d+) requests, (\d+) connections \((\d+) reuses\), (\d+) bytes received, (\d+) bytes sent", err)
    if not m:
        raise SystemExit("bench: no --stats line in:\n" + err)
    return int(m.group(1)), int(m.group(4)) + int(m.group(5))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight, pinwatch and curl alike")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    pinwatch = os.path.join(build, "cli/pinwatch")
    sizes = [int(s) for s in args.sizes.split(",")]
    curl = shutil.which("curl")

    work = tempfile.mkdtemp(prefix="pinwatch-bench-")
    all_pins = os.path.join(work, "pins.txt")
    fake, index, ca, osv = start_fake(build, max(sizes), all_pins)
    rows = []
    advisory_rows = []
    try:
        for n in sizes:
            req = os.path.join(work, f"requirements-{n}.txt")
            with open(req, "w") as f:
                for i in range(n):
                    f.write(f"pkg-{i:05d}>=0.1\n" if i % 3 else f"Pkg_{i:05d}\n")
            base = [pinwatch, "check", "-r", req, "--index-url", index, "--ca-file", ca, "--json", "-q", "--stats",
                    "--concurrency", str(args.concurrency), "--advisories", "none"]

            def median(runs):
                return sorted(runs, key=lambda r: r[0])[len(runs) // 2]

            colds, warms, temps = [], [], []
            for _ in range(args.repeat):
                # Without --state: a temporary state, as a CI job runs it.
                temps.append(measure(base))
                state = os.path.join(work, f"state-{n}.db")
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(state + suffix):
                        os.remove(state + suffix)
                colds.append(measure(base + ["--state", state]))
                warms.append(measure(base + ["--state", state]))
            for label, runs in (("cold", colds), ("warm", warms), ("without --state", temps)):
                wall, cpu, rss, err = median(runs)
                requests, moved = parse_stats(err)
                rows.append((n, f"pinwatch check, {label}", wall, cpu, rss, requests, moved))
            if curl:
                # curl downloads and inflates the same pages with the same concurrency; the warm
                # run re-asks each with If-None-Match (the ETag curl saved), as pinwatch does.
                etags = os.path.join(work, f"etags-{n}")
                os.makedirs(etags, exist_ok=True)
                def curl_config(path, warm):
                    with open(path, "w") as f:
                        for i in range(n):
                            f.write(f'url = "{index}pkg-{i:05d}/"\noutput = "/dev/null"\ncompressed\n'
                                    f'cacert = "{ca}"\nheader = "Accept: application/vnd.pypi.simple.v1+json"\n')
                            etag = os.path.join(etags, str(i))
                            f.write(f'etag-compare = "{etag}"\n' if warm else f'etag-save = "{etag}"\n')
                            if i + 1 < n:
                                f.write("next\n")
                cold_cfg, warm_cfg = os.path.join(work, f"curl-{n}.cfg"), os.path.join(work, f"curl-{n}-warm.cfg")
                curl_config(cold_cfg, False)
                curl_config(warm_cfg, True)
                cmd = [curl, "-sS", "--parallel", "--parallel-max", str(args.concurrency)]
                runs = [measure(cmd + ["-K", cold_cfg]) for _ in range(args.repeat)]
                wall, cpu, rss, _ = median(runs)
                rows.append((n, "curl --parallel, cold (download + inflate)", wall, cpu, rss, n, None))
                runs = [measure(cmd + ["-K", warm_cfg]) for _ in range(args.repeat)]
                wall, cpu, rss, _ = median(runs)
                rows.append((n, "curl --parallel, warm (If-None-Match)", wall, cpu, rss, n, None))
        # Advisories of n pinned packages: from each pin's JSON API page on the index (one request
        # per pin) against the fake OSV (one querybatch per 1,000 pins + one request per new id).
        for n in sizes:
            pinned = os.path.join(work, f"pinned-{n}.txt")
            with open(all_pins) as src, open(pinned, "w") as dst:
                for i, line in zip(range(n), src):
                    dst.write(line)
            base = [pinwatch, "check", "-r", pinned, "--index-url", index, "--ca-file", ca, "--json", "-q",
                    "--stats", "--concurrency", str(args.concurrency)]
            state = os.path.join(work, f"pinned-state-{n}.db")
            osv_flags = ["--advisories", "osv", "--osv-url", osv]
            for label, flags in (("--advisories index", ["--advisories", "index"]),
                                 ("--advisories osv", osv_flags),
                                 ("--advisories osv --state, cold", osv_flags + ["--state", state]),
                                 ("--advisories osv --state, warm", osv_flags + ["--state", state])):
                wall, cpu, rss, err = measure(base + flags)
                requests, moved = parse_stats(err)
                m = re.search(r"advisories: (\d+) pins, (\d+) requests \((\d+) batch, (\d+) records\)", err)
                if m:
                    advisory, detail = int(m.group(2)), f"{m.group(3)} querybatch + {m.group(4)} records"
                else:
                    advisory, detail = requests - n, "one JSON API page per pin"
                advisory_rows.append((n, label, wall, requests, advisory, detail))
    finally:
        fake.terminate()
        fake.wait()
        shutil.rmtree(work, ignore_errors=True)

    # The per-poll diff of the mirror's largest project (3,000 releases), when the bench
    # binary is built (it comes with the tests).
    diff_bench = os.path.join(build, "bench/pinwatch-bench-diff")
    if os.path.exists(diff_bench):
        out = subprocess.run([diff_bench, "--iterations", "200"], capture_output=True, text=True,
                             check=True).stdout
        print(out.strip(), file=sys.stderr)
    # The dashboard's overview for 1,000 pins: server time and page size.
    dashboard_bench = os.path.join(build, "bench/pinwatch-bench-dashboard")
    if os.path.exists(dashboard_bench):
        out = subprocess.run([dashboard_bench, "--pins", "1000"], capture_output=True, text=True,
                             check=True).stdout
        print(out.strip(), file=sys.stderr)

    print("| packages | run | wall s | CPU s | peak RSS MiB | requests | bytes moved |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for n, label, wall, cpu, rss, requests, moved in rows:
        print(f"| {n} | {label} | {wall:.3f} | {cpu:.3f} | {rss:.1f} | {requests} | "
              f"{'' if moved is None else format(moved, ',')} |")
    print()
    print("| pinned packages | advisories from | wall s | requests | advisory requests | which |")
    print("| ---: | --- | ---: | ---: | ---: | --- |")
    for n, label, wall, requests, advisory, detail in advisory_rows:
        print(f"| {n} | `{label}` | {wall:.3f} | {requests} | {advisory} | {detail} |")


if __name__ == "__main__":
    sys.exit(main())
