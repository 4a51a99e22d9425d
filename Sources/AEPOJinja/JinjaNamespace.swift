/// What `namespace(...)` makes: an object whose attributes a template can assign (`{% set ns.found = true %}`) from
/// inside a loop, where a plain `set` would only change the loop body's own variable.
public final class JinjaNamespace {
    public var attributes: JinjaDictionary

    public init(attributes: JinjaDictionary = JinjaDictionary()) {
        self.attributes = attributes
    }
}
