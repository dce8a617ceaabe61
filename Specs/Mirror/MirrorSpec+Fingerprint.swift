import Trace

// The mirror spec's state as a fingerprint: everything a future verdict depends on, with each
// event stamp handed to `HeldStamps`, to be hashed relative to the rest of the trace (see
// `SpecMonitor.summary`), so that two histories that leave the same obligations open hash
// alike whatever their absolute seqs.
extension MirrorSpec {
    /// Hashes the state in a canonical order (every container is kept sorted by key, so this
    /// is one pass with no sort); each stamp goes to `held`, in an order that depends only on
    /// the state, and only whether it is there goes into `h`. A field added to the spec must
    /// be added here: the explorer's merge of states relies on it (a test checks that states
    /// merged by the fingerprint behave alike). `nodes` is not hashed: its order is the
    /// history's; each stamp's node is hashed by name, through `held`.
    ///
    /// A stamp that no happens-before question will ever involve again is hashed by whether it
    /// is there only (`cited`): it can show up in a message, never change a verdict. These are
    /// an entry's `append` and a path's latest `path` event (cited, never ordered), a proved
    /// assign, a node's crash and what it recorded after it, and a commit waiting for its apply
    /// (an apply observed later cannot happen before it, so that obligation fails whatever the
    /// clocks say). Leaving their clocks out lets more histories merge.
    package func hash(into h: inout StableHasher, stamps held: inout HeldStamps) {
        func stamp(_ s: Stamp?) {
            guard let s else { return h.combine(false) }
            h.combine(true)
            held.add(node: Int(s.node), seq: s.seq, name: Int(s.kind))
        }
        func cited(_ s: Stamp?) {
            h.combine(s != nil)
            if held.includesCited, let s { held.add(node: Int(s.node), seq: s.seq, name: Int(s.kind)) }
        }
        h.combine(streams.count)
        for (key, s) in streams.elements {
            h.combine(key)
            s.appended.hash(into: &h)
            h.combine(s.assign != nil)
            if let assign = s.assign {
                h.combine(assign.path)
                h.combine(assign.proved)
                if assign.proved { cited(assign.stamp) } else { stamp(assign.stamp) }
            }
            h.combine(s.applied.prefix)
            h.combine(s.applied.beyond.elements)
            h.combine(s.applied.greatest)
            stamp(s.applied.last)
            h.combine(s.acked)
            h.combine(s.committedApply?.sn)
            stamp(s.committedApply?.stamp)
        }
        // The entries in flight are most of the state, so each packs its small fields: the
        // key's two halves in one word, what is there in one word of flags.
        func feed(_ s: Stamp?) {
            if let s { held.add(node: Int(s.node), seq: s.seq, name: Int(s.kind)) }
        }
        h.combine(entries.count)
        for (key, e) in entries.elements {
            h.combine(key.stream, key.sn)
            h.combine(e.lsn)
            let flags = (e.append != nil ? 1 : 0) | (e.recv != nil ? 2 : 0) | (e.apply != nil ? 4 : 0)
                | (e.committed ? 8 : 0) | (e.pendingCommit != nil ? 16 : 0)
            h.combine(flags, e.pins)
            let barrier = barriers.isEmpty ? nil : barriers[key]
            h.combine(barrier?.deps.count ?? 0, barrier?.depApplies.count ?? 0)
            for dep in barrier?.deps ?? [] { h.combine(dep.stream, dep.sn) }
            for apply in barrier?.depApplies ?? [] { stamp(apply) }
            feed(e.recv)
            feed(e.apply)
            if held.includesCited {
                feed(e.append)
                feed(e.pendingCommit)
            }
        }
        appendedLSNs.hash(into: &h)
        h.combine(uncommitted.count)
        for (key, entry) in uncommitted.elements {
            h.combine(key)
            h.combine(entry.stream)
            h.combine(entry.sn)
        }
        h.combine(commitsAwaitingAppend.count)
        for (key, commit) in commitsAwaitingAppend.elements {
            h.combine(key)
            stamp(commit)
        }
        h.combine(unappliedCommits.count)
        for entry in unappliedCommits.elements {
            h.combine(entry.stream)
            h.combine(entry.sn)
        }
        h.combine(primaryPaths.count)
        for (key, path) in primaryPaths.elements {
            h.combine(key)
            h.combine(path.up)
            cited(path.stamp)
        }
        stamp(takeover)
        h.combine(deaths.count)
        if !deaths.isEmpty {
            // By node name: the nodes' indices are in the order the history met them (one
            // crashed node needs no sort).
            var order = Array(deaths.elements.indices)
            if order.count > 1 {
                order.sort { nodes[Int(deaths.elements[$0].key)].utf8.lexicographicallyPrecedes(nodes[Int(deaths.elements[$1].key)].utf8) }
            }
            for i in order {
                let (node, death) = deaths.elements[i]
                h.combine(nodes[Int(node)])
                cited(death.crash)
                cited(death.firstAfter)
                h.combine(death.after)
            }
        }
        h.combine(pinners.count)
        for (key, dependents) in pinners.elements {
            h.combine(key.stream)
            h.combine(key.sn)
            h.combine(dependents.count)
            for dependent in dependents {
                h.combine(dependent.stream)
                h.combine(dependent.sn)
            }
        }
        h.combine(lateApplies)
        h.combine(lateSession != nil)
        if let session = lateSession {
            h.combine(session.before.count)
            for (key, applied) in session.before.elements {
                h.combine(key)
                h.combine(applied.prefix)
                h.combine(applied.beyond.elements)
                h.combine(applied.greatest)
                stamp(applied.last)
            }
            h.combine(session.applies.count)
            for (key, apply) in session.applies.elements {
                h.combine(key.stream)
                h.combine(key.sn)
                stamp(apply)
            }
        }
    }
}

extension MirrorSpec {
    /// Every stamp the state holds, found by the fingerprint's walk, which must name each one
    /// (`hash(into:stamps:)`), cited ones included: a violation reported later may cite them.
    package func forEachHeldEvent(_ body: (EventID) -> Void) -> Bool {
        var held = HeldStamps(includesCited: true)
        var ignored = StableHasher()
        hash(into: &ignored, stamps: &held)
        held.forEach { node, seq in body(EventID(node: nodes[node], seq: seq)) }
        return true
    }
}

extension SpecMonitor where S == MirrorSpec {
    /// Hashes the judge of a mirror execution: the spec's state (`MirrorSpec.hash(into:stamps:)`)
    /// and then `summary` of the stamps it holds, the clocks, `sources` and `silent`. One
    /// concrete call, so the explorer does not copy the monitor to reach the generic one.
    /// `quiet`, when given, gets the same with no message in flight (see `summary`).
    package func hashMirror(into h: inout StableHasher, sources: [InFlight], silent: [String],
                            quiet: inout StableHasher?) {
        var held = HeldStamps()
        var state = StableHasher()
        spec.hash(into: &state, stamps: &held)
        h.combine(state.value)
        quiet?.combine(state.value)
        summary(into: &h, held: held, nodes: spec.nodes, sources: sources, silent: silent, quiet: &quiet)
    }
}
