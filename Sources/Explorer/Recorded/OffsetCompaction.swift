/// The offsets of a captured driver trace with the stretches no request writes taken out: the
/// 4 KiB chunks the trace writes, laid side by side in their order.
///
/// A controller's trace may write a few thousand requests across terabytes, and the explorer
/// holds its simulated device in memory and checks the whole data area after each recovery. The
/// driver's handling of a request depends on its length, on where it falls within its chunks,
/// and on which other requests share a chunk with it; all three stay as they were: a run of
/// chunks written one after another stays one run, each byte keeps its place within its chunk,
/// and two requests overlap after the move exactly when they overlapped before. What changes is
/// the size of the data area and of the driver's chunk map, and where each chunk sits in the
/// data area (so which bytes of the device's earlier image lie under it before it is written).
///
/// A value type: safe to use from any thread.
package struct OffsetCompaction: Sendable, Equatable {
    /// The chunk the driver simulation maps (`StagingConfig.chunkBytes` of `DriverPlan`).
    package static let chunkBytes = 4096
    /// A data area up to this size is simulated as the trace gives it, without compaction.
    package static let largestAsGiven = 256 << 20
    /// The largest data area the explorer simulates (its memory and its contents checks grow
    /// with the data area): 1 GiB.
    package static let mostSimulated = 1 << 30
    /// What a refused size's message suggests instead.
    static let withoutSize = "without a size, a trace that reaches past 256 MiB is explored on the 4 KiB chunks it writes, "
        + "laid side by side"

    /// One run of chunks written one after another: where it starts in the trace, where it
    /// starts after compaction (both in chunks), and how many chunks it has.
    struct Run: Sendable, Equatable {
        var from: Int
        var to: Int
        var count: Int
    }

    /// The runs, in increasing order.
    let runs: [Run]

    /// The compaction of requests writing `ranges` (offset and length, each length above 0 and
    /// each end within `Int`).
    package init(ranges: [(offset: Int, length: Int)]) {
        let chunks = ranges.map { ($0.offset / Self.chunkBytes, ($0.offset + $0.length - 1) / Self.chunkBytes) }
            .sorted { $0.0 < $1.0 }
        var runs: [Run] = []
        var next = 0
        for (first, last) in chunks {
            if let run = runs.last, first <= run.from + run.count {
                // Overlapping or right after the run: the run grows.
                let end = max(run.from + run.count, last + 1)
                next += end - (run.from + run.count)
                runs[runs.count - 1].count = end - run.from
            } else {
                runs.append(Run(from: first, to: next, count: last - first + 1))
                next += last - first + 1
            }
        }
        self.runs = runs
    }

    /// One run as reports give it, in bytes: where it starts in the trace and where it was
    /// explored, and how long it is (a whole number of chunks).
    package struct Move: Sendable, Equatable, Codable {
        /// The run's first offset in the trace.
        package var trace: Int
        /// The run's first offset on the explored device.
        package var explored: Int
        /// The run's length.
        package var bytes: Int

        /// A run of `bytes` at `trace` in the trace, explored at `explored`.
        package init(trace: Int, explored: Int, bytes: Int) {
            self.trace = trace
            self.explored = explored
            self.bytes = bytes
        }
    }

    /// The runs, in bytes, in increasing order: what maps an explored offset back to the trace's.
    package var moves: [Move] {
        runs.map { Move(trace: $0.from * Self.chunkBytes, explored: $0.to * Self.chunkBytes, bytes: $0.count * Self.chunkBytes) }
    }

    /// The chunks written, all runs together.
    package var chunks: Int { runs.last.map { $0.to + $0.count } ?? 0 }

    /// The bytes the compacted data area needs: the chunks written.
    package var bytes: Int { chunks * Self.chunkBytes }

    /// Where `offset`, a byte some request writes, is after compaction.
    package func map(_ offset: Int) -> Int {
        let chunk = offset / Self.chunkBytes
        // The last run starting at or before the chunk holds it.
        var lo = 0, hi = runs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if runs[mid].from <= chunk { lo = mid + 1 } else { hi = mid }
        }
        precondition(lo > 0 && chunk < runs[lo - 1].from + runs[lo - 1].count, "offset \(offset) is not written by the trace")
        let run = runs[lo - 1]
        return (run.to + chunk - run.from) * Self.chunkBytes + offset % Self.chunkBytes
    }
}
