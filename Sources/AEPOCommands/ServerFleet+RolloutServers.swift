import AEPOCore
import AEPORemote
import AEPOTraining
import Foundation

/// The fleet of OpenAI-compatible servers is where `aepo train --backend openai` samples its rollouts.
extension ServerFleet: RolloutServers {
    /// The servers of `rollout.*` with `rollout.backend=openai`; nil with the native engine.
    static func make(_ settings: TrainingConfig.SamplingBackendSettings) throws -> ServerFleet? {
        guard settings.isRemote else { return nil }
        return ServerFleet(fleet: try EndpointFleet(
            urls: settings.endpointList, apiKeyEnvironment: settings.apiKeyEnvironment.isEmpty ? nil : settings.apiKeyEnvironment,
            source: "rollout.api_key_env", timeout: settings.timeout, retries: settings.retries, concurrency: settings.concurrency))
    }
}

extension EndpointFleet {
    /// A fleet of the servers at `urls`, each with these client settings and the API key in the environment variable
    /// `apiKeyEnvironment` (an error naming `source` when it is not set).
    convenience init(urls: [String], apiKeyEnvironment: String?, source: String, timeout: Double, retries: Int, concurrency: Int) throws {
        var apiKey: String?
        if let apiKeyEnvironment {
            guard let key = ProcessInfo.processInfo.environment[apiKeyEnvironment], !key.isEmpty else {
                throw InputError("the environment variable \(apiKeyEnvironment) is not set", source: source)
            }
            apiKey = key
        }
        self.init(endpoints: try urls.map {
            try OpenAIEndpoint(settings: .init(url: $0, apiKey: apiKey, timeout: timeout, retries: retries, concurrency: concurrency))
        })
    }
}
