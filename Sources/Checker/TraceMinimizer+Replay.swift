import Specs
import Trace

// The minimizer's candidate check: the graph engine on events held in memory, and the one Z3
// check of the result.
extension TraceMinimizer {
    /// The violations the graph engine finds in the events at `indices` (ascending, so in a
    /// linearization of happens-before, and closed under causes), replayed through the spec
    /// exactly as `Checker` replays a file, without the solver.
    func replay(_ indices: [Int]) -> [Violation] {
        let sink = CheckSink(engine: nil, timeout: .seconds(1), window: 4096)
        switch system {
        case .mirror: replay(MirrorSpec.self, indices, sink)
        case .driver: replay(DriverSpec.self, indices, sink)
        case .recovery: replay(RecoverySpec.self, indices, sink)
        }
        return sink.violations
    }

    private func replay<S: Spec>(_: S.Type, _ indices: [Int], _ sink: CheckSink) {
        var spec = S()
        for i in indices {
            let event = entries[i].event
            sink.clocks.add(node: event.node, seq: event.seq, causes: event.causes)
            let kept = sink.violations.count
            spec.observe(event, sink: sink)
            if sink.violations.count != kept { sink.decided(by: event, since: kept) }
        }
        sink.finishing = true
        spec.finish(sink: sink)
    }

    /// Checks a minimized trace once with Z3 (the engine of record), as `plumb check` would;
    /// `confirms(_:invariant:)` says whether it still fails the same way.
    package static func confirm(file: String, allowTruncated: Bool, timeout: Duration = .seconds(30)) -> CheckReport {
        var options = Checker.Options()
        options.allowTruncated = allowTruncated
        options.solverTimeout = timeout
        return Checker(options: options).check(files: [file])
    }

    /// Whether `report` (of a minimized trace) fails with `result`'s invariant.
    package static func confirms(_ report: CheckReport, _ result: Result) -> Bool {
        report.verdict == .fail && report.violations.contains { $0.invariant == result.invariant }
    }
}
