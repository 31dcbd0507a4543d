import Foundation

/// NUL-terminated copies of Swift strings behind a NULL-terminated pointer array, freed on
/// release. `nil` elements become NULL pointers (SQL NULL for parameters).
final class CStringArray {
    private let count: Int
    /// Valid while this object lives.
    let pointers: UnsafeMutablePointer<UnsafePointer<CChar>?>

    init(_ strings: [String?]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            pointers[index] = string.flatMap { UnsafePointer(strdup($0)) }
        }
        pointers[strings.count] = nil
    }

    convenience init(_ strings: [String]) { self.init(strings.map(Optional.some)) }

    deinit {
        for index in 0..<count { free(UnsafeMutablePointer(mutating: pointers[index])) }
        pointers.deallocate()
    }
}
