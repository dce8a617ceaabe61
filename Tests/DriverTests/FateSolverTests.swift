@testable import Driver
import XCTest

/// The solver a read's enumeration asks (`FateSolver`): the groups of writes the constraints
/// link are searched one by one, with one scratch array of domains, and its answers are the
/// brute force's over every assignment.
final class FateSolverTests: XCTestCase {
    /// A sector of `byte`.
    func sector(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: sectorSize) }

    func testItsAnswersAreTheBruteForcesOverEveryAssignment() {
        var rng = XorShift(state: 0x2545_F491_4F6C_DD1D)
        func next(_ bound: Int) -> Int { rng.next(bound) }
        var asked = 0, yes = 0
        for round in 0 ..< 100 {
            let torn = round % 2 == 0
            var fates = CrashFates(blockSize: sectorSize)
            // Short writes over 16 sectors, and in some rounds one or two long ones (each its
            // own linked group of pieces).
            var writes: [(block: Int, bytes: [UInt8])] = (0 ..< 2 + next(3)).map { w in
                let first = next(14)
                return (first, (0 ..< 1 + next(2)).flatMap { _ in sector(UInt8(w + 1)) })
            }
            if next(3) == 0 { writes.append((0, (0 ..< 66).flatMap { _ in sector(30) })) }
            if next(3) == 0 { writes.append((80, (0 ..< 64).flatMap { _ in sector(40) })) }
            fates.add(cutWrites: writes, torn: torn)
            var medium = (0 ..< 160).flatMap { sector(UInt8(100 + $0 % 50)) }
            // Up to three reads decided, each adding a constraint over the writes it involved.
            for _ in 0 ..< next(4) {
                let at = next(15)
                let range = at ..< at + 1 + next(2)
                let outcomes = fates.outcomes(sectors: [range], medium: {
                    Array(medium[$0.lowerBound * sectorSize ..< $0.upperBound * sectorSize])
                })
                guard outcomes.count > 1 else { continue }
                let chosen = outcomes[next(outcomes.count)]
                fates.observe(chosen)
                medium.replaceSubrange(range.lowerBound * sectorSize ..< range.upperBound * sectorSize, with: chosen.bytes)
                fates.overwrite(sectors: range)
            }
            let assignments = fates.assignments()
            var solver = FateSolver(fates)
            XCTAssertTrue(solver.satisfiable(restricting: [], to: []), "round \(round): the constraints hold together")
            for _ in 0 ..< 20 where !fates.writes.isEmpty {
                // Up to four writes, each restricted to one value of its domain or a random
                // part of it.
                // Mostly writes one constraint links, where the answers can be no.
                let pool = fates.constraints.isEmpty || next(4) == 0
                    ? Array(fates.writes.indices) : fates.constraints[next(fates.constraints.count)].writes
                let restricted = Array(Set((0 ..< 2 + next(3)).map { _ in pool[next(pool.count)] })).sorted()
                let masks = restricted.map { w in
                    let domain = fates.writes[w].domain
                    var values: [UInt64] = []
                    var rest = domain
                    while rest != 0 {
                        values.append(rest & (~rest &+ 1))
                        rest &= rest - 1
                    }
                    if next(2) == 0 { return values[next(values.count)] }
                    let mask = values.reduce(0) { next(2) == 0 ? $0 | $1 : $0 }
                    return mask == 0 ? values[0] : mask
                }
                let brute = assignments.contains { assignment in
                    zip(restricted, masks).allSatisfy { w, mask in mask & (1 << UInt64(assignment[w])) != 0 }
                }
                XCTAssertEqual(solver.satisfiable(restricting: restricted, to: masks), brute, "round \(round): \(restricted) \(masks)")
                XCTAssertEqual(fates.satisfiable(restricting: restricted, to: masks), brute, "round \(round)")
                asked += 1
                if brute { yes += 1 }
            }
        }
        // Both answers were asked for often enough to mean something.
        XCTAssertGreaterThan(asked, 1000)
        XCTAssertGreaterThan(yes, 200)
        XCTAssertGreaterThan(asked - yes, 100)
    }

    func testGroupsAreSearchedOneByOneSoAFailingQuestionDoesNotMultiplyThem() {
        // Thirty long writes, each its own group of two linked pieces: a question that fails
        // in the last group is answered without trying the 2^29 ways of the others.
        var fates = CrashFates(blockSize: sectorSize)
        fates.add(cutWrites: (0 ..< 30).map { (block: 100 * $0, bytes: (0 ..< 70).flatMap { _ in sector(1) }) }, torn: false)
        XCTAssertEqual(fates.constraints.count, 30)
        var solver = FateSolver(fates)
        // Pieces 58 and 59 are one write: lost together or durable together.
        XCTAssertFalse(solver.satisfiable(restricting: [0, 2, 58, 59], to: [1, 1, 1, 1 << 7]))
        XCTAssertTrue(solver.satisfiable(restricting: [0, 2, 58, 59], to: [1, 1, 1, 1]))
    }
}
