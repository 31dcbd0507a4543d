import Foundation
import LaterbaseCore
import LaterbaseTestSupport
import Testing
import UndoWindow

/// The undo window's offsite copy when things go wrong, with real components only (a real
/// PostgreSQL server, `backup-agent run`, a real `rclone serve webdav`): a remote that dies in the
/// middle of a base backup's upload, and a WAL segment damaged on the remote.
@Suite("undo window offsite: a remote that dies mid-copy, a damaged WAL copy", .serialized, .timeLimit(.minutes(5)))
struct OffsiteArchiveFaultTests {
    /// Files of a folder (not recursive), by name, with their bytes.
    static func contents(of folder: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return Dictionary(uniqueKeysWithValues: names.compactMap { name in FileManager.default.contents(atPath: folder + "/" + name).map { (name, $0) } })
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? -1
    }

    @Test("the remote dies mid-copy of a base backup: nothing half-copied is named offsite; the next pass completes it")
    func remoteDiesMidBaseBackup() async throws {
        try await ArchiveHarness.with { _, archive in
            let remote = try RcloneServer()
            defer { remote.remove() }
            // rclone reaches the remote through a proxy that can cut every connection in the middle of one upload.
            let proxy = try CountingProxy(upstream: remote.port)
            defer { proxy.stop() }
            let config = remote.root + "/through-proxy.conf"
            try "[offsite]\ntype = webdav\nurl = http://127.0.0.1:\(proxy.port)\nvendor = other\n".write(toFile: config, atomically: true, encoding: .utf8)
            var offsite = OffsiteRestoreTests.offsite(remote)
            offsite["RCLONE_CONFIG"] = config

            // A dump first (offsite too), so the dumps' part of healthcheck stays healthy throughout.
            let dump = try await archive.run(["backup"], offsite)
            #expect(dump.status == 0, "\(dump.stderr)")

            // The remote goes away once 256 kB of the base backup's tar file are on their way.
            proxy.cut(after: "/base.tar", plus: 256 * 1024)
            let started = ContinuousClock.now
            let agent = try archive.startAgent(offsite)
            defer { if agent.isRunning { kill(agent.processIdentifier, SIGTERM) } }
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let base = try #require(StoredBaseBackup.all(in: archive.layout).first, "\(archive.log)")
            let cut = await poll(timeout: .seconds(120)) { proxy.isCut }
            let cutAt = Date()
            remote.kill()
            let logged = ((try? String(contentsOfFile: archive.backupDirectory + ".log", encoding: .utf8)) ?? "").split(separator: "\n")
            print("measured: offsite syncs that failed before the cut: \(logged.filter { $0.contains("offsite copy is behind") })")
            try #require(cut, "the base backup's upload never started: \(remote.files()) \(archive.log)")
            let remoteBase = remote.served + "/laterbase/.base/" + base.name
            let local = Self.contents(of: base.path)
            print("measured: remote cut \(ContinuousClock.now - started) after the agent started, \(proxy.counts.uploaded) bytes uploaded through the proxy;"
                + " on the remote then: \(Self.contents(of: remoteBase).mapValues(\.count)) of \(local.mapValues(\.count))")

            // The agent's syncs fail and say so in the local index (one that started after the cut: an
            // earlier one may have failed for its own reasons); nothing of the base backup is named offsite.
            let failed = await poll(timeout: .seconds(60)) {
                let index = OffsiteArchiveIndex.load(archive.layout)
                return index.lastError != nil && (index.lastSync ?? .distantPast) > cutAt
            }
            #expect(failed, "\(archive.log)")
            let lastError = OffsiteArchiveIndex.load(archive.layout).lastError ?? ""
            print("measured: the local index's lastError after the cut: \(lastError)")
            #expect(lastError.contains("rclone") && !lastError.contains("\n"), "\(lastError)")
            #expect(OffsiteArchiveIndex.load(archive.layout).bases[base.name] == nil)
            if let index = OffsiteRestoreTests.remoteIndex(remote) {
                #expect(index.bases[base.name] == nil, "the remote index names a base backup that is not complete offsite")
                #expect(index.bases.isEmpty)
            }
            #expect(!remote.files().contains("laterbase/.base/\(base.name)/\(ArchiveLayout.manifestName)"), "\(remote.files())")

            // Once OFFSITE_MAX_WAL_LAG passed since the base backup finished, healthcheck turns unhealthy, in one line.
            var health = (status: Int32(0), stdout: "", stderr: "")
            let unhealthy = await poll(timeout: .seconds(90), every: .seconds(1)) {
                health = (try? await archive.run(["healthcheck"], offsite)) ?? health
                return health.status == 1
            }
            #expect(unhealthy, "\(health.stdout) \(health.stderr)")
            let line = health.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            print("measured: healthcheck with the remote gone: \(line)")
            #expect(!line.contains("\n"), "one line expected: \(line)")
            #expect(line.hasPrefix("unhealthy: ") && line.contains("offsite: no base backup offsite yet; last error: "), "\(line)")
            #expect(!line.contains("offsite restorable until"), "\(line)")

            // The remote comes back: the running agent's next sync completes the base backup offsite.
            let back = ContinuousClock.now
            try remote.start()
            proxy.resume()
            let complete = await poll(timeout: .seconds(120)) { OffsiteRestoreTests.remoteIndex(remote)?.bases[base.name] != nil }
            #expect(complete, "\(remote.files()) \(archive.log)")
            print("measured: the base backup was named offsite \(ContinuousClock.now - back) after the remote came back")
            let copied = Self.contents(of: remoteBase)
            #expect(Set(copied.keys) == Set(local.keys), "\(copied.keys.sorted()) vs \(local.keys.sorted())")
            for (name, data) in local { #expect(copied[name] == data, "\(name) differs offsite") }
            let healthy = await poll(timeout: .seconds(60), every: .seconds(1)) {
                health = (try? await archive.run(["healthcheck"], offsite)) ?? health
                return health.status == 0 && health.stdout.contains("offsite restorable until")
            }
            #expect(healthy, "\(health.stdout) \(health.stderr)")
            print("measured: healthcheck with the remote back: \(health.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(OffsiteArchiveIndex.load(archive.layout).lastError == nil)

            // And it restores from the remote alone.
            let timeline = try await archive.addTimeline("Edit after the outage", items: 4)
            try await Task.sleep(for: .milliseconds(1200))
            let notedDate = Date()
            let noted = ArchiveHarness.text(notedDate)
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)
            let reached = await poll(timeout: .seconds(90)) {
                (OffsiteRestoreTests.remoteIndex(remote)?.window.newest ?? .distantPast) > notedDate.addingTimeInterval(3)
            }
            #expect(reached, "\(remote.files()) \(archive.log)")
            #expect(await archive.stop(agent) == 0)
            try FileManager.default.removeItem(atPath: archive.backupDirectory)
            let restored = try await archive.run(["restore", "--from-offsite", "--db", "Resolve", "--at", noted, "--as", "Resolve after the outage"], offsite)
            #expect(restored.status == 0, "\(restored.stderr)")
            #expect(try await archive.clips(timeline, in: "Resolve after the outage") == 4)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
        }
    }

    @Test("a flipped byte in an offsite WAL segment: restore --from-offsite --at refuses in one line, creates no database, keeps what was fetched; fixed, the retry restores")
    func damagedOffsiteSegment() async throws {
        try await ArchiveHarness.with { cluster, archive in
            let remote = try RcloneServer()
            defer { remote.remove() }
            let offsite = OffsiteRestoreTests.offsite(remote)
            let agent = try archive.startAgent(offsite)
            defer { if agent.isRunning { kill(agent.processIdentifier, SIGTERM) } }
            #expect(await archive.waitUntilArchiving(), "\(archive.log)")
            let timeline = try await archive.addTimeline("Edit v9", items: 4)
            try await Task.sleep(for: .milliseconds(1200))
            let notedDate = Date()
            let noted = ArchiveHarness.text(notedDate)
            try await Task.sleep(for: .milliseconds(1200))
            try await archive.deleteTimeline(timeline)
            // The timeline's WAL in a complete segment after the base backup's start.
            _ = try await cluster.query("SELECT pg_switch_wal()")

            func completeAfterStart(_ index: OffsiteArchiveIndex) -> WalFile? {
                guard let base = index.storedBases().last, let start = base.manifest.startSegment else { return nil }
                return index.walFiles(segmentSize: base.manifest.walSegmentSize, folder: OffsiteArchiveIndex.walFolder)
                    .first { !$0.isPartial && $0.segment.timeline == start.timeline && $0.segment.number > start.number }
            }
            let reached = await poll(timeout: .seconds(90)) {
                guard let index = OffsiteRestoreTests.remoteIndex(remote) else { return false }
                return (index.window.newest ?? .distantPast) > notedDate.addingTimeInterval(3) && completeAfterStart(index) != nil
            }
            #expect(reached, "\(remote.files()) \(archive.log)")
            #expect(await archive.stop(agent) == 0)

            // One byte flipped in the middle of the segment on the remote (same size: only the SHA-256 tells).
            let index = try #require(OffsiteRestoreTests.remoteIndex(remote))
            let segment = try #require(completeAfterStart(index), "\(index.wal.keys.sorted())")
            let object = remote.served + "/laterbase/.wal/" + index.object(segment.fileName)
            let offset = UInt64(Self.size(object) / 2)
            let handle = try #require(FileHandle(forUpdatingAtPath: object))
            try handle.seek(toOffset: offset)
            let original = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data([original ^ 0xFF]))
            try handle.close()
            print("measured: flipped the byte at \(offset) of \(segment.fileName) (\(Self.size(object)) bytes) on the remote")

            // The restores read the remote through a proxy that counts what they download.
            let proxy = try CountingProxy(upstream: remote.port)
            defer { proxy.stop() }
            var proxied = offsite
            proxied["RCLONE_CONFIG"] = remote.root + "/through-proxy.conf"
            try "[offsite]\ntype = webdav\nurl = http://127.0.0.1:\(proxy.port)\nvendor = other\n".write(toFile: proxied["RCLONE_CONFIG"]!, atomically: true, encoding: .utf8)

            try FileManager.default.removeItem(atPath: archive.backupDirectory)
            let staging = archive.backupDirectory + "/.offsite-fetch"
            let refused = try await archive.run(["restore", "--from-offsite", "--db", "Resolve", "--at", noted, "--as", "Resolve offsite damaged"], proxied)
            let firstDownload = proxy.counts.downloaded
            let message = refused.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            print("measured: restore --from-offsite over a damaged WAL copy: \(message)")
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(!message.isEmpty && !message.contains("\n"), "one line expected: \(message)")
            #expect(message.contains("SHA-256") && message.contains("damaged") && message.contains(segment.fileName), "\(message)")
            #expect(try await archive.databaseExists("Resolve offsite damaged") == false)
            // What was fetched stays for the next try: the base backup and the segments before the damaged one, nothing half-written.
            let base = try #require(index.storedBases().last)
            let fetchedBase = Self.contents(of: staging + "/.base/" + base.name)
            let remoteBase = Self.contents(of: remote.served + "/laterbase/.base/" + base.name)
            for (name, data) in remoteBase where name != ArchiveLayout.manifestName {
                #expect(fetchedBase[name] == data, "\(name) was not kept: \(fetchedBase.keys.sorted())")
            }
            let fetchedWal = (try? FileManager.default.contentsOfDirectory(atPath: staging + "/.wal")) ?? []
            print("measured: kept after the refusal: \(fetchedBase.keys.sorted()) and \(fetchedWal.sorted())")
            let start = try #require(base.manifest.startSegment)
            let before = index.walFiles(segmentSize: base.manifest.walSegmentSize, folder: OffsiteArchiveIndex.walFolder)
                .filter { $0.segment.number >= start.number && $0.segment < segment.segment }.map(\.fileName)
            #expect(!before.isEmpty && before.allSatisfy(fetchedWal.contains), "\(before) not all kept: \(fetchedWal)")
            #expect(!fetchedWal.contains(segment.fileName), "the damaged copy must not be kept under its name: \(fetchedWal)")
            #expect(!fetchedWal.contains { $0.hasSuffix(".fetching") }, "\(fetchedWal)")
            let kept = fetchedBase.values.reduce(Int64(0)) { $0 + Int64($1.count) } + before.reduce(Int64(0)) { $0 + Self.size(staging + "/.wal/" + $1) }

            // The remote copy repaired: the retry restores.
            let repair = try #require(FileHandle(forUpdatingAtPath: object))
            try repair.seek(toOffset: offset)
            try repair.write(contentsOf: Data([original]))
            try repair.close()
            let retried = try await archive.run(["restore", "--from-offsite", "--db", "Resolve", "--at", noted, "--as", "Resolve offsite damaged"], proxied)
            #expect(retried.status == 0, "\(retried.stderr)")
            // The retry fetched only what was missing: at most the WAL from the damaged segment on and the manifest, never the kept files again.
            let retryDownload = proxy.counts.downloaded - firstDownload
            let missing = index.walFiles(segmentSize: base.manifest.walSegmentSize, folder: OffsiteArchiveIndex.walFolder)
                .filter { $0.segment >= segment.segment }.reduce(Int64(0)) { $0 + $1.bytes }
            print("measured: downloaded \(firstDownload) bytes before the refusal (\(kept) kept), \(retryDownload) by the retry (WAL from the damaged segment on: \(missing))")
            #expect(retryDownload <= missing + 2_000_000, "the retry fetched \(retryDownload) bytes, more than the \(missing) bytes missing: the kept files (\(kept) bytes) were fetched again")
            #expect(try await archive.clips(timeline, in: "Resolve offsite damaged") == 4)
            #expect(try await archive.clips(timeline, in: "Resolve") == 0)
            #expect(!FileManager.default.fileExists(atPath: staging), "what was fetched is removed after a restore")
        }
    }
}
