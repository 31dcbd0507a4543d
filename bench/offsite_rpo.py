#!/usr/bin/env python3
"""Offsite RPO of the undo window: how far the newest moment restorable from the remote alone
lags real time (and the local archive) while `backup-agent run` copies the WAL archive offsite
with rclone, on an idle server, under a steady stream of small transactions, and in a burst.

    bench/offsite_rpo.py [--max-lag 60s] [--idle 90] [--busy 120] [--burst 90] [--burst-mb 96]
                         [--every 0.1] [--agent PATH] [--pg-bindir DIR] [--base-after-wal auto]
    BIN=/path/to/backup-agent bench/offsite_rpo.py      (BIN is the default of --agent)

Starts its own throwaway PostgreSQL (the newest under /usr/lib/postgresql, or --pg-bindir;
initdb/pg_ctl as the postgres account when root) on a free loopback port with wal_level=replica,
a Resolve-like library "Resolve" (a few of Resolve's tables), `rclone serve webdav` of a
temporary folder on another free loopback port (an rclone config naming it `offsite`), and the
agent's `run` with WAL_ARCHIVE=on, RCLONE_REMOTE_NAME=offsite, RCLONE_REMOTE_PATH=laterbase and
OFFSITE_MAX_WAL_LAG=--max-lag (no dumps: BACKUP_ON_START=false, a yearly BACKUP_SCHEDULE).
Once the first base backup is offsite it runs the phases (a phase of 0 seconds is skipped):

  idle   no writes at all;
  busy   one small transaction every --every seconds (an UPDATE of a project's row with a 2 KB
         blob and an INSERT of a clip), as editors saving projects;
  burst  large INSERTs until --burst-mb of WAL was written (several 16 MB segments closed),
         then nothing until the phase's seconds are over (the catch-up is measured too).

Every second it reads the index the agent uploaded (`laterbase/.wal/laterbase-wal.json` in the
served folder) and takes the offsite window's end as the agent does for a window without gaps:
newest = max(streamedUntil, the newest `mtime` of its WAL entries that are not `.history`, the
newest base backup's finishedAt). It records lag = now - newest, and the local archive's lead
(local newest - offsite newest; local newest = max(the receiver's streamedUntil, the newest
write time of a file in BACKUP_DIR/.wal)), the lag `healthcheck` compares with
OFFSITE_MAX_WAL_LAG; how far the remote's index trails the agent's own copy of it
(BACKUP_DIR/.laterbase/offsite-archive.json, which `healthcheck` reads instead of the remote's:
while the two differ, healthcheck reports a smaller lag than the remote has); and whether the remote
index names a WAL object that is not on the remote. Per phase it prints median, p95 and max of
the lags, the samples with a stale or dangling remote index, the bytes uploaded
offsite per minute (every new version of an object in the served folder counted once, at its
final size), the served folder's size, the WAL objects on the remote and in the index, the WAL
the server wrote, and the agent's `healthcheck` line about the offsite window at the phase's
end. Also prints `list --offsite --json`'s window at the end, to check the computed end.

Removes everything (agent, rclone, server, temp dirs) at the end, on failure and on Ctrl-C.
"""
import argparse
import datetime
import json
import os
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from backup_bench import as_postgres, free_port  # noqa: E402  (the same throwaway-server helpers)
from restore_bench import BenchFailure, pg_bindir, run_bench  # noqa: E402

LIB = "Resolve"
INDEX = "laterbase/.wal/laterbase-wal.json"


