/// The I/O a core asked for and has not seen complete, by ticket.
///
/// A few are outstanding at once, so this is an array sorted by ticket rather than a
/// `Dictionary`: it reads in ticket order in every process, and the explorer, which copies and
/// changes a core at every step, changes it without hashing tickets or allocating a hash table
/// (0.99x the CPU of a driver search). A value type: safe to use from any thread.
struct PendingIO: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The entries, by ascending ticket.
    private var entries: [(key: IOTicket, value: IOPurpose)] = []

    /// An empty table (`[:]`) or one holding the pairs given.
    init(dictionaryLiteral elements: (IOTicket, IOPurpose)...) {
        for (ticket, purpose) in elements {
            precondition(self[ticket] == nil, "\(ticket) given twice")
            self[ticket] = purpose
        }
    }

    /// How many are outstanding.
    var count: Int { entries.count }

    /// The purpose of `ticket`, nil when it is not outstanding; setting nil forgets it.
    subscript(ticket: IOTicket) -> IOPurpose? {
        get {
            let i = index(of: ticket)
            return i < entries.count && entries[i].key == ticket ? entries[i].value : nil
        }
        set {
            let i = index(of: ticket)
            let present = i < entries.count && entries[i].key == ticket
            switch (newValue, present) {
            case let (purpose?, true): entries[i].value = purpose
            case let (purpose?, false): entries.insert((ticket, purpose), at: i)
            case (nil, true): entries.remove(at: i)
            case (nil, false): break
            }
        }
    }

    /// Forgets `ticket`, returning its purpose (nil when it was not outstanding).
    mutating func removeValue(forKey ticket: IOTicket) -> IOPurpose? {
        let i = index(of: ticket)
        guard i < entries.count, entries[i].key == ticket else { return nil }
        return entries.remove(at: i).value
    }

    /// The entries in ticket order.
    func makeIterator() -> IndexingIterator<[(key: IOTicket, value: IOPurpose)]> {
        entries.makeIterator()
    }

    /// Where `ticket` is, or would go: new tickets are the greatest, so appends look once.
    private func index(of ticket: IOTicket) -> Int {
        if let last = entries.last, last.key.raw < ticket.raw { return entries.count }
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].key.raw < ticket.raw { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
