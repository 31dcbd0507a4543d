/// A WAL segment file name: `000000010000000A00000042` (timeline, then the segment number in
/// two 8-digit hex halves), with `.partial` for the one pg_receivewal is still writing.
/// Pure; the segment number depends on the server's `wal_segment_size`.
public struct WalSegment: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let timeline: UInt32
    /// The segment number: the LSN divided by the segment size.
    public let number: UInt64
    public let segmentSize: UInt64

    public init(timeline: UInt32, number: UInt64, segmentSize: UInt64) {
        self.timeline = timeline
        self.number = number
        self.segmentSize = segmentSize
    }

    /// The segment holding `lsn`.
    public init(timeline: UInt32, lsn: UInt64, segmentSize: UInt64) {
        self.init(timeline: timeline, number: lsn / segmentSize, segmentSize: segmentSize)
    }

    /// Parses a 24-hex-digit name, with or without `.partial`; nil for anything else
    /// (`.history` files, `.lock`, temporary files).
    public init?(fileName: String, segmentSize: UInt64) {
        let base = fileName.hasSuffix(".partial") ? String(fileName.dropLast(8)) : fileName
        guard base.utf8.count == 24, base.allSatisfy(\.isHexDigit), segmentSize > 0,
              let timeline = UInt32(base.prefix(8), radix: 16),
              let high = UInt64(base.dropFirst(8).prefix(8), radix: 16),
              let low = UInt64(base.suffix(8), radix: 16) else { return nil }
        let perLogFile = 0x1_0000_0000 / segmentSize
        guard low < perLogFile else { return nil }
        self.init(timeline: timeline, number: high * perLogFile + low, segmentSize: segmentSize)
    }

    /// Whether `fileName` is a `.partial` segment.
    public static func isPartial(_ fileName: String) -> Bool { fileName.hasSuffix(".partial") }

    /// The 24-hex-digit name (without `.partial`).
    public var name: String {
        let perLogFile = 0x1_0000_0000 / segmentSize
        return Self.hex(UInt64(timeline)) + Self.hex(number / perLogFile) + Self.hex(number % perLogFile)
    }

    public var description: String { name }

    /// Segments order by number, then timeline.
    public static func < (a: WalSegment, b: WalSegment) -> Bool {
        (a.number, a.timeline) < (b.number, b.timeline)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
