import Foundation
import XCTest

/// Without `-target-cpu` on x86-64, `SIMD.addingProduct` becomes a libm call per lane and every
/// kernel runs ~100× slower while staying correct — so no numeric test would notice. This test reads
/// the manifest instead (and `aepo bench` warns when the measured GEMM rate is implausibly low).
final class BuildSettingsTests: XCTestCase {
    static let manifest = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Package.swift")

    /// What is wrong with a manifest's CPU settings, empty when nothing is.
    static func problems(in text: String) -> [String] {
        var problems: [String] = []
        if let x86 = text.range(of: "#if arch(x86_64)"),
           let end = text.range(of: "#endif", range: x86.upperBound..<text.endIndex) {
            let branch = text[x86.upperBound..<end.lowerBound].components(separatedBy: "#else")[0]
            let cpus = ["haswell", "x86-64-v3", "x86-64-v4", "znver3", "znver4", "skylake"]
            if !branch.contains("\"-target-cpu\"") || !cpus.contains(where: { branch.contains("\"\($0)\"") }) {
                problems.append("the x86-64 branch does not pass -target-cpu with an FMA-capable CPU")
            }
        } else {
            problems.append("no `#if arch(x86_64)` … `#endif` block")
        }
        if text.range(of: #"let settings: \[SwiftSetting\] = cpuSettings"#, options: .regularExpression) == nil {
            problems.append("`settings` does not include `cpuSettings`")
        }
        var targets = 0
        for kind in [".target(", ".executableTarget(", ".testTarget("] {
            var searchStart = text.startIndex
            while let open = text.range(of: kind, range: searchStart..<text.endIndex) {
                // The target's argument list: up to the matching closing parenthesis.
                var depth = 1
                var index = open.upperBound
                while depth > 0 && index < text.endIndex {
                    if text[index] == "(" { depth += 1 } else if text[index] == ")" { depth -= 1 }
                    index = text.index(after: index)
                }
                let declaration = text[open.lowerBound..<index]
                // The AVX-512 tile's module alone is compiled for AVX-512.
                let avx512Module = declaration.contains("\"AEPOKernelsAVX512\"") && declaration.contains("swiftSettings: avx512Settings")
                if !declaration.contains("swiftSettings: settings") && !avx512Module {
                    problems.append("missing `swiftSettings: settings` in \(declaration)")
                }
                targets += 1
                searchStart = index
            }
        }
        if targets == 0 { problems.append("no targets found") }
        if let avx512 = text.range(of: "let avx512Settings: [SwiftSetting] = ["),
           !text[avx512.upperBound...].prefix(while: { $0 != "]" }).contains("\"skylake-avx512\"") {
            problems.append("the AVX-512 module is not compiled for an AVX-512 CPU")
        }
        return problems
    }

    func testManifestBuildsX86WithFusedMultiplyAdd() throws {
        let text = try String(contentsOf: Self.manifest, encoding: .utf8)
        XCTAssertEqual(Self.problems(in: text), [])
        // The check itself notices a lost flag or a target without the settings.
        XCTAssertEqual(Self.problems(in: text.replacingOccurrences(of: "\"-target-cpu\", \"haswell\"", with: "")).count, 1)
        XCTAssertEqual(Self.problems(in: text.replacingOccurrences(of: "\"haswell\"", with: "\"x86-64\"")).count, 1)
        let firstTarget = try XCTUnwrap(text.range(of: ", swiftSettings: settings)"))
        XCTAssertEqual(Self.problems(in: text.replacingCharacters(in: firstTarget, with: ")")).count, 1)
        XCTAssertEqual(Self.problems(in: text.replacingOccurrences(of: "\"skylake-avx512\"", with: "\"haswell\"")).count, 1)
        XCTAssertEqual(Self.problems(in: text.replacingOccurrences(of: "name: \"AEPOKernelsAVX512\"", with: "name: \"Other\"")).count, 1)
    }
}
