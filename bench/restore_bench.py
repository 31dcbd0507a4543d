#!/usr/bin/env python3
"""Restore speed benchmark (issue 28): the restores of one Resolve-like library side by side, in
one run, alternated:

  a. baseline  `gunzip -c DUMP | psql -X -q -v ON_ERROR_STOP=1 --single-transaction`
  b. anchor    `pg_restore -j N --exit-on-error -d DB DIR` of a `pg_dump -Fd -j N` dump
  c. agent-1   `backup-agent restore DUMP --as NAME` with RESTORE_JOBS=1
  d. agent-N   the same with RESTORE_JOBS=N (a binary that does not read it restores as c)
  e. agent-at  `backup-agent restore --db LIB --at TIME --as NAME` (only with --undo)

    bench/restore_bench.py [--megabytes 400] [--rounds 3] [--jobs N] [--agent PATH] [--undo] [--keep-going]
    BIN=/path/to/backup-agent bench/restore_bench.py      (BIN is the default of --agent)

DUMP is the `.sql.gz` of one `backup-agent backup` of the library, DIR a `pg_dump -Fd` of it
with the server's own pg_dump. a and b go into a database made with `createdb -T template0 -E
UTF8`; each restore goes into a new database, after a CHECKPOINT, and is dropped after its row
counts (every table's) were compared with the library's: a mismatch or a failed restore stops
the run (with --keep-going: is reported and the run goes on, exit status 1). The order rotates
by one method each round and reverses in even rounds.

Starts its own throwaway PostgreSQL (the newest under /usr/lib/postgresql, or --pg-bindir;
initdb/pg_ctl as the postgres account when root) on a free loopback port, wal_level=replica as
on a Resolve server with the standby (minimal would let a/c/d skip the WAL of COPY into a table
made in the same transaction, and not b), fsync off unless --fsync. With --undo the agent's
`run` (WAL_ARCHIVE=on, BASE_BACKUP_AFTER_WAL=off) keeps running beside every restore of every
method, its receiver streaming the WAL each one writes, as in production; restore --at then
replays from a base backup taken after the library was filled (the best case: no WAL to replay).

Prints one line per run (seconds; for the agent, the seconds to its "restoring" log line, i.e.
the checksum check of the dump and CREATE DATABASE, and its own peak RSS), then a table:
median per method, ratio to a, ratio of the agent's to b, peak RSS. RSS: "agent" is the agent
process's own VmHWM (polled every 20 ms); "tree" is GNU time's %M (/usr/bin/time), the largest
single process of the command and the children it waited for (the agent's psql, gunzip,
pg_restore's workers), not a sum; restore --at's scratch server is not among them.
Removes everything (servers stopped, temp dirs) at the end, on failure and on Ctrl-C.
"""
import argparse
import datetime
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from backup_bench import as_postgres, free_port  # noqa: E402  (the same throwaway-server helpers)
LIB = "ResolveBench"
METHODS = {
    "a": "gunzip | psql -1 (baseline)",
    "b": "pg_restore -j N (anchor)",
    "c": "agent restore, RESTORE_JOBS=1",
    "d": "agent restore, RESTORE_JOBS=N",
    "e": "agent restore --at",
}


class BenchFailure(Exception):
    pass


def run_bench(make, args):
    """Runs `make(args).main()` (restore_bench, export_bench, offsite_rpo): SIGINT, SIGTERM and
    SIGHUP end it through the clean-up, which always runs, once; exit 1 on a BenchFailure or on
    failures the bench counted (`bench.failures`), 130 when interrupted."""
    def terminated(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background (`&` ignores it)
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGHUP, terminated)
    bench = make(args)
    try:
        bench.main()
    except BenchFailure as e:
        print(f"\nFAILED: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr, flush=True)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
        bench.cleanup()
    if getattr(bench, "failures", None):
        sys.exit(1)


def pg_bindir(explicit):
    if explicit:
        return explicit
    versions = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int, reverse=True) \
        if os.path.isdir("/usr/lib/postgresql") else []
    for v in versions:
        if os.access(f"/usr/lib/postgresql/{v}/bin/pg_ctl", os.X_OK):
            return f"/usr/lib/postgresql/{v}/bin"
    found = shutil.which("pg_ctl")
    if not found:
        sys.exit("pg_ctl not found; install postgresql or pass --pg-bindir")
    return os.path.dirname(found)


