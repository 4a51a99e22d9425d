import AEPOTraining

/// A trainer's metrics can go to TensorBoard next to `metrics.jsonl` (tags `<phase>/<metric>`).
extension TensorBoardWriter: MetricsSink {}

extension Trainer {
    /// Adds a TensorBoard event file in the run directory to the metrics sinks (a new file per session), opened by a
    /// session START at the next step, so that TensorBoard drops the steps an earlier session logged from there on
    /// (those after a resumed checkpoint, or a whole earlier run in the same directory).
    public func logToTensorBoard() throws {
        let writer = try TensorBoardWriter(directory: run)
        try writer.writeSessionStart(step: state.step + 1)
        sinks.append(writer)
    }
}
