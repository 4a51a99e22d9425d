import AEPOBenchmark

extension OracleConfiguration {
    /// Every demonstration correct (checks included, which are correct behaviour).
    static let perfect = OracleConfiguration(checkShare: 0.1, recoveryShare: 0, earlyStopShare: 0)
}
