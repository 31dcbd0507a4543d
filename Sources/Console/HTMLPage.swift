import Foundation
import HTTPTypes
import Hummingbird
import LaterbaseCore

/// Server-rendered pages: one layout, escaped text, no script. Every value from a library,
/// a file or a form goes through ``escape(_:)``.
enum HTMLPage {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `?a=b` query values.
    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// A page in the console's layout. `refresh` (seconds) makes the browser reload it by itself.
    static func response(title: String, body: String, session: ConsoleSessions.Session?, refresh: Int? = nil,
                         status: HTTPResponse.Status = .ok) -> Response {
        let refreshTag = refresh.map { #"<meta http-equiv="refresh" content="\#($0)">"# } ?? ""
        let logout = session.map {
            #"<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="\#($0.csrf)"><button>Log out</button></form>"#
        } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title)) · Laterbase</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">\(refreshTag)
            <style>\(style)</style></head>
            <body><header><strong>Laterbase</strong>
            <nav><a href="/">Overview</a><a href="/search">Find a project</a><a href="/jobs">Restore job</a></nav>\(logout)</header>
            <main><h1>\(escape(title))</h1>
            \(body)
            </main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A hidden CSRF field for a form of `session`.
    static func csrfField(_ session: ConsoleSessions.Session?) -> String {
        #"<input type="hidden" name="csrf" value="\#(session?.csrf ?? "")">"#
    }

    /// `2026-11-24 14:34:59 CET`, in the agent's `TZ`.
    static func time(_ date: Date?, zone: TimeZone) -> String {
        guard let date else { return "—" }
        // Foundation names UTC "GMT"; an engineer who set TZ=UTC should read UTC.
        let formatter = UTCFormat.formatter(zone.secondsFromGMT() == 0 && ["UTC", "GMT", "Etc/UTC"].contains(zone.identifier)
                                            ? "yyyy-MM-dd HH:mm:ss 'UTC'" : "yyyy-MM-dd HH:mm:ss zzz")
        formatter.timeZone = zone
        return escape(formatter.string(from: date))
    }

    /// "42 s", "17 min", "3 h 5 min", "2 d 4 h".
    static func age(_ seconds: TimeInterval) -> String {
        let s = Int(max(0, seconds))
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" }
        if s < 172_800 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        return "\(s / 86400) d \(s % 86400 / 3600) h"
    }

    /// `30.9 MB`; `0 bytes` (Foundation would say "Zero KB").
    static func bytes(_ count: Int64) -> String {
        count == 0 ? "0 bytes" : ByteCountFormatter.string(fromByteCount: count, countStyle: .decimal)
    }

    private static let style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
        header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1d2330;color:#fff}
        header a{color:#cfe0ff;margin-right:1em}.inline{display:inline;margin-left:auto}
        main{padding:1em 1.5em;max-width:70em}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
        table{border-collapse:collapse;background:#fff;width:100%}th,td{padding:.35em .6em;border-bottom:1px solid #e3e6eb;text-align:left;vertical-align:top}
        th{background:#eef1f5}.ok{color:#16794a}.bad{color:#b42318;font-weight:600}.muted{color:#667085}
        .box{background:#fff;padding:.8em 1em;border:1px solid #e3e6eb;margin:.8em 0}
        progress{width:100%;height:1.4em}input[type=text],input[type=password],input[type=search]{padding:.3em;min-width:20em}
        button{padding:.3em .9em}form.row{display:inline}
        """
}
