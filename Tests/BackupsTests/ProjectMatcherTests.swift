import Backups
import Testing

@Suite("one project-name matcher for every search")
struct ProjectMatcherTests {
    @Test("contains, in any case; exact names first; spaces around the query ignored; empty matches nothing",
          arguments: [
              ("spot", ["Client spot", "Spot 2", "Trailer", "SPOT"], ["SPOT", "Client spot", "Spot 2"]),
              (" spot 2 ", ["Spot 20", "Spot 2", "spot 1"], ["Spot 2", "Spot 20"]),
              ("café", ["Café 東京", "Cafe"], ["Café 東京"]),
              ("", ["Spot"], []),
              ("nope", ["Spot"], []),
          ])
    func select(query: String, names: [String], expected: [String]) {
        #expect(ProjectMatcher(query).select(names, name: { $0 }) == expected)
    }
}
