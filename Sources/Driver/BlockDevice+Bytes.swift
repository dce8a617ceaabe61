/// Byte-addressed access over whole blocks, and the range checks every device shares.
///
/// `patch` is the driver's only way to write its data area (in the live and the simulated
/// runtime alike): a read-modify-write that reads only the blocks the extents leave partly
/// unwritten and writes each run of touched blocks with one call.
extension BlockDevice {
    /// The device's name for errors: its `description` if it has one, else its type's name.
    var errorName: String {
        (self as? CustomStringConvertible)?.description ?? String(describing: Self.self)
    }

    /// The device's size in bytes.
    package var byteCount: Int { blockSize * blockCount }

    /// Throws unless `count` (at least 0) blocks from `block` lie on the device; every device
    /// calls it so that range errors read alike.
    package func checkBlocks(_ operation: String, block: Int, count: Int) throws(BlockDeviceError) {
        guard block >= 0, count >= 0, block <= blockCount, count <= blockCount - block else {
            throw BlockDeviceError(
                operation: operation, device: errorName,
                message: "\(count) blocks at block \(block) are outside the device's \(blockCount) blocks")
        }
    }

    /// Throws unless `byteCount` bytes are whole blocks that fit from `block`; returns how many
    /// blocks they are.
    package func checkWrite(block: Int, byteCount: Int) throws(BlockDeviceError) -> Int {
        guard byteCount % blockSize == 0 else {
            throw BlockDeviceError(
                operation: "write", device: errorName,
                message: "\(byteCount) bytes at block \(block) are not whole \(blockSize)-byte blocks")
        }
        try checkBlocks("write", block: block, count: byteCount / blockSize)
        return byteCount / blockSize
    }

    /// Throws unless `count` (at least 0) bytes from byte `offset` lie on the device.
    func checkBytes(_ operation: String, offset: Int, count: Int) throws(BlockDeviceError) {
        guard offset >= 0, count >= 0, offset <= byteCount, count <= byteCount - offset else {
            throw BlockDeviceError(
                operation: operation, device: errorName,
                message: "\(count) bytes at offset \(offset) are outside the device's \(byteCount) bytes")
        }
    }

    /// The `count` bytes at byte `offset`, at any alignment: reads the covering blocks once and
    /// slices them.
    package func readBytes(at offset: Int, count: Int) throws(BlockDeviceError) -> [UInt8] {
        try checkBytes("read", offset: offset, count: count)
        guard count > 0 else { return [] }
        let first = offset / blockSize
        let last = (offset + count - 1) / blockSize
        let blocks = try read(block: first, count: last - first + 1)
        let start = offset - first * blockSize
        return Array(blocks[start..<start + count])
    }

    /// `readBytes(at:count:)` with `overlay` (newer bytes, such as the staging area's) laid
    /// over it in order, later extents winning; overlay bytes outside the range are ignored.
    package func readBytes(at offset: Int, count: Int, overlay: [ByteExtent]) throws(BlockDeviceError) -> [UInt8] {
        var result = try readBytes(at: offset, count: count)
        result.withUnsafeMutableBytes { target in
            for extent in overlay {
                Self.copy(extent, clippedTo: offset, into: target)
            }
        }
        return result
    }

