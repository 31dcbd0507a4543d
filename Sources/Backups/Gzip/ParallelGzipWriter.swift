import CZlib
import Crypto
import Foundation
import LaterbaseCore
import SystemPackage

/// What a finished gzip file holds.
public struct GzipSummary: Sendable, Equatable {
    /// Bytes of uncompressed input.
    public let rawBytes: Int64
    /// Bytes written to the file (header, deflate data, trailer).
    public let compressedBytes: Int64
    /// SHA-256 of the file as written, hex.
    public let sha256: String
    /// A fingerprint of the uncompressed input (SHA-256 over the SHA-256s of its fixed-size
    /// blocks and the length): equal inputs give equal fingerprints for the same block size.
    public let contentFingerprint: String
    /// How many blocks were compressed Huffman-only.
    public let huffmanBlocks: Int
    public let blocks: Int
}

/// A gzip writer that compresses on every core, like pigz: the input is cut into fixed-size
/// blocks, each deflated independently (primed with the previous block's last 32 KiB) on a
/// worker, and the results are written in order as one standard gzip member with a combined
/// CRC-32. `gunzip` and `gzip -t` read the output as any other `.gz`.
///
/// Feed it from one task: ``write(_:)`` as data arrives, then ``finish()``. Memory stays
/// bounded: at most `workers + 1` blocks are being compressed at once; `write` waits for the
/// oldest when that many are pending. The caller owns the file descriptor.
public actor ParallelGzipWriter {
    public static let defaultBlockSize = 1 << 20

    private let descriptor: Int32
    private let level: Int32
    private let strategy: DeflateStrategy
    private let blockSize: Int
    private let maxInFlight: Int
    private var current: [UInt8]
    private var previousTail: [UInt8] = []
    private var pending: [Task<DeflateBlock, Never>] = []
    private var hasher = SHA256()
    private var fingerprint = SHA256()
    private var crc: UInt = 0
    private var rawBytes: Int64 = 0
    private var written: Int64 = 0
    private var blocks = 0
    private var huffmanBlocks = 0
    private var finished = false
    private var headerWritten = false

    /// - Parameters:
    ///   - descriptor: an open, writable file descriptor; the writer never closes it.
    ///   - level: zlib level 1-9.
    ///   - workers: compression tasks allowed to run at once (default: the number of cores).
    public init(descriptor: Int32, level: Int, strategy: DeflateStrategy = .adaptive,
                blockSize: Int = ParallelGzipWriter.defaultBlockSize,
                workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.descriptor = descriptor
        self.level = Int32(min(9, max(1, level)))
        self.strategy = strategy
        self.blockSize = max(64 * 1024, blockSize)
        // Bounded whatever the core count: each block in flight costs about 2.3 MiB.
        self.maxInFlight = max(2, min(workers, 8) + 1)
        current = []
        current.reserveCapacity(self.blockSize)
    }

    /// Adds input. Compresses full blocks in the background; may wait for earlier blocks.
    public func write(_ bytes: [UInt8]) async throws {
        precondition(!finished, "write after finish")
        var offset = 0
        while offset < bytes.count {
            let take = min(blockSize - current.count, bytes.count - offset)
            current.append(contentsOf: bytes[offset..<(offset + take)])
            offset += take
            if current.count == blockSize { try await submitCurrent() }
        }
    }

    /// Compresses what is left, writes the end of the deflate stream and the gzip trailer.
    /// Does not fsync or close the descriptor.
    public func finish() async throws -> GzipSummary {
        precondition(!finished, "finish called twice")
        if !current.isEmpty { try await submitCurrent() }
        while !pending.isEmpty { try await drainOldest() }
        finished = true
        // An empty final block ends the deflate stream (BFINAL=1, fixed Huffman, end-of-block code).
        var trailer: [UInt8] = [0x03, 0x00]
        let crc32Value = UInt32(truncatingIfNeeded: crc)
        let size = UInt32(truncatingIfNeeded: rawBytes)
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: crc32Value >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: size >> UInt32(shift))) }
        try emit(trailer)
        fingerprint.update(data: withUnsafeBytes(of: rawBytes.littleEndian) { Array($0) })
        return GzipSummary(rawBytes: rawBytes, compressedBytes: written,
                           sha256: Digests.hex(hasher.finalize()), contentFingerprint: Digests.hex(fingerprint.finalize()),
                           huffmanBlocks: huffmanBlocks, blocks: blocks)
    }

    /// Stops background work without writing anything more (after a failure).
    public func abandon() {
        pending.forEach { $0.cancel() }
        pending.removeAll()
        finished = true
    }

    private func submitCurrent() async throws {
        let block = current
        let dictionary = previousTail
        previousTail = Array(block.suffix(32 * 1024))
        current = []
        current.reserveCapacity(blockSize)
        let level = self.level
        let strategy = self.strategy
        pending.append(Task.detached { DeflateBlock.compress(block, dictionary: dictionary, level: level, strategy: strategy) })
        while pending.count >= maxInFlight { try await drainOldest() }
    }

    private func drainOldest() async throws {
        let block = await pending.removeFirst().value
        try emit(block.compressed)
        crc = crc32_combine(crc, block.crc, off_t(block.inputCount))
        rawBytes += Int64(block.inputCount)
        fingerprint.update(data: block.inputDigest)
        blocks += 1
        if block.usedHuffmanOnly { huffmanBlocks += 1 }
    }

    private func emit(_ bytes: [UInt8]) throws {
        if !headerWritten {
            headerWritten = true
            // Magic, deflate, no flags, mtime 0 (the output depends on the input only), XFL 0, OS unix.
            try emit([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
        }
        hasher.update(data: bytes)
        do {
            _ = try bytes.withUnsafeBytes { try FileDescriptor(rawValue: descriptor).writeAll($0) }
        } catch let error as Errno {
            throw GzipWriteError(errno: error.rawValue)
        }
        written += Int64(bytes.count)
    }
}

/// Writing the compressed file failed (disk full, I/O error).
public struct GzipWriteError: Error, CustomStringConvertible, Sendable {
    public let errno: Int32
    public var description: String { "cannot write the backup file: \(String(cString: strerror(errno)))" }
    public var isDiskFull: Bool { errno == ENOSPC || errno == EDQUOT }
}
