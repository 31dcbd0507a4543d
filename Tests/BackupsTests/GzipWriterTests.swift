@testable import Backups
import Foundation
import Testing

@Suite("Parallel gzip writer")
struct GzipWriterTests {
    /// Input mixing SQL-like text and hex of random bytes, so both strategies are exercised.
    static func sample(bytes: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(bytes)
        let hexDigits = Array("0123456789abcdef".utf8)
        while out.count < bytes {
            out += Array("INSERT INTO \"SM_Project\" VALUES ('Spot \(generator.next() % 1000)', '/Volumes/SAN/Clip.mov');\n".utf8)
            for _ in 0..<Int(generator.next() % 4000) { out.append(hexDigits[Int(generator.next() % 16)]) }
            out.append(10)
        }
        return Array(out.prefix(bytes))
    }

    static func compress(_ input: [UInt8], level: Int = 6, strategy: DeflateStrategy, blockSize: Int, chunk: Int) async throws -> (URL, GzipSummary) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-gz-\(UUID().uuidString).gz")
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        let writer = ParallelGzipWriter(descriptor: fd, level: level, strategy: strategy, blockSize: blockSize, workers: 3)
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + chunk)
            try await writer.write(Array(input[offset..<end]))
            offset = end
        }
        return (url, try await writer.finish())
    }

    static func system(_ tool: String, _ arguments: [String]) throws -> (Int32, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    @Test("gunzip decodes the output exactly, across block boundaries and odd chunk sizes", arguments: [
        (DeflateStrategy.adaptive, 64 * 1024, 7_777, 1_000_003),
        (.standard, 64 * 1024, 65_536, 300_000),
        (.huffmanOnly, 100_000, 1, 70_000),
        (.adaptive, 64 * 1024, 4096, 65_536 * 3),  // ends exactly on a block boundary
        (.adaptive, 64 * 1024, 4096, 0),  // empty input
    ])
    func roundTrip(strategy: DeflateStrategy, blockSize: Int, chunk: Int, size: Int) async throws {
        let input = Self.sample(bytes: size, seed: UInt64(size + chunk))
        let (url, summary) = try await Self.compress(input, strategy: strategy, blockSize: blockSize, chunk: chunk)
        defer { try? FileManager.default.removeItem(at: url) }
        let (status, decoded) = try Self.system("gzip", ["-dc", url.path])
        #expect(status == 0)
        #expect(decoded == Data(input))
        #expect(try Self.system("gzip", ["-t", url.path]).0 == 0)
        #expect(summary.rawBytes == Int64(size))
        let fileSize = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
        #expect(Int64(fileSize ?? -1) == summary.compressedBytes)
        let (_, shaOut) = try Self.system("sha256sum", [url.path])
        #expect(String(decoding: shaOut, as: UTF8.self).hasPrefix(summary.sha256))
    }

    @Test("a corrupted byte is caught by gzip -t (the trailer CRC is real)")
    func corruption() async throws {
        let input = Self.sample(bytes: 200_000, seed: 9)
        let (url, _) = try await Self.compress(input, strategy: .huffmanOnly, blockSize: 64 * 1024, chunk: 10_000)
        defer { try? FileManager.default.removeItem(at: url) }
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 7] ^= 0xFF  // inside the CRC-32
        try bytes.write(to: url)
        #expect(try Self.system("gzip", ["-t", url.path]).0 != 0)
    }

    @Test("equal input gives an equal fingerprint and file; different input does not")
    func fingerprint() async throws {
        let input = Self.sample(bytes: 150_000, seed: 3)
        let (a, first) = try await Self.compress(input, strategy: .adaptive, blockSize: 64 * 1024, chunk: 5000)
        let (b, second) = try await Self.compress(input, strategy: .adaptive, blockSize: 64 * 1024, chunk: 12_345)
        var changed = input
        changed[100_000] ^= 1
        let (c, third) = try await Self.compress(changed, strategy: .adaptive, blockSize: 64 * 1024, chunk: 5000)
        defer { [a, b, c].forEach { try? FileManager.default.removeItem(at: $0) } }
        #expect(first.contentFingerprint == second.contentFingerprint)
        #expect(first.sha256 == second.sha256)
        #expect(first.contentFingerprint != third.contentFingerprint)
    }

    @Test("hex detection picks Huffman-only for hex blocks and LZ77 for text")
    func detection() {
        #expect(HexDetector.isMostlyHex(Array(String(repeating: "0a1b2c3d4e5f6789", count: 1000).utf8)))
        #expect(!HexDetector.isMostlyHex(Array(String(repeating: "CREATE TABLE \"SM_Project\" (x int);\n", count: 500).utf8)))
        #expect(!HexDetector.isMostlyHex([]))
    }
}

/// A small deterministic generator (SplitMix64) so test inputs are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
