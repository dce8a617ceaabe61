import Trace

/// How many pending writes a random power cut lost, kept whole, or tore.
package struct CutReport: Sendable, Equatable {
    /// The writes that were pending.
    package var writes: Int
    /// Writes of which nothing reached the medium.
    package var lost: Int
    /// Writes that reached the medium whole.
    package var durable: Int
    /// Writes of which only some sectors reached the medium.
    package var torn: Int

    /// Makes a report.
    package init(writes: Int = 0, lost: Int = 0, durable: Int = 0, torn: Int = 0) {
        self.writes = writes
        self.lost = lost
        self.durable = durable
        self.torn = torn
    }
}

/// Power cuts: what survives of the pending writes, decided write by write.
extension VolatileCacheDevice {
    /// Cuts the power: asks `fates` for the fate of each pending write (its index, oldest
    /// first, and its size in sectors), applies what survives to `base` in pending order,
    /// flushes `base`, and empties the cache (also when `base` throws: the cache is gone).
    ///
    /// A `.torn` write's ranges must lie within its sectors; its other sectors keep what
    /// `base` held. The device stays usable afterwards, as after a reboot.
    package func cut(_ fates: (_ index: Int, _ sectors: Int) -> WriteFate) throws(BlockDeviceError) {
        let writes = pending
        pending = []
        for (index, write) in writes.enumerated() {
            let sectors = write.bytes.count / sectorSize
            switch fates(index, sectors) {
            case .lost:
                continue
            case .durable:
                try base.write(block: write.block, write.bytes, fua: false)
            case .torn(let kept):
                var blocks = try base.read(block: write.block, count: write.bytes.count / blockSize)
                for range in kept {
                    precondition(range.lowerBound >= 0 && range.upperBound <= sectors,
                                 "\(name): torn range \(range) is outside the write's \(sectors) sectors")
                    let bytes = range.lowerBound * sectorSize..<range.upperBound * sectorSize
                    blocks.replaceSubrange(bytes, with: write.bytes[bytes])
                }
                try base.write(block: write.block, blocks, fua: false)
            }
        }
        try base.flush()
    }

    /// Cuts the power with fates drawn from a `SplitMix64` seeded with `seed`: a write of more
    /// than one sector is torn with probability `tornFraction` (keeping a random non-empty
    /// proper subset of its sectors); otherwise it is lost or durable with probability 1/2.
    ///
    /// The same seed and pending writes give the same outcome on every platform.
    @discardableResult
    package func cut(seed: UInt64, tornFraction: Double = 0.25) throws(BlockDeviceError) -> CutReport {
        var random = SplitMix64(seed: seed)
        var report = CutReport(writes: pending.count)
        try cut { _, sectors in
            if sectors > 1, Self.unitInterval(&random) < tornFraction {
                report.torn += 1
                return .torn(kept: Self.randomProperSubset(of: sectors, &random))
            }
            if random.next() & 1 == 0 {
                report.lost += 1
                return .lost
            }
            report.durable += 1
            return .durable
        }
        return report
    }

    /// A uniform draw from [0, 1) with 53 random bits (not the standard library's method,
    /// whose algorithm may change between releases).
    private static func unitInterval(_ random: inout SplitMix64) -> Double {
        Double(random.next() >> 11) * 0x1p-53
    }

    /// A random non-empty proper subset of `0..<sectors` (at least 2), as sorted ranges: each
    /// sector is kept with probability 1/2, drawing again if all or none were.
    private static func randomProperSubset(of sectors: Int, _ random: inout SplitMix64) -> [Range<Int>] {
        while true {
            var ranges: [Range<Int>] = []
            var bits: UInt64 = 0
            for sector in 0..<sectors {
                if sector % 64 == 0 { bits = random.next() }
                guard bits & 1 == 1 else {
                    bits >>= 1
                    continue
                }
                bits >>= 1
                if let last = ranges.last, last.upperBound == sector {
                    ranges[ranges.count - 1] = last.lowerBound..<sector + 1
                } else {
                    ranges.append(sector..<sector + 1)
                }
            }
            if !ranges.isEmpty, ranges != [0..<sectors] { return ranges }
        }
    }
}