def ident(name):
    return '"' + name.replace('"', '""') + '"'


def literal(text):
    return "'" + text.replace("'", "''") + "'"


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


class Run:
    """One measured command: wall seconds, its own peak RSS (VmHWM, polled every 20 ms), the peak
    RSS of the largest process of it and its waited-for children (GNU time's %M; without
    /usr/bin/time wait4's ru_maxrss, which is at least this Python's own RSS: a child's counts
    the parent's memory until its exec), its output lines with the seconds at which each came."""

    def __init__(self, cmd, env, shell=False, live=None):
        self.cmd = cmd
        self.lines = []
        argv = ["/bin/bash", "-c", cmd] if shell else list(cmd)
        rss_file = None
        if TIME:
            fd, rss_file = tempfile.mkstemp(prefix="laterbase-bench-rss-")
            os.close(fd)
            argv = [TIME, "-f", "%M", "-o", rss_file] + argv
        start = time.monotonic()
        # Its own process group: the clean-up stops the whole of it (time, the agent, its psql;
        # bash, gunzip and psql), not only /usr/bin/time.
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        if live is not None:
            live.append(proc)

        def read():
            for raw in proc.stdout:
                self.lines.append((time.monotonic() - start, raw.decode(errors="replace").rstrip()))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        peak, target = 0, None if TIME else proc.pid
        try:
            while True:  # an exception here leaves proc in live: Bench.cleanup stops it
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                try:
                    if target is None:
                        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                            kids = f.read().split()
                        target = int(kids[0]) if kids else None
                    if target is not None:
                        with open(f"/proc/{target}/status") as f:
                            for line in f:
                                if line.startswith("VmHWM:"):
                                    peak = max(peak, int(line.split()[1]))
                except (OSError, ValueError, IndexError):
                    pass
                time.sleep(0.02)
            self.seconds = time.monotonic() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.tree_rss = usage.ru_maxrss / 1024
            if rss_file:
                with open(rss_file) as f:
                    last = f.read().strip().splitlines()
                self.tree_rss = int(last[-1]) / 1024 if last and last[-1].isdigit() else float("nan")
        finally:
            if rss_file:
                os.unlink(rss_file)
        if live is not None:
            live.remove(proc)
        reader.join(timeout=5)
        self.returncode = proc.returncode
        self.own_rss = peak / 1024

    def mark(self, needle):
        """Seconds from the start to the first output line containing needle, or None."""
        return next((t for t, line in self.lines if needle in line), None)

    def tail(self, n=15):
        return "\n".join(line for _, line in self.lines[-n:])


