import Foundation

/// Cuts the plain SQL of a `pg_dump --format=plain` dump, as it streams, into what a parallel
/// restore runs where (``ParallelFeed``): the preamble, the entries of the pre-data section, the
/// COPY blocks of the data section (streamed, never held whole), and the entries of the
/// post-data section. pg_dump heads every entry with a comment naming its type
/// (`-- Name: x; Type: INDEX; …`, `-- Data for Name: x; Type: TABLE DATA; …`) and writes the
/// sections in order; that is all it relies on. A header or a COPY is read only at the top level
/// of the SQL (``SQLLexState``: not inside a string, a dollar-quoted body or a comment); COPY
/// data runs until a line `\.`, and nothing in it is read. Pure: bytes in, ``Piece``s out, in
/// any chunking.
struct DumpSplitter {
    enum Section: Sendable, Equatable {
        /// Before the first entry: `SET`s, `\restrict`, and `--clean`'s `DROP … IF EXISTS`.
        case preamble
        case preData
        /// A data-section entry that is not a COPY block (`SEQUENCE SET`, large objects).
        case data
        /// Post-data, by type: `INDEX` and `CONSTRAINT` build in parallel; the rest after them.
        case postData(type: String)
    }

    enum Piece: Sendable, Equatable {
        /// Whole statements (with their header comments).
        case text(Section, [UInt8])
        /// `COPY <table> (…) FROM stdin;` with the entry's header before it.
        case copyStart(table: String, [UInt8])
        /// Rows of the current COPY block.
        case copyData([UInt8])
        /// The block's `\.` line.
        case copyEnd([UInt8])
    }

    /// The lines of the preamble that set up a session (`SET …`, `SELECT pg_catalog.set_config(…)`,
    /// psql's `\restrict`): every connection of a parallel restore runs them first.
    private(set) var sessionSetup: [UInt8] = []
    private var section = Section.preamble
    private var entryType = ""
    private var text: [UInt8] = []
    /// Bytes of a line not yet complete (outside COPY), or a tail that may begin `\.` (inside).
    private var carry: [UInt8] = []
    private var inCopy = false
    /// Inside COPY: whether the next byte begins a row (or the `\.` line).
    private var copyAtLineStart = true
    private var lexer = SQLLexState()

    private static let endMarker = Array("\\.\n".utf8)
    private static let postDataTypes: Set<String> = [
        "INDEX", "CONSTRAINT", "FK CONSTRAINT", "TRIGGER", "RULE", "INDEX ATTACH", "POLICY", "ROW SECURITY",
        "MATERIALIZED VIEW DATA", "EVENT TRIGGER", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "STATISTICS DATA",
    ]
    private static let dataTypes: Set<String> = ["TABLE DATA", "SEQUENCE SET", "BLOB", "BLOBS", "BLOB METADATA", "LARGE OBJECT"]

    /// The pieces `chunk` completes.
    mutating func feed(_ chunk: [UInt8]) -> [Piece] {
        var pieces: [Piece] = []
        // No copy of the chunk unless a partial line waits for it.
        let bytes = carry.isEmpty ? chunk : carry + chunk
        carry = []
        var start = 0
        while start < bytes.count {
            if inCopy {
                start = copyRows(bytes, from: start, into: &pieces)
                continue
            }
            guard let newline = Self.newline(in: bytes, from: start) else {
                carry = Array(bytes[start...])
                break
            }
            line(Array(bytes[start...newline]), into: &pieces)
            start = newline + 1
        }
        return pieces
    }

