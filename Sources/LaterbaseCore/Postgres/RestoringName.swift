import Foundation

/// The name a restore builds a library under until it is complete (`laterbase_restoring_<id>`):
/// the Restore module makes and drops such databases, and a backup pass never takes one for a
/// library. One rule for both.
public enum RestoringName {
    public static let prefix = "laterbase_restoring_"
    /// A `LIKE` pattern for every such name (the underscores escaped), to pass as a parameter.
    public static let likePattern = #"laterbase\_restoring\_%"#

    /// A new, unused-looking working name.
    public static func make() -> String { prefix + UUID().uuidString.prefix(8).lowercased() }
}