    /// Writes byte extents at any alignment with a read-modify-write, later extents winning
    /// where they overlap.
    ///
    /// The blocks the extents touch are merged into runs of consecutive blocks; each run is
    /// written with one `write(block:_:fua: false)`. Only blocks the extents leave partly
    /// unwritten are read (consecutive ones with one read). Time is O(n log n) in the extents
    /// plus the bytes moved. Not atomic: a failure can leave earlier runs written.
    public func patch(_ extents: [ByteExtent]) throws(BlockDeviceError) {
        for extent in extents {
            try checkBytes("write", offset: extent.offset, count: extent.bytes.count)
        }
        let covered = Self.union(of: extents)
        guard !covered.isEmpty else { return }
        let runs = runs(of: covered)
        let partial = partialBlocks(of: covered)

        // The extents of each run, in the given order.
        var extentsOfRun = [[Int]](repeating: [], count: runs.count)
        for (index, extent) in extents.enumerated() where !extent.bytes.isEmpty {
            extentsOfRun[Self.run(containing: extent.offset / blockSize, in: runs)].append(index)
        }

        var nextPartial = 0
        for (runIndex, run) in runs.enumerated() {
            var buffer = [UInt8](repeating: 0, count: run.count * blockSize)
            // Read the partly written blocks of this run, consecutive ones together.
            while nextPartial < partial.count, partial[nextPartial] < run.upperBound {
                let first = partial[nextPartial]
                var end = first + 1
                nextPartial += 1
                while nextPartial < partial.count, partial[nextPartial] == end {
                    end += 1
                    nextPartial += 1
                }
                let old = try read(block: first, count: end - first)
                let at = (first - run.lowerBound) * blockSize
                buffer.replaceSubrange(at..<at + old.count, with: old)
            }
            let runStart = run.lowerBound * blockSize
            buffer.withUnsafeMutableBytes { target in
                for index in extentsOfRun[runIndex] {
                    Self.copy(extents[index], clippedTo: runStart, into: target)
                }
            }
            try write(block: run.lowerBound, buffer, fua: false)
        }
    }

    /// The blocks `patch(extents)` reads (those the extents leave partly unwritten), ascending.
    package func patchedPartialBlocks(_ extents: [ByteExtent]) -> [Int] {
        partialBlocks(of: Self.union(of: extents))
    }

    /// Copies the part of `extent` that falls in `target` (which holds the device bytes from
    /// byte `base` on) into it.
    private static func copy(_ extent: ByteExtent, clippedTo base: Int, into target: UnsafeMutableRawBufferPointer) {
        let start = max(extent.offset, base)
        let end = min(extent.offset + extent.bytes.count, base + target.count)
        guard start < end else { return }
        extent.bytes.withUnsafeBytes { source in
            (target.baseAddress! + (start - base)).copyMemory(
                from: source.baseAddress! + (start - extent.offset), byteCount: end - start)
        }
    }

    /// The byte ranges the extents cover, sorted, disjoint and not adjacent.
    private static func union(of extents: [ByteExtent]) -> [Range<Int>] {
        let ranges = extents.lazy.filter { !$0.bytes.isEmpty }
            .map { $0.offset..<$0.offset + $0.bytes.count }
            .sorted { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for range in ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// The maximal runs of consecutive blocks that the covered byte ranges touch, sorted.
    private func runs(of covered: [Range<Int>]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        for range in covered {
            let first = range.lowerBound / blockSize
            let end = (range.upperBound - 1) / blockSize + 1
            if let last = runs.last, first <= last.upperBound {
                runs[runs.count - 1] = last.lowerBound..<max(last.upperBound, end)
            } else {
                runs.append(first..<end)
            }
        }
        return runs
    }

    /// The blocks the covered byte ranges touch but do not wholly cover, sorted, without
    /// repeats. Only the first and last block of each range can be such a block.
    private func partialBlocks(of covered: [Range<Int>]) -> [Int] {
        var blocks: [Int] = []
        func add(_ block: Int) {
            if blocks.last != block { blocks.append(block) }
        }
        for range in covered {
            let first = range.lowerBound / blockSize
            let last = (range.upperBound - 1) / blockSize
            if range.lowerBound > first * blockSize || range.upperBound < (first + 1) * blockSize {
                add(first)
            }
            if last != first, range.upperBound < (last + 1) * blockSize {
                add(last)
            }
        }
        return blocks
    }

    /// The index of the run (sorted, disjoint) that holds `block`, by binary search.
    private static func run(containing block: Int, in runs: [Range<Int>]) -> Int {
        var low = 0
        var high = runs.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if runs[middle].lowerBound <= block { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
