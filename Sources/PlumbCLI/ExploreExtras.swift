import Checker
import Foundation
import Trace

/// What `plumb explore` does with each counterexample trace once it is written, beyond writing
/// it: `--minimize` writes the smallest trace that still fails beside it, `--html` draws the
/// first one. Made from the command line by `ExploreRunner`, which hands it each trace it
/// writes, in order.
struct ExploreExtras {
    /// Where the first counterexample's page goes, if anywhere.
    var html: String?
    /// Whether to minimize each counterexample of a trace invariant.
    var minimize = false
    /// Whether the page was written already.
    private var htmlWritten = false
    /// The counterexample traces (and minimized ones) written so far: the page must not
    /// replace one of them.
    private var written: [String] = []

    /// Extras as the options ask.
    init(html: String?, minimize: Bool) {
        self.html = html
        self.minimize = minimize
    }

    /// After the counterexample trace `path` breaking `invariant` was written: minimizes it to
    /// `NAME.min.jsonl` beside it when it is a trace that `plumb check` rejects with that
    /// invariant (a check of the explorer's own keeps its shrunk path only), and draws it, with
    /// the explorer's `message` and schedule `steps`, when it is the first. What cannot be done
    /// is said on standard error; the trace stays.
    mutating func process(path: String, invariant: String, message: String, steps: [String]) {
        let html = htmlWritten ? nil : self.html
        if html != nil { htmlWritten = true }
        func say(_ text: String) { FileHandle.standardError.write(Data("plumb explore: \(text)\n".utf8)) }
        if minimize {
            let out = String(path.dropLast(".jsonl".count)) + ".min.jsonl"
            do {
                let minimizer = try TraceMinimizer(files: [path])
                let result = try minimizer.minimize(invariantNamed: invariant)
                try OutputError.write(Data(result.bytes), to: out)
                written.append(out)
                let confirmed = TraceMinimizer.confirms(TraceMinimizer.confirm(file: out, allowTruncated: false), result)
                say("minimized \(path) to \(out): kept \(result.keptEvents) of \(result.originalEvents) events; it still breaks "
                    + "\(invariant)\(confirmed ? " (confirmed by z3)" : " (NOT confirmed by z3: please report this)")")
            } catch TraceMinimizer.Failure.passes {
                say("\(path) is not minimized: \(invariant) is a check of the explorer, which the trace does not show")
            } catch {
                say("\(path) is not minimized: \(error)")
            }
        }
        written.append(path)
        if let html, let target = OutputError.identity(of: html),
           let clash = written.first(where: { OutputError.identity(of: $0).map { $0 == target } ?? false }) {
            say("--html: nothing written to \(html): it is the counterexample trace \(clash) just written; name another file")
        } else if let html {
            do {
                let report = Checker().check(files: [path])
                try HTMLOutput.write(report, to: html) { page in
                    page.title = "plumb explore"
                    page.context = ["the first counterexample: \(path)", "violation of \(invariant): \(message)"]
                    if !report.violations.contains(where: { $0.invariant.rawValue == invariant }) {
                        page.otherViolation = .init(invariant: invariant, message: message)
                    }
                    page.schedule = steps
                }
                say("HTML report of the first counterexample written to \(html)")
            } catch {
                say("\(error)")
            }
        }
    }
}
