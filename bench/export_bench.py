#!/usr/bin/env python3
"""Export benchmark (issue 27): one Resolve-like library written as a Resolve `.backup`
(`pg_dump --format=custom --blobs`) four ways side by side, in one run, alternated:

  a. baseline  `pg_dump --format=custom --blobs -d LIB -f FILE` of the live library (the anchor)
  b. live      `backup-agent export --db LIB --live --out DIR`
  c. backup    `backup-agent export --db LIB --backup DUMP --out DIR` (DUMP loaded into a scratch server)
  d. at        `backup-agent export --db LIB --at TIME --out DIR` (the undo window replayed to TIME)

    bench/export_bench.py [--megabytes 100] [--rounds 3] [--agent PATH] [--keep-going]
    BIN=/path/to/backup-agent bench/export_bench.py      (BIN is the default of --agent)

Reuses bench/restore_bench.py's throwaway server (the newest PostgreSQL under /usr/lib/postgresql,
or --pg-bindir; initdb/pg_ctl as the postgres account when root; free loopback port,
wal_level=replica, fsync off unless --fsync), its library (bench/generate_library.py), the agent's
environment and its undo window: the agent's `run` (WAL_ARCHIVE=on, BASE_BACKUP_AFTER_WAL=off)
takes a base backup once the library is filled and keeps streaming beside every run of every
method. DUMP is one `backup-agent backup` of the library taken at the start; TIME a second after
that base backup (nothing to replay). a uses the server's own pg_dump, the agent the pg_dump of
the server's major version (the same program here).

Each run is timed from start to exit, after a CHECKPOINT of the server. Its file is then checked
(`pg_restore --list` succeeds, its table of contents has as many entries as a's; for the agent
also `sha256sum -c` of its `.sha256`, and no `.partial` file or scratch server left behind),
its size printed, and removed before the next run. A failure stops the run (with --keep-going:
is reported and the run goes on, exit status 1). The order rotates by one method each round and
reverses in even rounds. Prints one line per run (seconds, size, TOC entries; for the agent its
own peak RSS and where its seconds went: before its pg_dump starts writing the `.partial` file
(c: initdb + start to its "restoring" line, then the load; d: restore --at's phases, at debug log
level) and from then on), then a table: median per method, ratio to a, file size. Removes everything (servers stopped, temp dirs) at the end, on failure and on Ctrl-C.
"""
import argparse
import datetime
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from restore_bench import LIB, Bench, BenchFailure, Run, run_bench  # noqa: E402  (server, library, agent env, undo window, clean-up)

METHODS = {
    "a": "pg_dump -Fc --blobs (baseline)",
    "b": "agent export --live",
    "c": "agent export --backup DUMP",
    "d": "agent export --at TIME",
}


class PartialWatch:
    """Notes when the agent's `.<name>.partial` first appears in out (polled every 20 ms): the
    moment its pg_dump starts writing, which splits an export into what comes before (a scratch
    server loaded or replayed) and the pg_dump (plus pg_restore --list, SHA-256, rename)."""

    def __init__(self, out):
        self.out, self.seen, self.start = out, None, time.monotonic()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self):
        while not self.done.is_set() and self.seen is None:
            try:
                if any(n.endswith(".partial") for n in os.listdir(self.out)):
                    self.seen = time.monotonic() - self.start
            except OSError:
                pass
            self.done.wait(0.02)

    def stop(self):
        self.done.set()
        self.thread.join(timeout=5)
        return self.seen


