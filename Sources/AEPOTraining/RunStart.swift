/// How a trainer opens its run directory, which belongs to one run.
public enum RunStart: Sendable {
    /// A new run; the run directory must be empty (or absent).
    case new
    /// The run in the directory continues from its newest complete checkpoint, with its own configuration.
    case resume
    /// A new run that first removes the run the directory holds.
    case overwrite
}
