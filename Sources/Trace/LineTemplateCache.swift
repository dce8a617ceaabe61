/// The few line shapes a file repeats (`LineTemplate`), so that most of its lines are read
/// without a full parse.
///
/// A line is tried against the template that followed the last one matched last time, then
/// against the others. A line that matches none is parsed in full, and its event becomes a
/// template (the oldest one goes once there are `capacity`). A file whose lines keep making new
/// templates rather than matching them (every line another shape) stops using them.
///
/// A value type; used by one reader.
struct LineTemplateCache {
    /// The most templates kept: a recorder writes a shape per event kind and node pair.
    static let capacity = 12

    private var templates: [LineTemplate] = []
    /// Their shapes, in the same order: what a line is tried against. `shapes[i]` points into
    /// `templates[i]`, so it is set right after it, and both are emptied together.
    private var shapes: [LineTemplate.Shape] = []
    /// The same templates, unretained: the one a line matched makes its event through its
    /// guaranteed reference (`with`), retaining and releasing nothing. Sound while `templates`
    /// holds every one: `refs[i]` is set right after `templates[i]`, and both are emptied together.
    private var refs: [Unmanaged<LineTemplate>] = []
    /// Per template, the one matched after it last time (-1: none yet).
    private var successor: [Int] = []
    /// The template matched last (-1: none).
    private var last = -1
    /// The template to replace when full.
    private var oldest = 0
    /// Lines read through a template, and templates made: whether templates pay off here.
    private var hits = 0
    private var made = 0
    /// Set once templates stopped paying off for this file.
    private var disabled = false

    /// Whether every template starts alike (`LineTemplate.sharesHead`), as those of a file of
    /// one node do: a line's head is then read once, whichever template it matches.
    private var sharedHead = true

    /// The template `line` has the shape of (an index for `node(_:)` and `event(_:_:location:)`)
    /// and its integers.
    @inline(__always) mutating func match(_ line: UnsafeBufferPointer<UInt8>) -> (Int, LineTemplate.Numbers)? {
        let count = shapes.count
        guard count > 0 else { return nil }
        // With one head for all, the line's is read once; else each shape reads its own.
        let head = sharedHead ? shapes[0].head(line) : nil
        if sharedHead && head == nil { return nil }
        // The shape matched after the last one last time, then the others in order.
        let guess = last >= 0 ? successor[last] : -1
        var k = guess >= 0 ? -1 : 0
        while k < count {
            let i = k < 0 ? guess : k
            k &+= 1
            if k == guess { k &+= 1 }
            guard let (pos, value) = head ?? shapes[i].head(line), shapes[i].mayGoOn(line, at: pos) else { continue }
            var numbers = LineTemplate.Numbers()
            if shapes[i].tail(line, pos: pos, first: value, into: &numbers) {
                return hit(i, numbers)
            }
        }
        return nil
    }

    /// `body` of template `i`.
    @inline(__always) private func with<R>(_ i: Int, _ body: (LineTemplate) -> R) -> R {
        refs[i]._withUnsafeGuaranteedRef(body)
    }

    /// The row of template `i`'s node in its reader's table of last seqs (-1: not known yet).
    @inline(__always) func seqRow(_ i: Int) -> Int { with(i) { $0.seqRow } }

    /// Notes the row of template `i`'s node in its reader's table of last seqs.
    func setSeqRow(_ i: Int, _ row: Int) { with(i) { $0.seqRow = row } }

    /// The node of template `i`'s events.
    @inline(__always) func node(_ i: Int) -> String { with(i) { $0.node } }

    /// Template `i`'s event with `numbers`, read from `location`.
    @inline(__always) func event(_ i: Int, _ numbers: LineTemplate.Numbers, location: SourceLocation) -> TraceEvent {
        with(i) { $0.event(numbers, location: location) }
    }

    /// Notes that template `i` matched; returns what `match` returns.
    @inline(__always) private mutating func hit(
        _ i: Int, _ numbers: LineTemplate.Numbers
    ) -> (Int, LineTemplate.Numbers) {
        if last >= 0 { successor[last] = i }
        last = i
        hits &+= 1
        return (i, numbers)
    }

    /// Uses no templates from now on.
    mutating func disable() {
        disabled = true
        templates = []
        shapes = []
        refs = []
        successor = []
        last = -1
    }

    /// Makes a template of `line`, which matched none and which the full parser read as `event`
    /// (with no location yet).
    mutating func learn(_ line: UnsafeBufferPointer<UInt8>, _ event: TraceEvent) {
        guard !disabled, let template = LineTemplate(line: line, event: event) else { return }
        made += 1
        if made >= 256 && hits < 8 * made {
            // Most lines are shapes of their own here: stop paying for trying and making templates.
            disable()
            return
        }
        let i: Int
        if templates.count < Self.capacity {
            i = templates.count
            templates.append(template)
            shapes.append(template.shape)
            refs.append(.passUnretained(template))
            successor.append(-1)
        } else {
            i = oldest
            oldest = (oldest + 1) % Self.capacity
            templates[i] = template
            shapes[i] = template.shape
            refs[i] = .passUnretained(template)
            for j in successor.indices where successor[j] == i { successor[j] = -1 }
            successor[i] = -1
        }
        if last >= 0 { successor[last] = i }
        last = i
        sharedHead = shapes.allSatisfy { $0.sharesHead(with: shapes[0]) }
    }
}
