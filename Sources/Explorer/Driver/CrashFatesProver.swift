import Driver
import Trace
import Z3

/// Z3 on the one question about undecided crash states that covers a whole class at once:
/// does *some* fate assignment that the domains and every read so far allow give one of the
/// `bad` sector sources (a content the model forbids)? UNSAT proves every remaining image
/// right in one query, however many assignments remain; SAT gives an assignment, a concrete
/// counterexample image.
///
/// The encoding: one integer `t_w` per undecided write (the sectors of it kept); its domain
/// and every constraint's boxes as disjunctions of intervals; the goal as the disjunction of
/// the bad sources' boxes. Solvers are reused with push/pop (Z3 contexts are not thread-safe:
/// a solver is checked out by one thread at a time from a pool), and every query's answer and
/// time are tallied (`Tally`).
package final class CrashFatesProver: @unchecked Sendable {
    /// The answer to one question.
    package enum Answer: Sendable, Equatable {
        /// No allowed assignment gives a bad source: the class is closed.
        case unsat
        /// This assignment (one value per write) gives one.
        case sat([Int])
        /// Z3 gave up (then the caller answers by backtracking in Swift).
        case unknown(String)
    }

    /// What the prover answered so far.
    package struct Tally: Sendable, Equatable {
        /// Queries asked.
        package var queries = 0
        /// Of them, answered UNSAT (a class closed).
        package var unsat = 0
        /// Answered SAT (a counterexample).
        package var sat = 0
        /// Answered unknown.
        package var unknown = 0
        /// Wall seconds in Z3 (building terms and checking).
        package var seconds = 0.0

        /// Nothing answered.
        package init() {}
    }

    /// The prover the simulations share.
    package static let shared = CrashFatesProver()

    /// One solver, owned by whichever thread checked it out.
    private final class Slot: @unchecked Sendable {
        let context = Z3Context()
        lazy var solver = Z3Solver(context: context)
    }

    private let free = Locked<[Slot]>([])
    private let tallied = Locked(Tally())

    /// A prover with no solver made yet.
    package init() {}

    /// What it answered so far.
    package var tally: Tally { tallied.withLock { $0 } }

    /// Whether some assignment `fates` allows gives one of `bad` (sources from
    /// `CrashFates.sources(ofSector:)`).
    package func someAllowed(_ fates: CrashFates, gives bad: [CrashFates.Source]) -> Answer {
        let clock = ContinuousClock()
        let started = clock.now
        let slot = free.withLock { $0.popLast() } ?? Slot()
        defer { free.withLock { $0.append(slot) } }
        let answer = ask(slot, fates, bad)
        let seconds = (clock.now - started).seconds
        tallied.withLock { tally in
            tally.queries += 1
            tally.seconds += seconds
            switch answer {
            case .unsat: tally.unsat += 1
            case .sat: tally.sat += 1
            case .unknown: tally.unknown += 1
            }
        }
        return answer
    }

    private func ask(_ slot: Slot, _ fates: CrashFates, _ bad: [CrashFates.Source]) -> Answer {
        let z = slot.context
        let solver = slot.solver
        let t = fates.writes.indices.map { z.intConstant("t\($0)") }
        func member(_ w: Int, _ mask: UInt64) -> Z3Term {
            z.or(Self.intervals(mask).map { run in t[w] >= run.lowerBound && t[w] <= run.upperBound - 1 })
        }
        solver.push()
        defer { solver.pop() }
        for (w, write) in fates.writes.enumerated() { solver.assert(member(w, write.domain)) }
        for constraint in fates.constraints {
            solver.assert(z.or(constraint.boxes.map { box in
                z.and(constraint.writes.enumerated().map { j, w in member(w, box[j]) })
            }))
        }
        solver.assert(z.or(bad.map { source in
            z.and(source.writes.enumerated().map { j, w in member(w, source.masks[j]) })
        }))
        do {
            switch try solver.check() {
            case .unsat:
                return .unsat
            case let .sat(model):
                return .sat(t.map { model.int($0) ?? 0 })
            case let .unknown(reason):
                return .unknown(reason)
            }
        } catch {
            return .unknown("\(error)")
        }
    }

    /// The runs of consecutive set bits of `mask`, as ranges of values.
    static func intervals(_ mask: UInt64) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var rest = mask
        while rest != 0 {
            let low = rest.trailingZeroBitCount
            let ones = (~(rest >> UInt64(low))).trailingZeroBitCount
            result.append(low ..< low + ones)
            rest &= ones + low >= 64 ? 0 : ~0 << UInt64(low + ones)
        }
        return result
    }
}