def seconds(text):
    """`60s`, `15m`, `1h` or a plain number of seconds."""
    m = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 60s, 15m)")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def iso(text):
    """ISO 8601 as the agent writes it (whole seconds, `Z`) to seconds since 1970."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S")


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000


class Bench:
    def __init__(self, args):
        self.args = args
        self.bindir = pg_bindir(args.pg_bindir)
        self.root = None
        self.data = None
        self.agent = None
        self.rclone = None
        self.writer = None
        self.seen = {}  # object path -> (mtime, size) of the version last seen
        self.counted = set()  # (path, mtime) versions already counted as uploaded

    def pg(self, name):
        return os.path.join(self.bindir, name)

    def psql(self, sql, db=LIB):
        out = subprocess.run([self.pg("psql"), "-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                             env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise BenchFailure(f"psql -c {sql!r} failed: {out.stderr.strip()}")
        return out.stdout.strip()

    # --- the server, the library, the remote, the agent ------------------------------------------

    def start_server(self):
        self.root = tempfile.mkdtemp(prefix="laterbase-bench-rpo-")
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
                    "fsync=off\nwal_level=replica\nmax_wal_senders=10\nmax_replication_slots=10\n"
                    "max_wal_size=1GB\nshared_buffers=128MB\n")
        subprocess.run(as_postgres([self.pg("pg_ctl"), "-D", self.data, "-l", f"{self.root}/server.log", "-w", "start"]),
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([self.pg("createdb"), "-T", "template0", "-E", "UTF8", LIB], env=self.env, check=True)
        self.psql("""
            CREATE TABLE "SM_Project" ("SM_Project_id" uuid PRIMARY KEY, "ProjectName" text NOT NULL,
              "LastModTimeInSecs" bigint, "FieldsBlob" bytea);
            CREATE TABLE "Sm2Timeline" ("Sm2Timeline_id" uuid PRIMARY KEY, "Name" text, "FieldsBlob" bytea);
            CREATE TABLE "Sm2TiItem" ("Sm2TiItem_id" uuid PRIMARY KEY, "Timeline" uuid, "Name" text, "FieldsBlob" bytea);
            CREATE TABLE "BtThumnail" ("BtThumnail_id" bigint, "Data" bytea);
            INSERT INTO "SM_Project" SELECT gen_random_uuid(), 'Spot ' || i, 1790000000 + i,
              decode(repeat(md5(i::text), 64), 'hex') FROM generate_series(1, 20) i;
            INSERT INTO "Sm2Timeline" SELECT gen_random_uuid(), "ProjectName" || ' TL', "FieldsBlob" FROM "SM_Project";
        """)

    def start_remote(self):
        self.served = f"{self.root}/remote"
        os.makedirs(self.served)
        rport = free_port()
        self.rclone_conf = f"{self.root}/rclone.conf"
        with open(self.rclone_conf, "w") as f:
            f.write(f"[offsite]\ntype = webdav\nurl = http://127.0.0.1:{rport}\nvendor = other\n")
        rclone = shutil.which("rclone") or sys.exit("rclone not found (apt-get install rclone)")
        self.rclone = subprocess.Popen([rclone, "serve", "webdav", self.served, "--addr", f"127.0.0.1:{rport}",
                                        "--config", "/dev/null"], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return rport

    def agent_env(self, **extra):
        env = dict(self.env, PRIMARY_HOST="127.0.0.1", PRIMARY_PORT=str(self.port), PRIMARY_USER="postgres",
                   REPL_PASSWORD="bench", PRIMARY_SSLMODE="disable", BACKUP_DIR=self.backups, PRIMARY_DBS=LIB,
                   WAL_ARCHIVE="on", BACKUP_ON_START="false", BACKUP_SCHEDULE="0 0 1 1 *",
                   BASE_BACKUP_AFTER_WAL=self.args.base_after_wal, RCLONE_REMOTE_NAME="offsite",
                   RCLONE_REMOTE_PATH="laterbase", RCLONE_CONFIG=self.rclone_conf, OFFSITE_MAX_WAL_LAG=str(self.args.max_lag),
                   TZ="UTC", LOG_LEVEL="info", CONSOLE="off", PG_BINDIR=self.bindir)
        env.update(extra)
        return env

    def start_agent(self):
        self.backups = f"{self.root}/backups"
        os.makedirs(self.backups)
        os.chmod(self.backups, 0o755)
        self.agent_log = f"{self.root}/agent-run.log"
        t = time.monotonic()
        with open(self.agent_log, "wb") as log:
            self.agent = subprocess.Popen([self.args.agent, "run"], env=self.agent_env(), stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        local = False
        while True:
            self.alive()
            if not local and self.local_newest() is not None:
                local = True
                print(f"agent run: base backup + streaming locally after {time.monotonic() - t:.1f} s", flush=True)
            index = self.read_index()
            if index is not None and self.offsite_newest(index) is not None:
                break
            if time.monotonic() - t > 600:
                raise BenchFailure("the undo window was not offsite after 600 s; the agent's log:\n" + self.log_tail())
            time.sleep(0.5)
        base = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(f"{self.served}/laterbase/.base") for f in fs)
        print(f"agent run: first offsite window after {time.monotonic() - t:.1f} s (base backup {human(base)} offsite)",
              flush=True)

    def alive(self):
        if self.agent.poll() is not None:
            raise BenchFailure(f"backup-agent run exited ({self.agent.returncode}); its log:\n{self.log_tail()}")

    def log_tail(self):
        with open(self.agent_log, errors="replace") as f:
            return f.read()[-3000:]

    # --- what is restorable, offsite and locally --------------------------------------------------

    def read_index(self, path=None):
        try:
            with open(path or f"{self.served}/{INDEX}") as f:
                return json.load(f)
        except (OSError, ValueError):  # not there yet, or being written
            return None

    def local_index(self):
        """The agent's own copy of the index (BACKUP_DIR/.laterbase/offsite-archive.json), which healthcheck reads."""
        return self.read_index(f"{self.backups}/.laterbase/offsite-archive.json")

    def dangling(self, index):
        """WAL objects the remote index names that are not on the remote (a restore needing one would fail)."""
        folder = f"{self.served}/laterbase/.wal"
        return sorted(e.get("object") or name for name, e in index.get("wal", {}).items()
                      if not os.path.exists(f"{folder}/{e.get('object') or name}"))

    @staticmethod
    def offsite_newest(index):
        """The window's end for a window without gaps (OffsiteArchiveIndex.window.newest); None without a base backup."""
        bases = [iso(m.get("finishedAt")) for m in index.get("bases", {}).values()]
        if not [b for b in bases if b]:
            return None
        wal = [e["mtime"] for name, e in index.get("wal", {}).items() if not name.endswith(".history")]
        return max([b for b in bases if b] + wal + [iso(index.get("streamedUntil")) or 0])

    def local_newest(self):
        try:
            with open(f"{self.backups}/.laterbase/wal-receiver.json") as f:
                status = json.load(f)
        except (OSError, ValueError):
            return None
        base = f"{self.backups}/.base"
        if not (os.path.isdir(base) and any(os.path.exists(f"{base}/{d}/laterbase-base.json") for d in os.listdir(base))):
            return None
        wal_dir = f"{self.backups}/.wal"
        times = [os.stat(f"{wal_dir}/{n}").st_mtime for n in os.listdir(wal_dir)
                 if re.fullmatch(r"[0-9A-F]{24}(\.partial)?", n)] if os.path.isdir(wal_dir) else []
        until = iso(status.get("streamedUntil"))
        newest = max(times + ([until] if until else []), default=None)
        return newest

    def scan_remote(self):
        """Counts every new version of an object once it is complete; returns (bytes uploaded now, folder size, WAL objects)."""
        new, total, wal_objects, now = 0, 0, 0, time.time()
        current = {}
        for d, _, files in os.walk(self.served):
            for f in files:
                path = os.path.join(d, f)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                rel = os.path.relpath(path, self.served)
                current[rel] = (st.st_mtime_ns, st.st_size)
                total += st.st_size
                if rel.startswith("laterbase/.wal/") and not rel.endswith(".json"):
                    wal_objects += 1
        for rel, (mtime, size) in current.items():
            key = (rel, mtime)
            # Complete once seen unchanged twice, or written more than 2 s ago.
            settled = self.seen.get(rel) == (mtime, size) or now - mtime / 1e9 > 2
            if key not in self.counted and settled:
                self.counted.add(key)
                new += size
        self.seen = current
        return new, total, wal_objects

    def wal_lsn(self):
        return int(self.psql("SELECT pg_current_wal_lsn() - '0/0'"))

    def healthcheck(self):
        out = subprocess.run([self.args.agent, "healthcheck"], env=self.agent_env(LOG_LEVEL="warning"),
                             capture_output=True, text=True, timeout=120)
        # Its one line joins the verdicts with "; ": the offsite window's own.
        parts = [part.strip() for line in (out.stdout + out.stderr).splitlines() for part in line.split("; ")]
        return out.returncode, [p for p in parts if p.startswith(("offsite ", "offsite:", "last error"))]

    # --- the writes --------------------------------------------------------------------------------

    def busy_writer(self, stop):
        """One small transaction every --every seconds through one psql session, as editors saving."""
        proc = subprocess.Popen([self.pg("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", LIB], env=self.env,
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.writer = proc
        n, next_at = 0, time.monotonic()
        try:
            while not stop.is_set():
                n += 1
                proc.stdin.write(
                    "BEGIN;"
                    f"UPDATE \"SM_Project\" SET \"LastModTimeInSecs\" = extract(epoch FROM now())::bigint, "
                    f"\"FieldsBlob\" = decode(repeat(md5(random()::text), 64), 'hex') "
                    f"WHERE \"ProjectName\" = 'Spot {n % 20 + 1}';"
                    f"INSERT INTO \"Sm2TiItem\" SELECT gen_random_uuid(), \"Sm2Timeline_id\", 'clip {n}', NULL "
                    f"FROM \"Sm2Timeline\" LIMIT 1;"
                    "COMMIT;\n")
                proc.stdin.flush()
                next_at += self.args.every
                stop.wait(max(0, next_at - time.monotonic()))
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)
            self.writer = None
        self.transactions = n

    def burst_writer(self, stop):
        """Large INSERTs (about 8 MB of rows each) until --burst-mb of WAL was written."""
        start = self.wal_lsn()
        chunk = 0
        while not stop.is_set() and self.wal_lsn() - start < self.args.burst_mb * 1024 * 1024:
            self.psql(f"INSERT INTO \"BtThumnail\" SELECT g, decode(repeat(md5(random()::text || g), 64), 'hex') "
                      f"FROM generate_series({chunk * 4000}, {chunk * 4000 + 3999}) g")
            chunk += 1
        self.burst_done = time.monotonic()

    # --- the phases ----------------------------------------------------------------------------------

    def phase(self, name, duration):
        if duration <= 0:
            return None
        stop = threading.Event()
        failure = []
        self.burst_done = None
        self.transactions = 0
        worker = None
        if name != "idle":
            target = self.busy_writer if name == "busy" else self.burst_writer

            def work():
                try:
                    target(stop)
                except Exception as e:  # noqa: BLE001  (reported by the main thread)
                    failure.append(e)

            worker = threading.Thread(target=work, daemon=True)
            worker.start()
        lsn0 = self.wal_lsn()
        t0 = time.monotonic()
        uploaded, lags, leads, stale, dangling = 0, [], [], [], []
        self.scan_remote()
        self.counted.update((rel, mtime) for rel, (mtime, _) in self.seen.items())  # not this phase's uploads
        next_sample = t0 + 1
        while time.monotonic() - t0 < duration:
            time.sleep(max(0, next_sample - time.monotonic()))
            next_sample += 1
            self.alive()
            if failure:
                raise BenchFailure(f"the {name} writes failed: {failure[0]}")
            now = time.time()
            new, _, _ = self.scan_remote()
            uploaded += new
            index = self.read_index()
            offsite = self.offsite_newest(index) if index else None
            local = self.local_newest()
            if offsite is None:
                continue
            lags.append(now - offsite)
            if local is not None:
                leads.append(max(0.0, local - offsite))
            own = self.local_index()
            own_newest = self.offsite_newest(own) if own else None
            if own_newest is not None:
                stale.append(max(0.0, own_newest - offsite))
            missing = self.dangling(index)
            if missing:
                dangling.append((utc(now), missing))
        stop.set()
        if worker:
            worker.join(timeout=300)
        elapsed = time.monotonic() - t0
        new, size, wal_objects = self.scan_remote()
        uploaded += new
        index = self.read_index() or {}
        wal_written = self.wal_lsn() - lsn0
        status, health = self.healthcheck()
        result = {
            "name": name, "seconds": elapsed, "samples": len(lags),
            "lag": (statistics.median(lags), quantile(lags, 0.95), max(lags)) if lags else None,
            "lead": (statistics.median(leads), quantile(leads, 0.95), max(leads)) if leads else None,
            "stale": (statistics.median(stale), max(stale), sum(1 for x in stale if x > 1.5)) if stale else None,
            "dangling": dangling,
            "per_minute": uploaded * 60 / elapsed, "uploaded": uploaded, "size": size, "wal_objects": wal_objects,
            "index_wal": len(index.get("wal", {})), "bases": len(index.get("bases", {})), "wal_written": wal_written,
            "health": health, "health_status": status,
        }
        self.report(result)
        return result

    def report(self, r):
        what = {"idle": "no writes", "busy": f"{self.transactions} transactions, one every {self.args.every:g} s",
                "burst": "large INSERTs" + (f", {self.args.burst_mb:g} MB of WAL written after "
                                            f"{self.burst_done - self.phase_start:.0f} s" if self.burst_done else "")}[r["name"]]
        print(f"\n{r['name']} ({r['seconds']:.0f} s, {what}; the server wrote {human(r['wal_written'])} of WAL)", flush=True)
        if r["lag"]:
            print(f"  lag now - offsite newest:   median {r['lag'][0]:6.1f} s  p95 {r['lag'][1]:6.1f} s  max {r['lag'][2]:6.1f} s"
                  f"  ({r['samples']} samples)")
        if r["lead"]:
            print(f"  local newest - offsite:     median {r['lead'][0]:6.1f} s  p95 {r['lead'][1]:6.1f} s  max {r['lead'][2]:6.1f} s")
        if r["stale"]:
            print(f"  agent's own index - remote: median {r['stale'][0]:6.1f} s  max {r['stale'][1]:6.1f} s  "
                  f"({r['stale'][2]} of {r['samples']} samples more than 1.5 s behind: the remote's copy of the index is stale)")
        if r["dangling"]:
            first_at, first = r["dangling"][0]
            print(f"  DANGLING: in {len(r['dangling'])} of {r['samples']} samples the remote index named a WAL object "
                  f"missing on the remote (first at {first_at}: {', '.join(first)})")
        print(f"  uploaded {human(r['uploaded'])} ({human(r['per_minute'])}/min); served folder {human(r['size'])}; "
              f"WAL objects {r['wal_objects']} on the remote, {r['index_wal']} in the index; base backups {r['bases']}")
        for line in r["health"] or ["(no offsite line)"]:
            print(f"  healthcheck (exit {r['health_status']}): {line}", flush=True)

    def main(self):
        a = self.args
        self.start_server()
        version = self.psql("SHOW server_version", db="postgres")
        st = os.stat(a.agent)
        print(f"date {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; {os.cpu_count()} CPUs "
              f"(load {' '.join(f'{x:.2f}' for x in os.getloadavg())}); PostgreSQL {version} ({self.bindir}), "
              f"wal_level=replica, fsync=off", flush=True)
        print(f"agent: {a.agent} ({st.st_size / 1e6:.1f} MB, built "
              f"{datetime.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec='seconds')}); "
              f"OFFSITE_MAX_WAL_LAG={a.max_lag}s: a sync every {min(60, max(5, a.max_lag // 10))} s, "
              f"the .partial at most every {a.max_lag / 3:.0f} s; BASE_BACKUP_AFTER_WAL={a.base_after_wal}", flush=True)
        self.start_remote()
        self.start_agent()
        results = []
        for name, duration in (("idle", a.idle), ("busy", a.busy), ("burst", a.burst)):
            self.phase_start = time.monotonic()
            r = self.phase(name, duration)
            if r:
                results.append(r)
        listed = subprocess.run([a.agent, "list", "--offsite", "--json"], env=self.agent_env(LOG_LEVEL="warning"),
                                capture_output=True, text=True, timeout=120)
        try:
            undo = json.loads(listed.stdout).get("undoWindow", {})
            computed = self.offsite_newest(self.read_index() or {})
            print(f"\nlist --offsite --json: newest {undo.get('newest')} ({undo.get('walFiles')} WAL files, base backups "
                  f"{len(undo.get('baseBackups', []))}); computed from the index here: "
                  f"{datetime.datetime.fromtimestamp(computed, datetime.timezone.utc).isoformat(timespec='seconds') if computed else None}")
        except ValueError:
            print(f"\nlist --offsite --json failed ({listed.returncode}): {listed.stderr.strip()[-500:]}")
        print(f"\n{'phase':6s} {'seconds':>7s} {'lag median':>10s} {'p95':>7s} {'max':>7s} {'behind local max':>16s} "
              f"{'index stale max':>15s} {'dangling':>8s} {'upload/min':>11s} {'WAL objects':>11s}")
        for r in results:
            lag = r["lag"] or (float("nan"),) * 3
            lead = r["lead"][2] if r["lead"] else float("nan")
            stale = r["stale"][1] if r["stale"] else float("nan")
            print(f"{r['name']:6s} {r['seconds']:7.0f} {lag[0]:9.1f}s {lag[1]:6.1f}s {lag[2]:6.1f}s {lead:15.1f}s "
                  f"{stale:14.1f}s {len(r['dangling']):8d} {human(r['per_minute']):>11s} {r['wal_objects']:11d}")

    def cleanup(self):
        for proc in (self.writer, self.agent):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.rclone is not None and self.rclone.poll() is None:
            self.rclone.kill()
            self.rclone.wait()
        if self.data and os.path.exists(f"{self.data}/postmaster.pid"):
            subprocess.run(as_postgres([self.pg("pg_ctl"), "-D", self.data, "-m", "immediate", "stop"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.root and not self.args.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        elif self.root:
            print(f"kept {self.root}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-lag", type=seconds, default=60, help="OFFSITE_MAX_WAL_LAG (default 60s; at least 10s)")
    parser.add_argument("--idle", type=float, default=90, help="seconds of the idle phase (default 90; 0 skips it)")
    parser.add_argument("--busy", type=float, default=120, help="seconds of the busy phase (default 120; 0 skips it)")
    parser.add_argument("--burst", type=float, default=90, help="seconds of the burst phase (default 90; 0 skips it)")
    parser.add_argument("--burst-mb", type=float, default=96, help="MB of WAL the burst writes (default 96: 6 segments)")
    parser.add_argument("--every", type=float, default=0.1, help="seconds between the busy phase's transactions (default 0.1)")
    parser.add_argument("--base-after-wal", default="auto", help="BASE_BACKUP_AFTER_WAL of the agent (default auto)")
    parser.add_argument("--agent", default=os.environ.get("BIN") or os.path.join(HERE, "..", ".build", "release", "backup-agent"),
                        help="the agent binary (default $BIN, else .build/release/backup-agent)")
    parser.add_argument("--pg-bindir", default=os.environ.get("PG_BINDIR"),
                        help="PostgreSQL's bin directory (default $PG_BINDIR, else the newest under /usr/lib/postgresql)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server, backups, remote, logs)")
    args = parser.parse_args()
    args.agent = os.path.abspath(args.agent)
    if not os.access(args.agent, os.X_OK):
        sys.exit(f"{args.agent} not found; run `swift build -c release --product backup-agent` first or pass --agent / BIN")
    if args.max_lag < 10:
        sys.exit("--max-lag must be at least 10s (OFFSITE_MAX_WAL_LAG's minimum)")

    run_bench(Bench, args)


if __name__ == "__main__":
    main()