    /// The index of the first `\n` at or after `start`: memchr, since COPY rows of thumbnails
    /// are long (a byte-by-byte search was a tenth of a restore's CPU in the agent).
    static func newline(in bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard start < buffer.count, let base = buffer.baseAddress,
                  let found = memchr(base + start, 0x0A, buffer.count - start) else { return nil }
            return base.distance(to: UnsafePointer(found.assumingMemoryBound(to: UInt8.self)))
        }
    }

    /// What is left at the end of the dump.
    mutating func finish() -> [Piece] {
        var pieces: [Piece] = []
        if !carry.isEmpty {
            if inCopy { pieces.append(.copyData(carry)) } else { text += carry }
            carry = []
        }
        flush(into: &pieces)
        return pieces
    }

    /// COPY rows from `start` up to and including the `\.` line, or to where the chunk ends
    /// (holding back a tail that may be the start of `\.`). Returns where line mode goes on.
    private mutating func copyRows(_ bytes: [UInt8], from start: Int, into pieces: inout [Piece]) -> Int {
        var lineStart = start
        if !copyAtLineStart {
            guard let newline = Self.newline(in: bytes, from: start) else {
                pieces.append(.copyData(Array(bytes[start...])))
                return bytes.count
            }
            lineStart = newline + 1
            copyAtLineStart = true
        }
        while true {
            if bytes.count - lineStart < 3 {
                // Too short to tell: `\`, `\.` or nothing waits for the next chunk.
                let tail = Array(bytes[lineStart...])
                if Self.endMarker.starts(with: tail) {
                    if lineStart > start { pieces.append(.copyData(Array(bytes[start..<lineStart]))) }
                    carry = tail
                } else {
                    pieces.append(.copyData(Array(bytes[start...])))
                    copyAtLineStart = bytes.last == UInt8(ascii: "\n")
                }
                return bytes.count
            }
            if bytes[lineStart] == UInt8(ascii: "\\"), bytes[lineStart + 1] == UInt8(ascii: "."), bytes[lineStart + 2] == UInt8(ascii: "\n") {
                if lineStart > start { pieces.append(.copyData(Array(bytes[start..<lineStart]))) }
                pieces.append(.copyEnd(Self.endMarker))
                inCopy = false
                return lineStart + 3
            }
            guard let newline = Self.newline(in: bytes, from: lineStart) else {
                pieces.append(.copyData(Array(bytes[start...])))
                copyAtLineStart = false
                return bytes.count
            }
            lineStart = newline + 1
        }
    }

    private mutating func line(_ line: [UInt8], into pieces: inout [Piece]) {
        guard lexer.atTopLevel else {
            lexer.read(line)
            text += line
            return
        }
        // psql's own commands (`\restrict`) are whole lines: nothing in them opens a string.
        if line.first != UInt8(ascii: "\\") { lexer.read(line) }
        if let type = Self.headerType(line) {
            flush(into: &pieces)
            entryType = type
            if Self.dataTypes.contains(type) {
                if case .postData = section {} else { section = .data }
            } else if Self.postDataTypes.contains(type) {
                section = .postData(type: type)
            } else if case .postData = section {
                section = .postData(type: type)
            } else if section == .preamble {
                section = .preData
            }
            text = line
            return
        }
        if section == .preamble, Self.setsUpSession(line) { sessionSetup += line }
        if entryType == "TABLE DATA", line.starts(with: Array("COPY ".utf8)), line.suffix(13).elementsEqual(Array(" FROM stdin;\n".utf8)) {
            text += line
            pieces.append(.copyStart(table: Self.copyTable(line), text))
            text = []
            inCopy = true
            copyAtLineStart = true
            return
        }
        text += line
    }

    private mutating func flush(into pieces: inout [Piece]) {
        guard !text.isEmpty else { return }
        pieces.append(.text(section, text))
        text = []
    }

    /// `-- Name: x; Type: INDEX; Schema: …` or `-- Data for Name: …; Type: TABLE DATA; …` → the type.
    static func headerType(_ line: [UInt8]) -> String? {
        guard line.starts(with: Array("-- Name: ".utf8)) || line.starts(with: Array("-- Data for Name: ".utf8)) else { return nil }
        let text = String(decoding: line, as: UTF8.self)
        guard let type = text.range(of: "; Type: ") else { return nil }
        let rest = text[type.upperBound...]
        return String(rest[..<(rest.firstIndex(of: ";") ?? rest.firstIndex(of: "\n") ?? rest.endIndex)])
    }

    static func setsUpSession(_ line: [UInt8]) -> Bool {
        line.starts(with: Array("SET ".utf8)) || line.starts(with: Array("SELECT pg_catalog.set_config(".utf8)) || line.starts(with: Array("\\restrict ".utf8))
    }

    /// `COPY public."SM_Project" (…) FROM stdin;` → `public."SM_Project"`.
    static func copyTable(_ line: [UInt8]) -> String {
        qualifiedName(String(decoding: line.dropFirst(5), as: UTF8.self)[...])
    }

    /// The table an index or constraint entry builds on: `CREATE [UNIQUE] INDEX x ON [ONLY] <t> …`,
    /// `ALTER TABLE [ONLY] <t> ADD CONSTRAINT …`; nil when neither is found.
    static func builtOn(_ entry: [UInt8]) -> String? {
        let text = String(decoding: entry, as: UTF8.self)
        if let alter = text.range(of: "ALTER TABLE ONLY ") ?? text.range(of: "ALTER TABLE ") {
            return qualifiedName(text[alter.upperBound...])
        }
        if let index = text.range(of: "INDEX "), let on = text[index.upperBound...].range(of: " ON ") {
            var rest = text[on.upperBound...]
            if rest.hasPrefix("ONLY ") { rest = rest.dropFirst(5) }
            return qualifiedName(rest)
        }
        return nil
    }

    /// The dotted, possibly quoted name at the start of `text` (quotes kept, as pg_dump writes it
    /// everywhere): `public."A b"."c"` up to the first blank, newline or `(` outside quotes.
    static func qualifiedName(_ text: Substring) -> String {
        var name = ""
        var quoted = false
        for character in text {
            if character == "\"" { quoted.toggle() }
            if !quoted, character == " " || character == "\n" || character == "(" { break }
            name.append(character)
        }
        return name
    }
}
