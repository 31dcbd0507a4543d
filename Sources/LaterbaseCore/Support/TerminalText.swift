/// Names (databases, files, projects, folders) as a terminal may show them: every control
/// character — C0 (newline and ESC included), DEL, C1 — and every bidirectional-override
/// character is written visibly as `\u{1B}` (its code point in hex, Swift's notation), so a name
/// can neither move the cursor, clear the screen, set the window title (OSC), break a line, nor
/// reorder the text around it. Everything else, non-ASCII letters included, is left as it is.
public enum TerminalText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Control characters (general category Cc) and the invisible marks that reorder text.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
