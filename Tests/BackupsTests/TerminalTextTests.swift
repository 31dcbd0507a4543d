@testable import LaterbaseCore
import Testing

@Suite("TerminalText")
struct TerminalTextTests {
    @Test("control characters, DEL, C1 and bidi overrides are escaped; other text is kept")
    func escapes() {
        #expect(TerminalText.escaped("Spot 1 O'Brien – Café 東京") == "Spot 1 O'Brien – Café 東京")
        #expect(TerminalText.escaped("a\u{1B}[2Jb\nc\r\td") == #"a\u{1B}[2Jb\u{A}c\u{D}\u{9}d"#)
        #expect(TerminalText.escaped("\u{7F}\u{9B}31m") == #"\u{7F}\u{9B}31m"#)
        #expect(TerminalText.escaped("abc\u{202E}txt.exe") == #"abc\u{202E}txt.exe"#)
        #expect(TerminalText.escaped("") == "")
    }
}
