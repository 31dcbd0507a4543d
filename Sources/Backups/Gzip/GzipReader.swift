import CZlib
import Crypto
import Foundation
import LaterbaseCore

/// Streams a `.gz` file through zlib's inflate (every member, CRC-32 and length checked by
/// zlib), handing the decompressed bytes to a handler, while hashing the compressed bytes with
/// SHA-256. Used by `verify` (full decode) and `restore` (decode into psql).
public enum GzipReader {
    /// What reading the whole file found.
    public struct Result: Sendable, Equatable {
        public let sha256: String
        public let compressedBytes: Int64
        public let rawBytes: Int64
    }

    /// Reads `path` to the end. Throws ``GzipReadError`` when the file is not a complete, valid
    /// gzip stream; whatever `onData` throws stops the read.
    public static func read(_ path: String, chunkSize: Int = 1 << 20,
                            onData: ([UInt8]) async throws -> Void = { _ in }) async throws -> Result {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw GzipReadError(path: path, problem: "cannot be opened")
        }
        defer { try? handle.close() }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipReadError(path: path, problem: "could not start zlib")
        }
        defer { inflateEnd(&stream) }
        var hasher = SHA256()
        var compressed: Int64 = 0
        var raw: Int64 = 0
        var output = [UInt8](repeating: 0, count: chunkSize * 4)
        var atStreamEnd = false
        while true {
            let input = try handle.read(upToCount: chunkSize) ?? Data()
            if input.isEmpty { break }
            hasher.update(data: input)
            compressed += Int64(input.count)
            var bytes = [UInt8](input)
            var offset = 0
            var outputFull = false
            // Loop while input remains or zlib filled the output (it may hold more for us).
            while offset < bytes.count || outputFull {
                if atStreamEnd && offset < bytes.count {
                    // Another gzip member follows (concatenated .gz files are valid gzip).
                    guard inflateReset(&stream) == Z_OK else { throw GzipReadError(path: path, problem: "could not reset zlib") }
                    atStreamEnd = false
                }
                var produced = 0
                var status: Int32 = Z_OK
                bytes.withUnsafeMutableBufferPointer { source in
                    output.withUnsafeMutableBufferPointer { target in
                        stream.next_in = source.baseAddress! + offset
                        stream.avail_in = uInt(source.count - offset)
                        stream.next_out = target.baseAddress
                        stream.avail_out = uInt(target.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        produced = target.count - Int(stream.avail_out)
                        offset = source.count - Int(stream.avail_in)
                    }
                }
                guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && (produced > 0 || offset == bytes.count)) else {
                    throw GzipReadError(path: path, problem: "is corrupt at byte \(compressed - Int64(bytes.count - offset)) (zlib: \(stream.msg.map { String(cString: $0) } ?? String(cString: zError(status))))")
                }
                if produced > 0 {
                    raw += Int64(produced)
                    try await onData(Array(output[0..<produced]))
                }
                outputFull = produced == output.count
                if status == Z_STREAM_END { atStreamEnd = true; outputFull = false }
            }
            bytes.removeAll()
        }
        guard atStreamEnd else {
            throw GzipReadError(path: path, problem: "is truncated (the gzip stream does not end); the backup is incomplete")
        }
        return Result(sha256: Digests.hex(hasher.finalize()), compressedBytes: compressed, rawBytes: raw)
    }
}

/// A `.gz` file that cannot be read completely.
public struct GzipReadError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String
    public var description: String { "\(path) \(problem)" }
}
