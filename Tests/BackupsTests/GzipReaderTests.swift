@testable import Backups
import Foundation
import Testing

/// ``GzipReader`` (ISA-L's inflate) against files made by GNU gzip and by ``ParallelGzipWriter``:
/// every byte back, members joined at every chunk boundary, and each kind of damage refused
/// with the reason, never as a shorter library.
@Suite("gzip reader")
struct GzipReaderTests {
    static func file(_ bytes: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("laterbase-gzr-\(UUID().uuidString).gz")
        try bytes.write(to: url)
        return url
    }

    /// GNU gzip's output for `input` at `level`.
    static func gnu(_ input: [UInt8], level: Int = 6) throws -> Data {
        let source = try file(Data(input))
        defer { try? FileManager.default.removeItem(at: source) }
        let (status, out) = try GzipWriterTests.system("gzip", ["-\(level)", "-c", source.path])
        #expect(status == 0)
        return out
    }

    static func read(_ url: URL, chunkSize: Int) async throws -> (GzipReader.Result, [UInt8]) {
        var decoded: [UInt8] = []
        let result = try await GzipReader.read(url.path, chunkSize: chunkSize) { decoded += $0 }
        return (result, decoded)
    }

    @Test("three members (GNU gzip, the agent's writer, an empty one) decode to every byte, whatever the chunk size",
          arguments: [64, 65, 4096, 4097, 65_536, 1 << 20])
    func members(chunkSize: Int) async throws {
        let first = GzipWriterTests.sample(bytes: 300_000, seed: 1)
        let second = GzipWriterTests.sample(bytes: 200_001, seed: 2)
        let (written, _) = try await GzipWriterTests.compress(second, strategy: .adaptive, blockSize: 64 * 1024, chunk: 9_999)
        defer { try? FileManager.default.removeItem(at: written) }
        let joined = try Self.gnu(first, level: 1) + Data(contentsOf: written) + Self.gnu([])
        let url = try Self.file(joined)
        defer { try? FileManager.default.removeItem(at: url) }
        let (result, decoded) = try await Self.read(url, chunkSize: chunkSize)
        #expect(decoded == first + second)
        #expect(result.rawBytes == Int64(first.count + second.count))
        #expect(result.compressedBytes == Int64(joined.count))
        let (_, sha) = try GzipWriterTests.system("sha256sum", [url.path])
        #expect(String(decoding: sha, as: UTF8.self).hasPrefix(result.sha256))
    }

    @Test("damage is refused with the reason: a flipped byte in the data, in the CRC, in the length; cut short; garbage after the end; empty",
          arguments: ["data", "crc", "length", "truncated", "garbage", "junk", "empty"])
    func damaged(kind: String) async throws {
        let input = GzipWriterTests.sample(bytes: 400_000, seed: 5)
        var bytes = try Self.gnu(input)
        switch kind {
        case "data": bytes[bytes.count / 2] ^= 0x5A
        case "crc": bytes[bytes.count - 7] ^= 0xFF
        case "length": bytes[bytes.count - 2] ^= 0x01
        case "truncated": bytes = bytes.prefix(bytes.count - 5)
        case "junk": bytes += Data([0x1f, 0x8b, 0x08])  // a next member's first bytes only
        case "empty": bytes = Data()
        default: bytes += Data("not gzip at all".utf8)
        }
        let url = try Self.file(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        for chunkSize in [64, 4096, 1 << 20] {
            do {
                let (_, decoded) = try await Self.read(url, chunkSize: chunkSize)
                Issue.record("\(kind) (chunks of \(chunkSize)): read without an error, \(decoded.count) of \(input.count) bytes")
            } catch let error as GzipReadError {
                let text = error.description
                print("measured: \(kind), chunks of \(chunkSize): \(text.replacingOccurrences(of: url.path, with: "FILE"))")
                #expect(text.hasPrefix(url.path + " is "))
                #expect(["truncated", "junk", "empty"].contains(kind) ? text.contains("is truncated") : text.contains("is corrupt at byte"), "\(text)")
            }
        }
    }

    @Test("a last read of 1 to 40 bytes (the end of the trailer alone) still ends the member")
    func tinyLastRead() async throws {
        let input = GzipWriterTests.sample(bytes: 300_000, seed: 3)
        let bytes = try Self.gnu(input)
        let url = try Self.file(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        for tail in 1...40 {
            let (_, decoded) = try await Self.read(url, chunkSize: bytes.count - tail)
            #expect(decoded == input, "a last read of \(tail) bytes")
        }
    }
}
