/// The name among `candidates` closest to `name` by edit distance, if one is close enough to be
/// a likely typo (at most 2 edits, and fewer than half the name's length), for "did you mean"
/// hints in error messages. Ties go to the earlier candidate.
package func nearestName(to name: String, among candidates: some Sequence<String>) -> String? {
    let a = Array(name.unicodeScalars)
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != name {
        let d = editDistance(a, Array(candidate.unicodeScalars))
        if d <= 2, d * 2 < max(a.count, 2), d < (best?.distance ?? .max) { best = (candidate, d) }
    }
    return best?.name
}

/// Levenshtein distance (insertions, deletions and substitutions of one scalar each).
private func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0 ... b.count)
    var current = previous
    for i in 1 ... a.count {
        current[0] = i
        for j in 1 ... b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
