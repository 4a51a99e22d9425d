extension String {
    /// The text cut to `limit` characters, followed by `\n[... truncated: showing N of M characters]`
    /// when it was longer: the one truncation marker every tool output uses.
    func truncated(to limit: Int) -> String {
        let total = count
        guard total > limit else { return self }
        return String(prefix(limit)) + "\n[... truncated: showing \(limit) of \(total) characters]"
    }

    /// The text without leading and trailing whitespace and newlines.
    var trimmedWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
