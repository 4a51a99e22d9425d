/// The trajectory format of docs/algorithm.md §1.1 (`<think>`, tool tags, `<result>`, `<answer>` with `\boxed{}`):
/// stop detection while generating, the `<result>` renderer, and the final format check.
///
/// ```
/// <think> ... </think>
/// <search> query </search>
/// <result>
/// ... tool output ...
/// </result>
/// <answer> \boxed{final answer} </answer>
/// ```
///
/// Tool tags are the names of the registered tools (`search`, `open`, `python` by default).
/// Only the environment writes `<result>` blocks: a model that writes `<result>` or `</result>`
/// itself has broken the format.
public struct TrajectoryFormat: Sendable {
    /// Tag names of the tools, e.g. `["search", "open", "python"]`.
    public let toolNames: [String]

    public init(toolNames: [String] = ToolEnvironment.standardToolNames) {
        self.toolNames = toolNames
    }

    // MARK: Generation

    /// How a segment the model is generating ends.
    public enum Stop: Equatable, Sendable {
        /// `</name>` closed a call opened by `<name>` in the same segment: run the tool.
        case toolCall(ToolCall)
        /// `</name>` with no `<name>` before it in the segment: the trajectory is broken; end it.
        case unopenedToolCall(name: String)
        /// `</answer>`: the trajectory is finished.
        case answer
        /// The model wrote `<result>` or `</result>` itself: the trajectory is broken; end it.
        case forgedResult
    }

    /// Where a segment stops: the stop and the UTF-8 length of the segment up to and including the
    /// stop string (text after it is not part of the trajectory).
    public struct SegmentEnd: Equatable, Sendable {
        public var stop: Stop
        public var utf8Length: Int
    }

    /// The strings whose appearance ends a segment: `</tool>` for every tool, `</answer>`,
    /// and `<result>` / `</result>` (a forged result).
    public var stopStrings: [String] {
        toolNames.map { "</\($0)>" } + ["</answer>", "<result>", "</result>"]
    }

