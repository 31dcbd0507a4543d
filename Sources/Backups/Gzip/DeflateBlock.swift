import CZlib
import LaterbaseCore

/// How one block of input is deflated.
public enum DeflateStrategy: String, Sendable, Codable, CaseIterable {
    /// zlib's default LZ77 + Huffman at the configured level.
    case standard
    /// Huffman coding only (`Z_HUFFMAN_ONLY`): no match search. On hex text of random bytes,
    /// which dominates a Resolve dump, it reaches the same ~50% as LZ77 many times faster.
    case huffmanOnly
    /// Per block: Huffman-only when the block is mostly hex digits, standard otherwise.
    case adaptive
}

/// One independently compressed piece of a gzip member: raw deflate data that ends on a byte
/// boundary (`Z_SYNC_FLUSH`), plus the CRC-32 and SHA-256 of its input so those can be
/// combined in order. Pure function of its input; safe to run on any thread.
struct DeflateBlock: Sendable {
    let compressed: [UInt8]
    let inputCount: Int
    let crc: UInt
    let inputDigest: [UInt8]
    let usedHuffmanOnly: Bool

    /// Compresses `input`, priming the window with `dictionary` (the previous block's last
    /// 32 KiB) so matches can reach back across the block boundary.
    static func compress(_ input: [UInt8], dictionary: [UInt8], level: Int32, strategy: DeflateStrategy) -> DeflateBlock {
        let huffman: Bool
        switch strategy {
        case .standard: huffman = false
        case .huffmanOnly: huffman = true
        case .adaptive: huffman = HexDetector.isMostlyHex(input)
        }
        var stream = z_stream()
        let status = deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, huffman ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
        defer { deflateEnd(&stream) }
        if !dictionary.isEmpty && !huffman {
            dictionary.withUnsafeBufferPointer { _ = deflateSetDictionary(&stream, $0.baseAddress, uInt($0.count)) }
        }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 16
        var output = [UInt8](repeating: 0, count: bound)
        var produced = 0
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let result = deflate(&stream, Z_SYNC_FLUSH)
                precondition(result == Z_OK && stream.avail_in == 0, "deflate failed: \(result)")
                produced = target.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        let crc = input.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        return DeflateBlock(compressed: output, inputCount: input.count, crc: crc,
                            inputDigest: Digests.sha256(input), usedHuffmanOnly: huffman)
    }
}

/// Decides whether a block is dominated by hex digits (bytea as text in a dump).
enum HexDetector {
    /// True when at least 85% of a sample of the block are `0-9a-f`.
    static func isMostlyHex(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        let step = max(1, bytes.count / 8192)
        var hex = 0
        var seen = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) { hex += 1 }
            seen += 1
            index += step
        }
        return hex * 100 >= seen * 85
    }
}
