// Satisfiability of the fates' constraints, by backtracking in Swift (the reads' own
// questions are small), and every assignment, for tests and for eager references.
extension CrashFates {
    /// Whether some fate assignment satisfies the domains and every constraint with each of
    /// `restricted` also in its mask of `masks`. Only the constraints linked to `restricted`
    /// (sharing a write with it, or with one so linked) are searched, each linked group on its
    /// own (see `FateSolver`, which a caller asking many questions of one state makes once).
    package func satisfiable(restricting restricted: [Int] = [], to masks: [UInt64] = []) -> Bool {
        var solver = FateSolver(self)
        return solver.satisfiable(restricting: restricted, to: masks)
    }

    /// Every fate assignment the domains and constraints allow (one value per write, in
    /// `writes` order), at most `limit` of them: for tests and small references only (the
    /// count is the product of the domains).
    package func assignments(limit: Int = 1 << 20) -> [[Int]] {
        var result: [[Int]] = []
        var current = [Int](repeating: 0, count: writes.count)
        func visit(_ w: Int) {
            guard result.count < limit else { return }
            if w == writes.count {
                if allows(current) { result.append(current) }
                return
            }
            var domain = writes[w].domain
            while domain != 0 {
                current[w] = domain.trailingZeroBitCount
                domain &= domain - 1
                visit(w + 1)
            }
        }
        visit(0)
        return result
    }

    /// Whether the assignment `fates` (one value per write) satisfies the domains and every
    /// constraint.
    package func allows(_ fates: [Int]) -> Bool {
        for (w, value) in fates.enumerated() where writes[w].domain & (1 << UInt64(value)) == 0 { return false }
        return constraints.allSatisfy { constraint in
            constraint.boxes.contains { box in
                constraint.writes.indices.allSatisfy { j in box[j] & (1 << UInt64(fates[constraint.writes[j]])) != 0 }
            }
        }
    }

    /// The medium's image under the assignment `fates`: `medium` (every byte of it) with each
    /// write's kept, alive sectors laid over it in order.
    package func image(_ fates: [Int], over medium: [UInt8]) -> [UInt8] {
        var bytes = medium
        for (w, write) in writes.enumerated() {
            for i in 0 ..< min(fates[w], write.sectors) where write.alive & (1 << UInt64(i)) != 0 {
                let to = (write.firstSector + i) * sectorSize
                bytes.replaceSubrange(to ..< to + sectorSize, with: write.bytes[i * sectorSize ..< (i + 1) * sectorSize])
            }
        }
        return bytes
    }

    /// `cached write 2 lost, cached write 5 torn after 1 sector`: an assignment in words.
    package func describe(_ fates: [Int]) -> String {
        zip(writes, fates).map(Self.describe).joined(separator: ", ")
    }

    /// `cached write 5 torn after 1 sector`: one write's fate in words.
    package static func describe(write: Write, fate value: Int) -> String {
        let fate = value == 0 ? "lost" : value >= write.sectors ? "durable" : "torn after \(value) sector\(value == 1 ? "" : "s")"
        return "\(write.name) \(fate)"
    }
}
