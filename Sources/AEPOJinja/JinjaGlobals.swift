import Foundation

/// The functions every chat template can call, as transformers defines them: `raise_exception(message)`,
/// `namespace(...)`, `dict(...)`, `strftime_now(format)`, and jinja2's `range`.
enum JinjaGlobals {
    static var functions: [String: JinjaValue] {
        [
            "raise_exception": .function(JinjaFunction(name: "raise_exception") { args in
                throw JinjaError(.raised, args.value(0, "message")?.text ?? "")
            }),
            "namespace": .function(JinjaFunction(name: "namespace") { args in
                let attributes = try dictionary(args)
                if let name = attributes.keys.first(where: { $0.hasPrefix("_") }) {
                    throw JinjaError.runtime("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(name)'")
                }
                return .namespace(JinjaNamespace(attributes: attributes))
            }),
            "dict": .function(JinjaFunction(name: "dict") { .dictionary(try dictionary($0)) }),
            "range": .function(JinjaFunction(name: "range") { args in
                let bounds = try args.positional.map { value -> Int in
                    guard let i = value.integer else { throw JinjaError.runtime("range() needs integers, got \(value.typeName)") }
                    return i
                }
                guard (1...3).contains(bounds.count), args.keywords.isEmpty else { throw JinjaError.runtime("range() takes 1 to 3 integers") }
                let start = bounds.count == 1 ? 0 : bounds[0], stop = bounds.count == 1 ? bounds[0] : bounds[1]
                let step = bounds.count == 3 ? bounds[2] : 1
                guard step != 0 else { throw JinjaError.runtime("range() arg 3 must not be zero") }
                return .list(stride(from: start, to: stop, by: step).map(JinjaValue.integer))
            }),
            "strftime_now": .function(JinjaFunction(name: "strftime_now") { args in
                .string(strftime(args.value(0, "format")?.text ?? "", Date()))
            }),
        ]
    }

    /// `dict(mapping or pairs, key=value, …)`: the mapping's items (or the `(key, value)` pairs), then the keywords.
    private static func dictionary(_ args: JinjaArguments) throws -> JinjaDictionary {
        var result = JinjaDictionary()
        for value in args.positional {
            if case .dictionary(let d) = value {
                for (key, item) in d.items { result[key] = item }
                continue
            }
            for pair in try value.iterated() {
                let parts = try pair.iterated()
                guard parts.count == 2, case .string(let key) = parts[0] else {
                    throw JinjaError.runtime("dictionary update sequence element has length \(parts.count); 2 is required (with a string key)")
                }
                result[key] = parts[1]
            }
        }
        for (key, item) in args.keywords { result[key] = item }
        return result
    }

    /// Python's `datetime.now().strftime(format)` in the local time zone, for the directives date lines use
    /// (`%d %b %Y` …); others are kept as written.
    static func strftime(_ format: String, _ date: Date) -> String {
        let calendar = Calendar(identifier: .gregorian)
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                      "November", "December"]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        let two = { (n: Int) in String(n).leftPadded(to: 2) }
        var out = "", directive = false
        for c in format {
            guard directive else {
                if c == "%" { directive = true } else { out.append(c) }
                continue
            }
            directive = false
            let month = months[parts.month! - 1], day = days[parts.weekday! - 1], hour = parts.hour!
            switch c {
            case "d": out += two(parts.day!)
            case "m": out += two(parts.month!)
            case "Y": out += String(parts.year!)
            case "y": out += two(parts.year! % 100)
            case "B": out += month
            case "b": out += String(month.prefix(3))
            case "A": out += day
            case "a": out += String(day.prefix(3))
            case "H": out += two(hour)
            case "I": out += two(hour % 12 == 0 ? 12 : hour % 12)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "M": out += two(parts.minute!)
            case "S": out += two(parts.second!)
            case "j": out += String(dayOfYear).leftPadded(to: 3)
            case "%": out += "%"
            default: out += "%" + String(c)
            }
        }
        return directive ? out + "%" : out
    }
}
