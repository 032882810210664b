import DataKit
import Foundation
import Testing
@testable import SurveyStats

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

enum Fixture {
    /// Loads `shared/data/survey/<name>` (symlinks resolved so a dev package symlinking the test
    /// directory still finds the repository's data).
    static func table(_ name: String) throws -> CSVTable {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().path
        guard let dir = DataFiles.sharedDataDirectory(from: here) ?? DataFiles.sharedDataDirectory(from: #filePath) else {
            throw FixtureError(description: "shared/data directory not found (set VECHE_SHARED_DATA)")
        }
        return try CSVTable.load(path: dir + "/survey/" + name)
    }
}

extension CSVTable {
    /// Numeric column; empty / "NA" cells become NaN (missing).
    func doubles(_ column: String) -> [Double] {
        rows.map { Double(value($0, column)) ?? .nan }
    }

    func strings(_ column: String) -> [String] {
        rows.map { value($0, column) }
    }
}

/// True when `value` rounds to the number printed by R, i.e. |value − printed| ≤ half a unit in
/// the last printed digit (R prints 5 significant digits by default: "662.29", "9.4089", "114642").
func matchesPrinted(_ value: Double, _ printed: String) -> Bool {
    guard let p = Double(printed) else { return false }
    let decimals = printed.split(separator: ".").dropFirst().first?.count ?? 0
    let halfUnit = 0.5 * pow(10, -Double(decimals))
    return abs(value - p) <= halfUnit * (1 + 1e-9)
}

/// Asserts estimate and SE against R's printed output.
func expectPrinted(_ e: SurveyEstimate, _ estimate: String, _ se: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(matchesPrinted(e.estimate, estimate), "estimate \(e.estimate) vs R \(estimate)", sourceLocation: sourceLocation)
    #expect(matchesPrinted(e.standardError, se), "SE \(e.standardError) vs R \(se)", sourceLocation: sourceLocation)
}
