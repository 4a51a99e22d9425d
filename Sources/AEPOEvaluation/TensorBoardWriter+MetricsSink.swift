import AEPOTraining

/// A trainer's metrics can go to TensorBoard next to `metrics.jsonl` (tags `<phase>/<metric>`).
extension TensorBoardWriter: MetricsSink {}

extension Trainer {
    /// Adds a TensorBoard event file in the run directory to the metrics sinks (a new file per session).
    public func logToTensorBoard() throws {
        sinks.append(try TensorBoardWriter(directory: run))
    }
}