class Bench:
    def __init__(self, args):
        self.args = args
        self.bindir = pg_bindir(args.pg_bindir)
        self.live = []  # running child processes to stop on the way out
        self.agent_run = None
        self.root = None
        self.data = None
        self.failures = []

    def pg(self, name):
        return os.path.join(self.bindir, name)

    def psql(self, db, sql):
        out = subprocess.run([self.pg("psql"), "-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                             env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise BenchFailure(f"psql -d {db} -c {sql!r} failed: {out.stderr.strip()}")
        return out.stdout.strip()

    # --- the server and the library -------------------------------------------------------------

    def start_server(self):
        self.root = tempfile.mkdtemp(prefix="laterbase-bench-restore-")
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.data, self.port = f"{self.root}/data", free_port()
        self.env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER="postgres")
        for k in ("PGDATABASE", "PGPASSWORD", "PGPASSFILE", "PGSERVICE", "PGSSLMODE"):
            self.env.pop(k, None)
        subprocess.run(as_postgres([self.pg("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                    "--locale=C", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        with open(f"{self.data}/postgresql.auto.conf", "a") as f:
            f.write(f"port={self.port}\nlisten_addresses='127.0.0.1'\nunix_socket_directories='{self.root}'\n"
                    f"fsync={'on' if self.args.fsync else 'off'}\nwal_level=replica\nmax_wal_senders=10\n"
                    "max_replication_slots=10\nmax_wal_size=4GB\nshared_buffers=256MB\n")
        subprocess.run(as_postgres([self.pg("pg_ctl"), "-D", self.data, "-l", f"{self.root}/server.log", "-w", "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def fill_library(self):
        subprocess.run([self.pg("createdb"), "-T", "template0", "-E", "UTF8", LIB], env=self.env, check=True)
        t = time.monotonic()
        gen = subprocess.Popen([sys.executable, f"{HERE}/generate_library.py", "--megabytes", str(self.args.megabytes)],
                               stdout=subprocess.PIPE, start_new_session=True)
        self.live.append(gen)
        load = subprocess.run([self.pg("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", LIB], stdin=gen.stdout,
                              env=self.env, stdout=subprocess.DEVNULL)
        gen.stdout.close()
        if gen.wait() != 0 or load.returncode != 0:
            raise BenchFailure("generating the library failed")
        self.live.remove(gen)
        self.psql(LIB, "VACUUM ANALYZE")
        self.tables = self.psql(LIB, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                                     "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1").splitlines()
        self.source_counts = self.counts(LIB)
        size = int(self.psql(LIB, f"SELECT pg_database_size({literal(LIB)})"))
        rows = sum(self.source_counts.values())
        print(f"library: {size / 1e6:.0f} MB on disk, {len(self.tables)} tables, {rows} rows "
              f"(generate_library.py --megabytes {self.args.megabytes:g}, {time.monotonic() - t:.1f} s)", flush=True)

    def counts(self, db):
        query = " UNION ALL ".join(f"SELECT {literal(t)}, count(*) FROM {t}" for t in self.tables)
        found = dict(line.split("|", 1) for line in self.psql(db, query).splitlines())
        listed = set(self.psql(db, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                                   "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").splitlines())
        if db != LIB and listed != set(self.tables):
            raise BenchFailure(f"{db}: tables differ from the library's: extra {sorted(listed - set(self.tables))}")
        return {t: int(n) for t, n in found.items()}

    def agent_env(self, **extra):
        env = dict(self.env, PRIMARY_HOST="127.0.0.1", PRIMARY_PORT=str(self.port), PRIMARY_USER="postgres",
                   PRIMARY_SSLMODE="disable", BACKUP_DIR=self.backups, PRIMARY_DBS=LIB, TZ="UTC", LOG_LEVEL="info",
                   CONSOLE="off")
        env.update(extra)
        return env

    def make_dumps(self):
        self.backups = f"{self.root}/backups"
        os.makedirs(self.backups)
        os.chmod(self.backups, 0o755)
        run = Run([self.args.agent, "backup"], self.agent_env(LOG_LEVEL="warning"), live=self.live)
        if run.returncode != 0:
            raise BenchFailure(f"backup-agent backup failed ({run.returncode}):\n{run.tail()}")
        folder = f"{self.backups}/{LIB}"
        self.dump = os.path.join(folder, sorted(f for f in os.listdir(folder) if f.endswith(".sql.gz"))[-1])
        print(f"agent backup: {run.seconds:.2f} s, {os.path.getsize(self.dump) / 1e6:.1f} MB "
              f"({os.path.basename(self.dump)}), agent peak RSS {run.own_rss:.1f} MiB", flush=True)
        self.dir = f"{self.root}/dump.d"
        run = Run([self.pg("pg_dump"), "-Fd", "-j", str(self.args.jobs), "-f", self.dir, "-d", LIB], self.env, live=self.live)
        if run.returncode != 0:
            raise BenchFailure(f"pg_dump -Fd failed:\n{run.tail()}")
        du = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(self.dir) for f in fs)
        print(f"pg_dump -Fd -j {self.args.jobs}: {run.seconds:.2f} s, {du / 1e6:.1f} MB", flush=True)
        # What one full decode of the dump costs: the agent's restore (before issue 28) decodes it
        # twice, once to check it against its manifest and once into psql.
        run = Run(f"gunzip -c '{self.dump}' > /dev/null", self.env, shell=True, live=self.live)
        raw = subprocess.run(f"gunzip -c '{self.dump}' | wc -c", shell=True, capture_output=True, text=True).stdout.strip()
        print(f"one decode of the dump (gunzip -c > /dev/null): {run.seconds:.2f} s, {int(raw) / 1e6:.1f} MB of SQL", flush=True)

    def start_undo_window(self):
        """The agent's run with WAL_ARCHIVE=on, waited for until it holds a base backup and streams;
        returns the moment restore --at is asked for (the library unchanged since the backup)."""
        env = self.agent_env(WAL_ARCHIVE="on", BACKUP_ON_START="false", BACKUP_SCHEDULE="0 0 1 1 *",
                             BASE_BACKUP_AFTER_WAL="off")
        self.agent_log = open(f"{self.root}/agent-run.log", "wb")
        t = time.monotonic()
        self.agent_run = subprocess.Popen([self.args.agent, "run"], env=env, stdin=subprocess.DEVNULL,
                                          stdout=self.agent_log, stderr=subprocess.STDOUT)
        base, status = f"{self.backups}/.base", f"{self.backups}/.laterbase/wal-receiver.json"
        while True:
            if self.agent_run.poll() is not None:
                raise BenchFailure(f"backup-agent run exited ({self.agent_run.returncode}); see its log:\n"
                                   + open(f"{self.root}/agent-run.log", errors="replace").read()[-3000:])
            has_base = os.path.isdir(base) and any(os.path.exists(f"{base}/{d}/laterbase-base.json") for d in os.listdir(base))
            streaming = os.path.exists(status) and '"streaming"' in open(status).read()
            if has_base and streaming:
                break
            if time.monotonic() - t > 900:
                raise BenchFailure("no base backup + streaming after 900 s")
            time.sleep(0.5)
        time.sleep(1.5)
        at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        time.sleep(4)  # the receiver confirms its position every second: past the chosen second
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(base) for f in fs)
        print(f"undo window: agent run (WAL_ARCHIVE=on) base backup + streaming after {time.monotonic() - t:.1f} s, "
              f"base backup {size / 1e6:.1f} MB; restore --at \"{at}\" (UTC); the agent's receiver runs beside every "
              f"restore below", flush=True)
        return at

    # --- the restores ----------------------------------------------------------------------------

    def restore(self, method, name):
        jobs = str(self.args.jobs)
        if method in ("a", "b"):
            subprocess.run([self.pg("createdb"), "-T", "template0", "-E", "UTF8", name], env=self.env, check=True)
        if method == "a":
            return Run(f"set -o pipefail; gunzip -c '{self.dump}' | '{self.pg('psql')}' -X -q -v ON_ERROR_STOP=1 "
                       f"--single-transaction -d '{name}' > /dev/null", self.env, shell=True, live=self.live)
        if method == "b":
            return Run([self.pg("pg_restore"), "-j", jobs, "--exit-on-error", "-d", name, self.dir], self.env, live=self.live)
        if method == "c":
            return Run([self.args.agent, "restore", self.dump, "--as", name], self.agent_env(RESTORE_JOBS="1"), live=self.live)
        if method == "d":
            return Run([self.args.agent, "restore", self.dump, "--as", name], self.agent_env(RESTORE_JOBS=jobs), live=self.live)
        return Run([self.args.agent, "restore", "--db", LIB, "--at", self.at, "--as", name],
                   self.agent_env(RESTORE_JOBS=jobs, LOG_LEVEL="debug"), live=self.live)

    @staticmethod
    def at_phases(run):
        """restore --at's own phase lines (debug log), as bench/undo_window.sh prints them."""
        found = []
        for _, text in run.lines:
            m = re.search(r'(replay reached the target|library copied into the new database|phase=("[^"]+"|\S+)).*?seconds=([0-9.]+)', text)
            if m:
                label = m.group(2).strip('"') if m.group(2) else m.group(1)
                found.append(f"{label} {float(m.group(3)):.2f}")
        return "; ".join(found) or "no phase lines"

    def drop(self, name):
        self.psql("postgres", f"DROP DATABASE IF EXISTS {ident(name)}")

    def main(self):
        a = self.args
        self.start_server()
        version = self.psql("postgres", "SHOW server_version")
        print(f"date {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; {os.cpu_count()} CPUs "
              f"(load {' '.join(f'{x:.2f}' for x in os.getloadavg())}); PostgreSQL {version} ({self.bindir}); "
              f"fsync={'on' if a.fsync else 'off'}, wal_level=replica; jobs N={a.jobs}", flush=True)
        st = os.stat(a.agent)
        print(f"agent: {a.agent} ({st.st_size / 1e6:.1f} MB, built "
              f"{datetime.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec='seconds')})", flush=True)
        self.fill_library()
        self.make_dumps()
        methods = ["a", "b", "c", "d"]
        if a.undo:
            self.at = self.start_undo_window()
            methods.append("e")
        results = {m: [] for m in methods}
        phases = {m: [] for m in methods}
        own, tree = {m: [] for m in methods}, {m: [] for m in methods}
        for r in range(1, a.rounds + 1):
            # Rotated by one each round and reversed in even rounds: every method moves through
            # the positions, and d runs before c (their comparison is RESTORE_JOBS's) in some.
            k = (r - 1) % len(methods)
            order = methods[k:] + methods[:k]
            if r % 2 == 0:
                order.reverse()
            for m in order:
                name = f"rb_{m}_{r}"
                self.psql("postgres", "CHECKPOINT")
                run = self.restore(m, name)
                line = f"round {r} {m} {METHODS[m]:32s} {run.seconds:7.2f} s"
                if run.returncode != 0:
                    self.drop(name)
                    msg = f"round {r} {m} ({METHODS[m]}) failed with exit {run.returncode}:\n{run.tail()}"
                    if not a.keep_going:
                        raise BenchFailure(msg)
                    print(line + "  FAILED", flush=True)
                    self.failures.append(msg)
                    continue
                restoring = run.mark("restoring") if m in ("c", "d") else None
                if m in ("c", "d"):
                    if restoring is not None:
                        line += f"  (to its 'restoring' line {restoring:.2f} s, then {run.seconds - restoring:.2f} s)"
                if m == "e":
                    line += f"  ({self.at_phases(run)})"
                if m in ("c", "d", "e"):
                    line += f"  agent RSS {run.own_rss:.1f} MiB"
                    own[m].append(run.own_rss)
                line += f"  tree max RSS {run.tree_rss:.1f} MiB"
                tree[m].append(run.tree_rss)
                try:
                    got = self.counts(name)
                    if got != self.source_counts:
                        diff = {t: (self.source_counts.get(t), got.get(t)) for t in set(got) | set(self.source_counts)
                                if got.get(t) != self.source_counts.get(t)}
                        raise BenchFailure(f"round {r} {m} ({METHODS[m]}): row counts differ from the library's "
                                           f"(table: library, restored): {diff}")
                    line += "  rows ok"
                    results[m].append(run.seconds)
                    if restoring is not None:
                        phases[m].append(restoring)
                except BenchFailure as e:
                    if not a.keep_going:
                        print(line + "  ROWS DIFFER", flush=True)
                        raise
                    line += "  ROWS DIFFER"
                    self.failures.append(str(e))
                finally:
                    self.drop(name)
                print(line, flush=True)
                if a.show_agent_log and m in ("c", "d", "e"):
                    for t, text in run.lines:
                        print(f"    {t:7.2f} {text}")
        self.summary(methods, results, phases, own, tree)

    def summary(self, methods, results, phases, own, tree):
        med = {m: statistics.median(v) for m, v in results.items() if v}
        print()
        print(f"{'method':34s} {'runs (s)':26s} {'median':>8s} {'/ a':>6s} {'/ b':>6s} {'agent RSS':>10s} {'tree RSS':>9s}")
        for m in methods:
            if m not in med:
                print(f"{m} {METHODS[m]:32s} (no successful run)")
                continue
            runs = " ".join(f"{s:.2f}" for s in results[m])
            to_a = f"{med[m] / med['a']:.2f}" if "a" in med else "-"
            to_b = f"{med[m] / med['b']:.2f}" if "b" in med and m in ("c", "d", "e") else ""
            rss = f"{max(own[m]):.1f} MiB" if own[m] else ""
            print(f"{m} {METHODS[m]:32s} {runs:26s} {med[m]:7.2f}s {to_a:>6s} {to_b:>6s} {rss:>10s} {max(tree[m]):5.1f} MiB")
        for m in ("c", "d"):
            if phases[m]:
                print(f"{m}: median {statistics.median(phases[m]):.2f} s before the agent's 'restoring' log line "
                      f"(the checksum check of the dump against its manifest, CREATE DATABASE)")
        if self.failures:
            print(f"\n{len(self.failures)} FAILED:")
            for f in self.failures:
                print(f"  {f}")

    def cleanup(self):
        def signal_group(proc, signum):
            try:
                os.killpg(proc.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass

        for proc in list(self.live):  # each the leader of a process group of its own
            signal_group(proc, signal.SIGTERM)
        for proc in list(self.live):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                signal_group(proc, signal.SIGKILL)
                proc.wait()
        if self.agent_run is not None and self.agent_run.poll() is None:
            self.agent_run.terminate()
            try:
                self.agent_run.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.agent_run.kill()
                self.agent_run.wait()
        if self.data and os.path.exists(f"{self.data}/postmaster.pid"):
            subprocess.run(as_postgres([self.pg("pg_ctl"), "-D", self.data, "-m", "immediate", "stop"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=400, help="library size for generate_library.py (default 400)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each restoring once by every method (default 3)")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 8),
                        help="N for pg_dump/pg_restore -j and RESTORE_JOBS of d and e (default: CPUs, at most 8)")
    parser.add_argument("--agent", default=os.environ.get("BIN") or os.path.join(HERE, "..", ".build", "release", "backup-agent"),
                        help="the agent binary (default $BIN, else .build/release/backup-agent)")
    parser.add_argument("--undo", action="store_true", help="also e: restore --at, beside the agent's run with WAL_ARCHIVE=on")
    parser.add_argument("--keep-going", action="store_true", help="report a failed restore or a row-count mismatch and go on")
    parser.add_argument("--show-agent-log", action="store_true", help="print the agent's output of each restore, with seconds")
    parser.add_argument("--fsync", action="store_true", help="the server with fsync=on (default off)")
    parser.add_argument("--pg-bindir", default=os.environ.get("PG_BINDIR"),
                        help="PostgreSQL's bin directory (default $PG_BINDIR, else the newest under /usr/lib/postgresql)")
    args = parser.parse_args()
    args.agent = os.path.abspath(args.agent)
    if not os.access(args.agent, os.X_OK):
        sys.exit(f"{args.agent} not found; run `swift build -c release` first or pass --agent / BIN")
    if args.rounds < 1 or args.jobs < 1:
        sys.exit("--rounds and --jobs must be at least 1")

    run_bench(Bench, args)


if __name__ == "__main__":
    main()
