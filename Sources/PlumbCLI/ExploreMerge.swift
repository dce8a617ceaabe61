import ArgumentParser
import Explorer
import Foundation

/// `plumb explore merge`: one verdict from the JSON reports of a sharded exploration.
struct ExploreMerge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the JSON reports of the shards of one exploration into one verdict.",
        discussion: """
            Each shard (`plumb explore SYSTEM ... --shard i/n --format json`, or `--shard auto \
            --shards n` in a Kubernetes Indexed Job) explores a disjoint part of the search. \
            The merged verdict is a violation when any shard found one, and exhaustive only when \
            every shard was. Reports are refused (exit 2) when they are of another schema, \
            system, configuration, strategy, search (--no-cache, --no-reduction, --depth) or build \
            (model stamp), or when their shards are not \
            exactly 0..n-1 of one n, each once. States, executions and transitions are summed \
            (a state reached in several shards counts once per shard).

            Examples:
              plumb explore mirror --records 4 --shard 0/2 --format json > shard-0.json
              plumb explore mirror --records 4 --shard 1/2 --format json > shard-1.json
              plumb explore merge shard-*.json
            """)

    @Argument(help: "The shards' JSON reports.")
    var reports: [String]

    @Option(help: "Report format: text (for people) or json (for tools).")
    var format: ExploreOptions.Format = .text

    func validate() throws {
        if reports.isEmpty { throw ValidationError("name the shards' JSON reports") }
    }

    func run() async throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var parts: [(file: String, report: ExploreRunner.JSONReport)] = []
        for file in reports {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw fail("\(file): cannot read: \(error.localizedDescription)")
            }
            do {
                let report = try decoder.decode(ExploreRunner.JSONReport.self, from: data)
                guard report.schemaVersion == ExploreRunner.JSONReport.currentSchema else {
                    throw fail("\(file): schema_version \(report.schemaVersion); this build reads \(ExploreRunner.JSONReport.currentSchema)")
                }
                parts.append((file, report))
            } catch let error as ExitCode {
                throw error
            } catch {
                throw fail("\(file): not a report of `plumb explore --format json`: \(Self.describe(error))")
            }
        }
        let first = parts[0]
        for (file, report) in parts.dropFirst() {
            for (field, mine, theirs) in [
                ("system", report.system, first.report.system),
                ("configuration", report.configuration, first.report.configuration),
                ("strategy", report.strategy, first.report.strategy),
                ("search", report.search ?? "not recorded", first.report.search ?? "not recorded"),
                ("model_stamp", "\(report.modelStamp)", "\(first.report.modelStamp)"),
            ] where mine != theirs {
                throw fail("\(file): \(field) \(mine) differs from \(theirs) in \(first.file): not shards of one exploration")
            }
        }
        var indices: [Int] = []
        var count: Int?
        for (file, report) in parts {
            guard let shard = Shard(parsing: report.shard) else { throw fail("\(file): shard \(report.shard) is not i/n") }
            if let count, count != shard.count {
                throw fail("\(file): shard \(report.shard) is of \(shard.count) parts, the others of \(count)")
            }
            count = shard.count
            indices.append(shard.index)
        }
        let n = count ?? 1
        let missing = (0..<n).filter { !indices.contains($0) }
        let twice = Set(indices.filter { i in indices.filter { $0 == i }.count > 1 }).sorted()
        guard missing.isEmpty, twice.isEmpty else {
            throw fail("the shards are not exactly 0..\(n - 1), each once:"
                       + (missing.isEmpty ? "" : " missing \(missing.map { "\($0)/\(n)" }.joined(separator: ", "))")
                       + (twice.isEmpty ? "" : (missing.isEmpty ? "" : ";") + " given twice \(twice.map { "\($0)/\(n)" }.joined(separator: ", "))"))
        }

        let all = parts.map(\.report)
        // One counterexample found by several shards (the canonical one, say) is listed once.
        var tokens = Set<String>()
        let violations = all.flatMap(\.violations).filter { tokens.insert($0.token).inserted }
        let violation = all.contains { $0.verdict == ExplorationReport.Verdict.violation.rawValue }
        let merged = Merged(
            schemaVersion: ExploreRunner.JSONReport.currentSchema, modelStamp: first.report.modelStamp,
            system: first.report.system, configuration: first.report.configuration, strategy: first.report.strategy,
            shards: n, verdict: violation ? "violation" : "pass",
            exhaustive: all.allSatisfy(\.exhaustive) && !violation,
            states: all.reduce(0) { $0 + $1.states }, executions: all.reduce(0) { $0 + $1.executions },
            transitions: all.reduce(0) { $0 + $1.transitions }, violations: violations,
            crashStates: CrashStatesReport.merged(all.compactMap(\.crashStates)), from: FromReport.merged(all.compactMap(\.from)))
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(merged), as: UTF8.self))
        case .text:
            print("merged \(n) shard\(n == 1 ? "" : "s") of explore \(merged.system) [\(merged.configuration)] strategy \(merged.strategy)")
            print("verdict: \(violation ? "VIOLATION" : "pass")   exhaustive: \(merged.exhaustive)")
            print("states: \(merged.states) (summed over shards)   executions: \(merged.executions)   transitions: \(merged.transitions)")
            let cut = parts.filter { !$0.report.exhaustive && $0.report.verdict == "pass" }.map { "\($0.report.shard) (\($0.file))" }
            if !cut.isEmpty { print("not exhaustive in " + cut.joined(separator: ", ") + " (see each one's report)") }
            // Counts summed over the shards; the largest crash point is the largest of any shard.
            for line in merged.from?.lines ?? [] { print(line) }
            for line in merged.crashStates?.lines ?? [] { print(line) }
            for found in merged.violations {
                print("")
                print("violation of \(found.invariant): \(found.message)")
                if !found.trace.isEmpty { print("trace: \(found.trace)") }
                print("replay: plumb replay \(found.token)")
            }
        }
        if violation { throw ExitCode(1) }
    }

    /// The merged report.
    struct Merged: Encodable {
        var schemaVersion: Int
        var modelStamp: UInt32
        var system: String
        var configuration: String
        var strategy: String
        var shards: Int
        var verdict: String
        var exhaustive: Bool
        var states: Int
        var executions: Int
        var transitions: Int
        var violations: [ExploreRunner.Found]
        /// The driver's crash states, summed over the shards (`CrashStatesReport.merged`).
        var crashStates: CrashStatesReport?
        /// With --from: the trace and its crash points covered, summed over the shards.
        var from: FromReport?
    }

    /// Prints `message` and returns exit code 2 (bad input) to throw.
    func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("plumb explore merge: \(message)\n".utf8))
        return ExitCode(2)
    }

    /// A key as the report spells it (`modelStamp` is `model_stamp` there).
    static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }

    /// A decoding error in a line: which field, what was wrong.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case let .keyNotFound(key, _): return "field \(snakeCase(key.stringValue)) is missing"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            let path = context.codingPath.map { snakeCase($0.stringValue) }.joined(separator: ".")
            return (path.isEmpty ? "" : "field \(path): ") + context.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