class ExportBench(Bench):
    def make_backup(self):
        """One `backup-agent backup` of the library: the DUMP of c."""
        self.backups = f"{self.root}/backups"
        os.makedirs(self.backups)
        os.chmod(self.backups, 0o755)
        run = Run([self.args.agent, "backup"], self.agent_env(LOG_LEVEL="warning"), live=self.live)
        if run.returncode != 0:
            raise BenchFailure(f"backup-agent backup failed ({run.returncode}):\n{run.tail()}")
        folder = f"{self.backups}/{LIB}"
        self.dump = os.path.join(folder, sorted(f for f in os.listdir(folder) if f.endswith(".sql.gz"))[-1])
        print(f"agent backup: {run.seconds:.2f} s, {os.path.getsize(self.dump) / 1e6:.1f} MB "
              f"({os.path.basename(self.dump)})", flush=True)

    def export(self, method, out):
        """Runs one method into the empty folder out; returns the Run."""
        if method == "a":
            return Run([self.pg("pg_dump"), "--format=custom", "--blobs", "-d", LIB, "-f", f"{out}/{LIB}.backup"],
                       self.env, live=self.live)
        source = {"b": ["--live"], "c": ["--backup", self.dump], "d": ["--at", self.at]}[method]
        env = self.agent_env(LOG_LEVEL="debug") if method == "d" else self.agent_env()
        return Run([self.args.agent, "export", "--db", LIB] + source + ["--out", out], env, live=self.live)

    def check(self, method, out):
        """The file of one run: (bytes, TOC entries); raises BenchFailure when it is not sound."""
        names = sorted(os.listdir(out))
        backups = [n for n in names if n.endswith(".backup")]
        expected = backups + [n + ".sha256" for n in backups] if method != "a" else backups
        if len(backups) != 1 or sorted(expected) != names:
            raise BenchFailure(f"{METHODS[method]}: expected one .backup{' and its .sha256' if method != 'a' else ''} "
                               f"in {out}, found {names}")
        path = f"{out}/{backups[0]}"
        listing = subprocess.run([self.pg("pg_restore"), "--list", path], capture_output=True, text=True)
        if listing.returncode != 0:
            raise BenchFailure(f"{METHODS[method]}: pg_restore --list {path} failed: {listing.stderr.strip()}")
        entries = sum(1 for line in listing.stdout.splitlines() if line.strip() and not line.startswith(";"))
        if method != "a":
            sha = subprocess.run(["sha256sum", "--quiet", "-c", backups[0] + ".sha256"], cwd=out,
                                 capture_output=True, text=True)
            if sha.returncode != 0:
                raise BenchFailure(f"{METHODS[method]}: sha256sum -c {backups[0]}.sha256 failed: "
                                   f"{(sha.stdout + sha.stderr).strip()}")
            scratch = f"{self.backups}/.scratch"
            left = sorted(os.listdir(scratch)) if os.path.isdir(scratch) else []
            if left:
                raise BenchFailure(f"{METHODS[method]}: left behind in {scratch}: {left}")
        return os.path.getsize(path), entries

    @staticmethod
    def phases(method, run, dump_from):
        """Where an agent's export spent its seconds (from its log lines and the .partial file)."""
        if method == "a":
            return ""
        tail = f"pg_dump on {run.seconds - dump_from:.2f} s" if dump_from is not None else "no .partial seen"
        if method == "b":
            return f"  ({tail})"
        if method == "c":
            ready = run.mark("restoring")  # the scratch server initdb'd and started, the database made
            if ready is None or dump_from is None:
                return f"  ({tail})"
            return f"  (initdb + start {ready:.2f} s, load {dump_from - ready:.2f} s, {tail})"
        reached = run.mark("replay reached the target")
        phases = []
        for _, text in run.lines:
            m = re.search(r'phase=("[^"]+"|\S+).*?seconds=([0-9.]+)', text)
            name = m.group(1).strip('"') if m else None
            if name in ("unpack and stage", "start (consistent)", "replay"):
                phases.append(f"{name} {float(m.group(2)):.1f}")
        head = "; ".join(phases) or "no phase lines"
        if reached is not None:
            head += f"; target reached at {reached:.2f} s"
        return f"  ({head}; {tail})"

    def main(self):
        a = self.args
        self.start_server()
        version = self.psql("postgres", "SHOW server_version")
        print(f"date {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; {os.cpu_count()} CPUs "
              f"(load {' '.join(f'{x:.2f}' for x in os.getloadavg())}); PostgreSQL {version} ({self.bindir}); "
              f"fsync={'on' if a.fsync else 'off'}, wal_level=replica", flush=True)
        st = os.stat(a.agent)
        print(f"agent: {a.agent} ({st.st_size / 1e6:.1f} MB, built "
              f"{datetime.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec='seconds')})", flush=True)
        self.fill_library()
        self.make_backup()
        self.at = self.start_undo_window()
        methods = ["a", "b", "c", "d"]
        results = {m: [] for m in methods}
        sizes = {m: [] for m in methods}
        rss = {m: [] for m in methods}
        entries_a = None
        # Runs of a before the first of its own are compared when a has run.
        pending = []
        for r in range(1, a.rounds + 1):
            k = (r - 1) % len(methods)
            order = methods[k:] + methods[:k]
            if r % 2 == 0:
                order.reverse()
            for m in order:
                out = tempfile.mkdtemp(prefix=f"export-{m}-{r}-", dir=self.root)
                self.psql("postgres", "CHECKPOINT")
                watch = PartialWatch(out) if m != "a" else None
                run = self.export(m, out)
                dump_from = watch.stop() if watch else None
                line = f"round {r} {m} {METHODS[m]:30s} {run.seconds:7.2f} s"
                try:
                    if run.returncode != 0:
                        raise BenchFailure(f"round {r} {m} ({METHODS[m]}) failed with exit {run.returncode}:\n{run.tail()}")
                    size, entries = self.check(m, out)
                    line += f"  {size / 1e6:7.1f} MB, {entries} TOC entries"
                    if m == "a" and entries_a is None:
                        entries_a = entries
                    line += self.phases(m, run, dump_from)
                    if m != "a":
                        line += f"  agent RSS {run.own_rss:.1f} MiB"
                        rss[m].append(run.own_rss)
                    results[m].append(run.seconds)
                    sizes[m].append(size)
                    pending.append((r, m, entries))
                    print(line, flush=True)
                except BenchFailure as e:
                    print(line + "  FAILED", flush=True)
                    if not a.keep_going:
                        raise
                    self.failures.append(str(e))
                finally:
                    for name in os.listdir(out):
                        os.unlink(os.path.join(out, name))
                    os.rmdir(out)
                if a.show_agent_log and m != "a":
                    for t, text in run.lines:
                        print(f"    {t:7.2f} {text}")
                if entries_a is not None:
                    for pr, pm, pe in pending:
                        if pe != entries_a:
                            msg = f"round {pr} {pm} ({METHODS[pm]}): {pe} TOC entries, a's file has {entries_a}"
                            if not a.keep_going:
                                raise BenchFailure(msg)
                            self.failures.append(msg)
                    pending = []
            if self.agent_run.poll() is not None:
                raise BenchFailure(f"backup-agent run exited ({self.agent_run.returncode}) during round {r}; see its log:\n"
                                   + open(f"{self.root}/agent-run.log", errors="replace").read()[-3000:])
        self.summary(methods, results, sizes, rss)

    @staticmethod
    def group_alive(pgid):
        """Whether a process of group pgid is still running (not a zombie: an orphan the machine's
        init has not reaped yet)."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
        return False

    def cleanup(self):
        """Bench.cleanup, after each running command's whole process group has ended: an
        interrupted export removes its scratch server and `.partial` file itself (its SIGTERM
        clean-up), and outlives /usr/bin/time, the group's leader that Bench.cleanup waits for;
        the server stopped and the folder removed under it would race that clean-up."""
        for proc in list(self.live):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        for proc in list(self.live):
            deadline = time.monotonic() + 60
            while self.group_alive(proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.group_alive(proc.pid):
                print(f"process group {proc.pid} ({' '.join(map(str, proc.args[:6]))}) still running after 60 s: "
                      f"SIGKILL", file=sys.stderr, flush=True)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            proc.wait()
            self.live.remove(proc)
        super().cleanup()

    def summary(self, methods, results, sizes, rss):
        med = {m: statistics.median(v) for m, v in results.items() if v}
        print()
        print(f"{'method':32s} {'runs (s)':22s} {'median':>8s} {'/ a':>6s} {'file':>10s} {'agent RSS':>10s}")
        for m in methods:
            if m not in med:
                print(f"{m} {METHODS[m]:30s} (no successful run)")
                continue
            runs = " ".join(f"{s:.2f}" for s in results[m])
            to_a = f"{med[m] / med['a']:.2f}" if "a" in med else "-"
            size = f"{statistics.median(sizes[m]) / 1e6:.1f} MB"
            agent_rss = f"{max(rss[m]):.1f} MiB" if rss[m] else ""
            print(f"{m} {METHODS[m]:30s} {runs:22s} {med[m]:7.2f}s {to_a:>6s} {size:>10s} {agent_rss:>10s}")
        if self.failures:
            print(f"\n{len(self.failures)} FAILED:")
            for f in self.failures:
                print(f"  {f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=100,
                        help="library size for generate_library.py (default 100: the issue's 100 MB fixture)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each exporting once by every method (default 3)")
    parser.add_argument("--agent", default=os.environ.get("BIN") or os.path.join(HERE, "..", ".build", "release", "backup-agent"),
                        help="the agent binary (default $BIN, else .build/release/backup-agent)")
    parser.add_argument("--keep-going", action="store_true", help="report a failed export or a bad file and go on")
    parser.add_argument("--show-agent-log", action="store_true", help="print the agent's output of each export, with seconds")
    parser.add_argument("--fsync", action="store_true", help="the server with fsync=on (default off)")
    parser.add_argument("--pg-bindir", default=os.environ.get("PG_BINDIR"),
                        help="PostgreSQL's bin directory (default $PG_BINDIR, else the newest under /usr/lib/postgresql)")
    args = parser.parse_args()
    args.agent = os.path.abspath(args.agent)
    args.jobs = min(os.cpu_count() or 1, 8)  # the agent's RESTORE_JOBS default; restore_bench's Bench reads it
    if not os.access(args.agent, os.X_OK):
        sys.exit(f"{args.agent} not found; run `swift build -c release` first or pass --agent / BIN")
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1")

    run_bench(ExportBench, args)


if __name__ == "__main__":
    main()
