/// Rows of a result in text format, copied out of libpq so the `PGresult` can be freed at once.
public struct QueryResult: Sendable, Equatable {
    public let columns: [String]
    /// One array per row; `nil` is SQL NULL.
    public let rows: [[String?]]
    /// The command tag's row count (`INSERT 0 3` → 3), when the statement reports one.
    public let affectedRows: Int?

    public init(columns: [String], rows: [[String?]], affectedRows: Int? = nil) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    /// The value in `row` of the column called `name`, nil for NULL or an unknown column.
    public func value(_ row: Int, _ name: String) -> String? {
        guard let index = columns.firstIndex(of: name), rows.indices.contains(row) else { return nil }
        return rows[row][index]
    }

    /// The first column of the first row: handy for `SELECT count(*)`-style queries.
    public var scalar: String? { rows.first?.first ?? nil }
}
