import AEPORollout
import Foundation

/// A value a configuration key can hold, read from and written as text (`key=value` overrides, resolved
/// config files).
public protocol ConfigValue: Equatable, Sendable {
    /// Parses `text`, or `nil` if it is not a value of this type.
    init?(configText text: String)
    /// How the value is written back.
    var configText: String { get }
    /// What an override must look like, for error messages.
    static var expectedDescription: String { get }
}

extension Double: ConfigValue {
    public init?(configText text: String) {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        self = value
    }
    public var configText: String { "\(self)" }
    public static var expectedDescription: String { "a finite number" }
}

extension Int: ConfigValue {
    public init?(configText text: String) {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { return nil }
        self = value
    }
    public var configText: String { "\(self)" }
    public static var expectedDescription: String { "an integer" }
}

extension Bool: ConfigValue {
    public init?(configText text: String) {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes", "on": self = true
        case "false", "0", "no", "off": self = false
        default: return nil
        }
    }
    public var configText: String { self ? "true" : "false" }
    public static var expectedDescription: String { "true or false" }
}

/// Enumerations spelled by their raw value.
public protocol ConfigChoice: ConfigValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ConfigChoice {
    /// The raw value; empty text (a YAML null) is the choice spelt `null`, where there is one (verl's "off").
    public init?(configText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        self.init(rawValue: trimmed.isEmpty ? "null" : trimmed)
    }
    public var configText: String { rawValue }
    public static var expectedDescription: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
}

extension LossAggregation: ConfigChoice {}
extension KLPenalty: ConfigChoice {}
extension AdvantageOptions.SingletonGroup: ConfigChoice {}
extension RolloutStrategy: ConfigChoice {}
extension BranchPolicy.PenaltyForm: ConfigChoice {}
extension BranchPolicy.PenaltyScope: ConfigChoice {}
extension RolloutCorrection.Weighting: ConfigChoice {}
extension RolloutCorrection.Rejection: ConfigChoice {}

extension String: ConfigValue {
    public init?(configText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        self = trimmed
    }
    public var configText: String { self }
    public static var expectedDescription: String { "a non-empty name" }
}
