#!/usr/bin/env python3
"""Backup speed benchmark (issue 4): the agent's pass vs `pg_dump --clean --if-exists | gzip`
vs `pg_dump > /dev/null` (the floor), alternated in the same run on one Resolve-like library.

    bench/backup_bench.py [--megabytes 520] [--rounds 3] [--agent .build/release/backup-agent]

Starts its own throwaway PostgreSQL (initdb/pg_ctl as the postgres account when root) on a
free loopback port, fills one library with bench/generate_library.py, prints one line per run
and a summary with medians and ratios, then removes everything. Needs a release build of the
agent (swift build -c release).
"""
import argparse
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def pg_bin(name):
    for base in sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int, reverse=True):
        path = f"/usr/lib/postgresql/{base}/bin/{name}"
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name) or sys.exit(f"{name} not found; install postgresql")


def as_postgres(cmd):
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"] + cmd if os.geteuid() == 0 else cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_measured(cmd, env, shell=False):
    """Runs cmd, returns (seconds, peak RSS in MiB of the process itself)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, shell=shell, executable="/bin/bash" if shell else None,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.02)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {cmd}\n{proc.stderr.read().decode()}")
    return elapsed, peak / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=float, default=520)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--agent", default=os.path.join(HERE, "..", ".build", "release", "backup-agent"))
    parser.add_argument("--level", default="6")
    args = parser.parse_args()
    agent = os.path.abspath(args.agent)
    if not os.access(agent, os.X_OK):
        sys.exit(f"{agent} not found; run `swift build -c release` first")

    root = tempfile.mkdtemp(prefix="laterbase-bench-")
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        os.chown(root, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
    data, port = f"{root}/data", free_port()
    env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="postgres")
    try:
        subprocess.run(as_postgres([pg_bin("initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                    "--locale=C", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        with open(f"{data}/postgresql.auto.conf", "a") as f:
            f.write(f"port={port}\nlisten_addresses='127.0.0.1'\nunix_socket_directories='{root}'\n"
                    "fsync=off\nwal_level=minimal\nmax_wal_senders=0\nmax_wal_size=4GB\nshared_buffers=256MB\n")
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", data, "-l", f"{root}/log", "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
        subprocess.run([pg_bin("createdb"), "ResolveBench"], env=env, check=True)
        gen = subprocess.Popen([sys.executable, f"{HERE}/generate_library.py", "--megabytes", str(args.megabytes)], stdout=subprocess.PIPE)
        subprocess.run([pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", "ResolveBench"], stdin=gen.stdout, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        gen.wait()
        size = subprocess.run([pg_bin("psql"), "-Atd", "ResolveBench", "-c", "SELECT pg_database_size('ResolveBench')"],
                              env=env, capture_output=True, text=True, check=True).stdout.strip()
        print(f"library: {int(size) / 1e6:.0f} MB on disk; {os.cpu_count()} cores; pg_dump {subprocess.run([pg_bin('pg_dump'), '--version'], capture_output=True, text=True).stdout.strip()}")

        dump = pg_bin("pg_dump")
        results = {"agent": [], "pipeline": [], "floor": []}
        sizes = {}
        rss = []
        for round_no in range(1, args.rounds + 1):
            backup_dir = f"{root}/backups-{round_no}"
            agent_env = dict(os.environ, PRIMARY_HOST="127.0.0.1", PRIMARY_PORT=str(port), PRIMARY_SSLMODE="disable",
                             BACKUP_DIR=backup_dir, PRIMARY_DBS="ResolveBench", BACKUP_COMPRESSION_LEVEL=args.level, LOG_LEVEL="warning")
            for name in (["agent", "pipeline", "floor"] if round_no % 2 else ["floor", "pipeline", "agent"]):
                if name == "agent":
                    seconds, peak = run_measured([agent, "backup"], agent_env)
                    folder = f"{backup_dir}/ResolveBench"
                    gz = [f for f in os.listdir(folder) if f.endswith(".sql.gz")][0]
                    sizes["agent"] = os.path.getsize(f"{folder}/{gz}")
                    subprocess.run(["gzip", "-t", f"{folder}/{gz}"], check=True)
                    rss.append(peak)
                    extra = f" peak RSS {peak:.1f} MiB"
                elif name == "pipeline":
                    out = f"{root}/pipeline.sql.gz"
                    seconds, _ = run_measured(f"set -o pipefail; '{dump}' --clean --if-exists -d ResolveBench | gzip > '{out}'", env,
                                              shell=True)
                    sizes["pipeline"] = os.path.getsize(out)
                    extra = ""
                else:
                    seconds, _ = run_measured(f"'{dump}' --clean --if-exists -d ResolveBench > /dev/null", env, shell=True)
                    extra = ""
                results[name].append(seconds)
                print(f"round {round_no} {name:8s} {seconds:7.2f} s{extra}")
            shutil.rmtree(backup_dir, ignore_errors=True)
        med = {k: statistics.median(v) for k, v in results.items()}
        print(f"median: agent {med['agent']:.2f} s, pg_dump|gzip {med['pipeline']:.2f} s, pg_dump>/dev/null {med['floor']:.2f} s")
        print(f"agent / pipeline = {med['agent'] / med['pipeline']:.3f} (target <= 0.25); agent / floor = {med['agent'] / med['floor']:.2f}")
        print(f"size: agent {sizes['agent'] / 1e6:.1f} MB, pipeline {sizes['pipeline'] / 1e6:.1f} MB, ratio {sizes['agent'] / sizes['pipeline']:.3f} (target <= 1)")
        print(f"agent peak RSS: max {max(rss):.1f} MiB (target < 64)")
    finally:
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", data, "-m", "immediate", "stop"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
