import AEPOCore
import Foundation

/// Several OpenAI-compatible servers of the same model used as one. Each request goes to the live server with the fewest
/// requests outstanding (the first listed on a tie), at most `concurrency` of them per server. A server that fails a
/// request after its retries — a transport error, 429 or 5xx, or a 404 saying it does not serve the requested model —
/// is dropped with a warning, and its unfinished requests go to the others; the call fails only when no server is left,
/// or at once for any other refusal (a bad request is the same on every server). A request's reply does not depend on
/// the server that answered it (greedy requests, or sampled ones with their `seed`, on servers of the same weights).
/// With `checksModelNames`, a reply under another `model` than its request named is such a failure too (a server that
/// missed a policy sync and answers with whatever it serves).
public final class EndpointFleet {
    public var checksModelNames = false
    /// The servers still in the fleet, in the order given.
    public var endpoints: [OpenAIEndpoint] { lock.withLock { members.filter(\.live).map(\.endpoint) } }
    /// Why each dropped server was dropped, by base URL.
    public var dropped: [String: String] { lock.withLock { reasons } }
    /// Requests answered by each server, by base URL.
    public var answered: [String: Int] { lock.withLock { counts } }
    /// Where warnings go (stderr by default).
    public var warn: (String) -> Void

    private struct Member {
        var endpoint: OpenAIEndpoint
        var live = true
        var outstanding = 0
    }

    private let lock = NSCondition()
    private var members: [Member]
    private var reasons: [String: String] = [:]
    private var counts: [String: Int] = [:]

    /// A fleet of `endpoints` (at least one).
    public init(endpoints: [OpenAIEndpoint], warn: @escaping (String) -> Void = StandardError.write) {
        precondition(!endpoints.isEmpty, "a fleet needs an endpoint")
        members = endpoints.map { Member(endpoint: $0) }
        self.warn = warn
    }

    /// Throws, naming every dropped server and why, when no server is left.
    public func requireServers() throws {
        try lock.withLock {
            guard members.contains(where: \.live) else { throw noServerLeft }
        }
    }

    /// The error of a fleet with no server left (under the lock).
    private var noServerLeft: RemoteError {
        RemoteError(message: "no server is left in the fleet: " + reasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            .joined(separator: "; "), retryable: false)
    }

    /// Drops `endpoint` (by base URL) from the fleet with a warning saying `reason`; nothing when it is gone already.
    public func drop(_ endpoint: OpenAIEndpoint, reason: String) {
        lock.withLock { dropLocked(endpoint.settings.url, reason: reason) }
    }

    /// POSTs every body to `path` across the fleet and returns the parsed replies in order, each with the URL it was
    /// sent to.
    public func post(_ path: String, bodies: [JSONValue]) throws -> [(reply: JSONValue, source: String)] {
        let call = Call(count: bodies.count)
        lock.lock()
        defer { lock.unlock() }
        while call.running > 0 || call.failure == nil && !call.pending.isEmpty {
            if call.failure == nil && !call.pending.isEmpty && !members.contains(where: \.live) {
                call.failure = noServerLeft
                continue
            }
            while call.failure == nil, !call.pending.isEmpty, let m = leastLoaded() {
                let index = call.pending.removeFirst()
                members[m].outstanding += 1
                call.running += 1
                let endpoint = members[m].endpoint
                Thread { [self] in
                    let result = Result { try checked(endpoint.post(path, body: bodies[index]), for: bodies[index], from: endpoint.url(path)) }
                    lock.withLock { finish(index, of: call, on: m, with: result, source: endpoint.url(path)) }
                }.start()
            }
            lock.wait()
        }
        if let failure = call.failure { throw failure }
        return call.results.map { $0! }
    }

    /// One `post` call's state, guarded by the fleet's lock.
    private final class Call: @unchecked Sendable {
        var results: [(reply: JSONValue, source: String)?]
        var pending: [Int]
        var running = 0
        var failure: Error?

        init(count: Int) {
            results = Array(repeating: nil, count: count)
            pending = Array(0..<count)
        }
    }

    /// Records request `index`'s outcome from member `m` (under the lock): its reply, or its return to the queue when
    /// the server failed (which drops it), or the call's failure.
    private func finish(_ index: Int, of call: Call, on m: Int, with result: Result<JSONValue, Error>, source: String) {
        members[m].outstanding -= 1
        call.running -= 1
        switch result {
        case .success(let reply):
            call.results[index] = (reply, source)
            counts[members[m].endpoint.settings.url, default: 0] += 1
        case .failure(let error as RemoteError) where Self.isServerFailure(error):
            dropLocked(members[m].endpoint.settings.url, reason: error.message)
            call.pending.insert(index, at: 0)
        case .failure(let error):
            call.failure = call.failure ?? error
        }
        lock.broadcast()
    }

    /// `reply`, unless `checksModelNames` and it names another model than `body` asked for (a server failure).
    private func checked(_ reply: JSONValue, for body: JSONValue, from source: String) throws -> JSONValue {
        let asked = body.objectValue?["model"]?.stringValue, answered = reply.objectValue?["model"]?.stringValue
        guard checksModelNames, let asked, let answered, asked != answered else { return reply }
        throw RemoteError(message: "\(source) answered as model '\(answered)' to a request for '\(asked)': it does not serve the "
                          + "policy asked for", retryable: false, status: 404, code: "model_not_found")
    }

    /// Whether `error` says the server itself cannot serve (so another may), rather than that the request is wrong.
    static func isServerFailure(_ error: RemoteError) -> Bool {
        error.retryable || (error.status == 404 && error.code == "model_not_found")
    }

    /// The live member with the fewest requests outstanding and room for one more, if any.
    private func leastLoaded() -> Int? {
        members.indices.filter { members[$0].live && members[$0].outstanding < members[$0].endpoint.settings.concurrency }
            .min { members[$0].outstanding < members[$1].outstanding }
    }

    private func dropLocked(_ url: String, reason: String) {
        guard let m = members.firstIndex(where: { $0.endpoint.settings.url == url && $0.live }) else { return }
        members[m].live = false
        reasons[url] = reason
        let left = members.filter(\.live).count
        warn("warning: dropping \(url) from the fleet (\(left) server\(left == 1 ? "" : "s") left): \(reason)")
    }
}