    /// The first stop in `segment` (the text the model generated since the last tool result, or
    /// since the prompt), or `nil` if generation should go on.
    public func firstStop(in segment: String) -> SegmentEnd? {
        let bytes = Array(segment.utf8)
        let stops = stopStrings.map { Array($0.utf8) }
        var position = 0
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "<"), let stop = stops.first(where: { bytes.hasPrefix($0, at: position) }) {
                let end = position + stop.count
                let tag = String(decoding: stop, as: UTF8.self)
                switch tag {
                case "</answer>":
                    return SegmentEnd(stop: .answer, utf8Length: end)
                case "<result>", "</result>":
                    return SegmentEnd(stop: .forgedResult, utf8Length: end)
                default:
                    let name = String(tag.dropFirst(2).dropLast())
                    let open = Array("<\(name)>".utf8)
                    guard let start = bytes.lastIndex(of: open, before: position) else {
                        return SegmentEnd(stop: .unopenedToolCall(name: name), utf8Length: end)
                    }
                    let input = String(decoding: bytes[(start + open.count)..<position], as: UTF8.self)
                    return SegmentEnd(stop: .toolCall(ToolCall(name: name, input: input.trimmedWhitespace)), utf8Length: end)
                }
            }
            position += 1
        }
        return nil
    }

    /// The block the environment appends after a tool call: `\n<result>\n<output>\n</result>\n`.
    /// `<result>` and `</result>` inside the output are rewritten as `[result]` and `[/result]` so
    /// the block always parses as one.
    public static func resultBlock(_ output: String) -> String {
        let safe = output
            .replacingOccurrences(of: "</result>", with: "[/result]")
            .replacingOccurrences(of: "<result>", with: "[result]")
        return "\n<result>\n\(safe)\n</result>\n"
    }

    // MARK: Checking a finished trajectory

    /// Checks a finished trajectory whose pieces say who wrote what (docs/algorithm.md §3.1): a `<result>` or
    /// `</result>` inside a model piece breaks the format; then the joined text is checked as by
    /// `parse(_:)`.
    public func parse(pieces: [TrajectoryPiece]) -> ParsedTrajectory {
        for piece in pieces {
            if case .model(let text) = piece, text.contains("<result>") || text.contains("</result>") {
                return ParsedTrajectory(toolCalls: [], answer: nil, problem: "the model wrote a <result> block itself")
            }
        }
        return parse(pieces.map(\.text).joined())
    }

    /// Checks a finished trajectory's text (everything after the prompt). Well formed means:
    /// - `<think>`, tool, `<answer>` and `<result>` blocks do not nest, and each is closed;
    /// - every tool call is followed (whitespace aside) by a `<result>` block, and a `<result>`
    ///   block appears only right after a tool call (anything else is a forged result);
    /// - exactly one `<answer>` block, after which no tag follows;
    /// - the answer holds a non-empty `\boxed{…}` (braces balanced; the last one counts).
    /// Text outside the blocks and unknown tags are allowed. The content of `<result>` blocks is
    /// opaque (never parsed).
    public func parse(_ text: String) -> ParsedTrajectory {
        let bytes = Array(text.utf8)
        var calls: [ToolCall] = []
        func broken(_ problem: String) -> ParsedTrajectory {
            ParsedTrajectory(toolCalls: calls, answer: nil, problem: problem)
        }
        let blockNames = ["think", "answer", "result"] + toolNames
        let openings = blockNames.map { (name: $0, tag: Array("<\($0)>".utf8)) }
        let closings = blockNames.map { (name: $0, tag: Array("</\($0)>".utf8)) }
        var position = 0
        var answerContent: String?
        var awaitingResult = false
        while position < bytes.count {
            guard bytes[position] == UInt8(ascii: "<") else {
                if awaitingResult && !Self.isWhitespace(bytes[position]) { return broken("a tool call not followed by <result>") }
                position += 1
                continue
            }
            if let closing = closings.first(where: { bytes.hasPrefix($0.tag, at: position) }) {
                return broken("</\(closing.name)> without a matching <\(closing.name)>")
            }
            guard let opening = openings.first(where: { bytes.hasPrefix($0.tag, at: position) }) else {
                position += 1
                continue
            }
            if answerContent != nil { return broken("<\(opening.name)> after the answer") }
            if awaitingResult && opening.name != "result" { return broken("a tool call not followed by <result>") }
            if !awaitingResult && opening.name == "result" { return broken("a <result> block that no tool call asked for") }
            let contentStart = position + opening.tag.count
            let close = Array("</\(opening.name)>".utf8)
            guard let contentEnd = bytes.firstIndex(of: close, from: contentStart) else {
                return broken("<\(opening.name)> is never closed")
            }
            let content = bytes[contentStart..<contentEnd]
            if opening.name != "result", let nested = (openings + closings).first(where: { content.containsTag($0.tag) }) {
                return broken("\(String(decoding: nested.tag, as: UTF8.self)) inside <\(opening.name)>")
            }
            let contentText = String(decoding: content, as: UTF8.self)
            switch opening.name {
            case "think":
                break
            case "result":
                awaitingResult = false
            case "answer":
                answerContent = contentText
            default:
                calls.append(ToolCall(name: opening.name, input: contentText.trimmedWhitespace))
                awaitingResult = true
            }
            position = contentEnd + close.count
        }
        if awaitingResult { return broken("a tool call not followed by <result>") }
        guard let answerContent else { return broken("no <answer> block") }
        guard let answer = Self.boxedContent(in: answerContent), !answer.isEmpty else {
            return broken("no \\boxed{…} final answer in <answer>")
        }
        return ParsedTrajectory(toolCalls: calls, answer: answer, problem: nil)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The content of the last `\boxed{…}` in `text`, braces matched (`\{` and `\}` do not count),
    /// whitespace trimmed; `nil` when there is none or its braces never close.
    public static func boxedContent(in text: String) -> String? {
        let bytes = Array(text.utf8)
        let marker = Array("\\boxed{".utf8)
        var starts: [Int] = []
        var search = 0
        while let found = bytes.firstIndex(of: marker, from: search) {
            starts.append(found)
            search = found + 1
        }
        for start in starts.reversed() {
            var depth = 1
            var index = start + marker.count
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"):
                    index += 1
                case UInt8(ascii: "{"):
                    depth += 1
                case UInt8(ascii: "}"):
                    depth -= 1
                    if depth == 0 {
                        return String(decoding: bytes[(start + marker.count)..<index], as: UTF8.self).trimmedWhitespace
                    }
                default:
                    break
                }
                index += 1
            }
        }
        return nil
    }
}

extension Collection where Element == UInt8, Index == Int {
    func hasPrefix(_ prefix: [UInt8], at position: Int) -> Bool {
        guard position + prefix.count <= endIndex else { return false }
        for (offset, byte) in prefix.enumerated() where self[position + offset] != byte { return false }
        return true
    }

    /// The first index ≥ `from` where `needle` starts.
    func firstIndex(of needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, needle.count <= endIndex - startIndex else { return nil }
        var index = Swift.max(from, startIndex)
        while index + needle.count <= endIndex {
            if hasPrefix(needle, at: index) { return index }
            index += 1
        }
        return nil
    }

    /// The last index where `needle` starts and ends at or before `before`.
    func lastIndex(of needle: [UInt8], before: Int) -> Int? {
        var index = before - needle.count
        while index >= startIndex {
            if hasPrefix(needle, at: index) { return index }
            index -= 1
        }
        return nil
    }

    func containsTag(_ tag: [UInt8]) -> Bool {
        firstIndex(of: tag, from: startIndex) != nil
    }
}
