import Foundation
@testable import Restore
import Testing

/// The cut of a plain dump into what a parallel restore runs where: lossless in any chunking,
/// never inside a string, a function body or COPY data.
@Suite("dump splitter (pure)")
struct DumpSplitterTests {
    static let dump = #"""
        --
        -- PostgreSQL database dump
        --

        \restrict abc123
        SET statement_timeout = 0;
        SELECT pg_catalog.set_config('search_path', '', false);
        DROP TABLE IF EXISTS public.child;

        --
        -- Name: sneaky(); Type: FUNCTION; Schema: public; Owner: postgres
        --

        CREATE FUNCTION public.sneaky() RETURNS text
            LANGUAGE sql
            AS $_$SELECT '
        -- Name: fake; Type: INDEX; Schema: public; Owner: postgres
        COPY public.fake (x) FROM stdin;
        '::text$_$;

        --
        -- Name: child; Type: TABLE; Schema: public; Owner: postgres
        --

        CREATE TABLE public.child (
            id integer NOT NULL,
            "odd ""name""" text
        );
        COMMENT ON TABLE public.child IS 'a comment /* not a comment
        -- Name: fake2; Type: INDEX; Schema: public; Owner: postgres
        ';

        --
        -- Data for Name: child; Type: TABLE DATA; Schema: public; Owner: postgres
        --

        COPY public.child (id, "odd ""name""") FROM stdin;
        1	\\.
        2	-- Name: x; Type: INDEX; Schema: public; Owner: postgres
        3	\.x
        \.


        --
        -- Name: seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
        --

        SELECT pg_catalog.setval('public.seq', 42, true);

        --
        -- Name: child child_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.child
            ADD CONSTRAINT child_pkey PRIMARY KEY (id);

        --
        -- Name: child_odd; Type: INDEX; Schema: public; Owner: postgres
        --

        CREATE INDEX child_odd ON public.child USING btree ("odd ""name""");

        --
        -- Name: child child_parent_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
        --

        ALTER TABLE ONLY public.child
            ADD CONSTRAINT child_parent_fkey FOREIGN KEY (id) REFERENCES public.child(id);

        --
        -- PostgreSQL database dump complete
        --

        \unrestrict abc123

        """#

    static func kind(_ piece: DumpSplitter.Piece) -> String {
        switch piece {
        case .text(let section, _): "text \(section)"
        case .copyStart(let table, _): "copyStart \(table)"
        case .copyData: "copyData"
        case .copyEnd: "copyEnd"
        }
    }

    static func bytes(_ piece: DumpSplitter.Piece) -> [UInt8] {
        switch piece {
        case .text(_, let bytes), .copyStart(_, let bytes), .copyData(let bytes), .copyEnd(let bytes): bytes
        }
    }

    /// The pieces of `input` cut into chunks of `size`, neighbouring pieces of the same kind merged
    /// (COPY rows come in as many pieces as chunks).
    static func split(_ input: [UInt8], chunk size: Int) -> (pieces: [(String, [UInt8])], setup: [UInt8]) {
        var splitter = DumpSplitter()
        var pieces: [DumpSplitter.Piece] = []
        var start = 0
        while start < input.count {
            pieces += splitter.feed(Array(input[start..<min(input.count, start + size)]))
            start += size
        }
        pieces += splitter.finish()
        var merged: [(String, [UInt8])] = []
        for piece in pieces {
            if Self.kind(piece) == "copyData", merged.last?.0 == "copyData" {
                merged[merged.count - 1].1 += Self.bytes(piece)
            } else {
                merged.append((Self.kind(piece), Self.bytes(piece)))
            }
        }
        return (merged, splitter.sessionSetup)
    }

    @Test("sections, COPY blocks and session setup; headers inside a body, a string or COPY rows are not entries")
    func sections() {
        let input = Array(Self.dump.utf8)
        let (pieces, setup) = Self.split(input, chunk: input.count)
        #expect(pieces.map(\.0) == [
            "text preamble", "text preData", "text preData", "copyStart public.child", "copyData", "copyEnd", "text data", "text data",
            "text postData(type: \"CONSTRAINT\")", "text postData(type: \"INDEX\")", "text postData(type: \"FK CONSTRAINT\")",
        ], "\(pieces.map(\.0))")
        #expect(String(decoding: setup, as: UTF8.self) == "\\restrict abc123\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n")
        #expect(pieces.flatMap(\.1) == input)
        let rows = String(decoding: pieces[4].1, as: UTF8.self)
        #expect(rows.hasPrefix("1\t\\\\.\n2\t-- Name:") && rows.hasSuffix("3\t\\.x\n"), "\(rows)")
        #expect(DumpSplitter.builtOn(pieces[8].1) == "public.child")
        #expect(DumpSplitter.builtOn(pieces[9].1) == "public.child")
        #expect(DumpSplitter.copyTable(Array("COPY public.\"SM Project\" (a) FROM stdin;\n".utf8)) == "public.\"SM Project\"")
    }

    @Test("any chunking gives the same pieces and loses no byte", arguments: [1, 2, 3, 4, 5, 7, 11, 64, 1000])
    func chunkings(size: Int) {
        let input = Array(Self.dump.utf8)
        let whole = Self.split(input, chunk: input.count)
        let cut = Self.split(input, chunk: size)
        #expect(cut.pieces.map(\.0) == whole.pieces.map(\.0))
        #expect(cut.pieces.map(\.1) == whole.pieces.map(\.1))
        #expect(cut.setup == whole.setup)
    }

    @Test("the SQL lexer: strings, E-strings, quoted names, dollar quotes with tags, nested block comments, $1")
    func lexer() {
        func ends(_ lines: [String]) -> Bool {
            var state = SQLLexState()
            for line in lines { state.read(Array((line + "\n").utf8)) }
            return state.atTopLevel
        }
        #expect(ends(["SELECT 'it''s', \"a \"\"b\"\"\" FROM t;"]))
        #expect(!ends(["SELECT 'open"]))
        #expect(ends(["SELECT E'\\'', 'x\\';"]))
        #expect(!ends(["CREATE FUNCTION f() AS $body$ SELECT $$x$$;", "-- Name: fake; Type: INDEX"]))
        #expect(ends(["CREATE FUNCTION f() AS $body$ SELECT $$x$$;", "$body$;"]))
        #expect(ends(["SELECT $1, a$b$c FROM t; -- ' not a string"]))
        #expect(!ends(["/* a /* nested */ still"]))
        #expect(ends(["/* a /* nested */ still */ SELECT 1;"]))
    }
}
