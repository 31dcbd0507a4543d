import Foundation

/// A project's name and folder.
struct ProjectKey: Hashable, Sendable {
    let name: String
    let folder: String
}

/// Every project name and folder the catalogs hold, each stored once however many backups hold
/// it; a catalog in ``CatalogIndex`` refers to them by number.
struct ProjectKeys: Sendable {
    private var keys: [ProjectKey] = []
    private var numbers: [ProjectKey: Int32] = [:]

    var count: Int { keys.count }

    func key(_ number: Int32) -> ProjectKey { keys[Int(number)] }

    /// The number of `key`, given one when it is new.
    mutating func number(_ key: ProjectKey) -> Int32 {
        if let number = numbers[key] { return number }
        let number = Int32(keys.count)
        keys.append(key)
        numbers[key] = number
        return number
    }

    /// `project` as a catalog of the index keeps it.
    mutating func entry(_ project: ResolveProject) -> CatalogIndex.Entry {
        CatalogIndex.Entry(key: number(ProjectKey(name: project.name, folder: project.folder)),
                           saved: project.lastModified?.timeIntervalSince1970 ?? .nan)
    }
}
