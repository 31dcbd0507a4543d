/// The metadata keys Laterbase logs with, in one place so that log queries stay stable.
public enum LogKey {
    public static let database = "db"
    public static let file = "file"
    public static let host = "host"
    public static let error = "error"
    public static let tool = "tool"
    public static let bytes = "bytes"
    public static let seconds = "seconds"
    public static let slot = "slot"
    public static let path = "path"
}
