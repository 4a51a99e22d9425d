import Foundation

/// Writes TensorBoard scalar event files, `events.out.tfevents.<unix time>.<host>`, readable by
/// `tensorboard --logdir`.
///
/// The file is a TFRecord stream — per record: length (uint64 LE), masked CRC-32C of the length bytes,
/// the data, masked CRC-32C of the data — whose records are `tensorflow.Event` protobufs. The first
/// carries `file_version: "brain.Event:2"`; each later one `wall_time`, `step` and a `Summary` of
/// `Value{tag, simple_value}`, or a `SessionLog`. The protobuf bytes are encoded here by hand (fields: Event
/// 1 wall_time double, 2 step int64, 3 file_version string, 5 summary, 7 session_log; Summary 1 value; Value 1 tag,
/// 2 simple_value float; SessionLog 1 status enum, START = 1).
///
/// Restarts: a run resumed after a kill redoes the steps after its checkpoint, which the killed session's file
/// already holds. `writeSessionStart(step:)` marks the restart the way TensorBoard expects: on reading a
/// `SessionLog` START at step s it purges the data it has read with step ≥ s (its "orphaned data" purge, on by
/// default), so each step shows once, as the resumed session wrote it.
public final class TensorBoardWriter {
    public let url: URL
    private let handle: FileHandle
    private let clock: () -> Double

    /// Creates a new event file in `directory`. `clock` gives the wall time in seconds since 1970.
    public init(directory: URL, clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.clock = clock
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        var name = "events.out.tfevents.\(Int(clock())).\(host)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            suffix += 1
            name = "events.out.tfevents.\(Int(clock())).\(host).\(suffix)"
        }
        url = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        handle = try FileHandle(forWritingTo: url)
        var event = ProtobufEncoder()
        event.double(field: 1, clock())
        event.string(field: 3, "brain.Event:2")
        try append(event.bytes)
    }

    deinit { try? handle.close() }

    /// Appends one event with a scalar per `scalars` entry (tags in sorted order) at `step`.
    public func write(step: Int, scalars: [String: Double]) throws {
        var summary = ProtobufEncoder()
        for (tag, value) in scalars.sorted(by: { $0.key < $1.key }) {
            var entry = ProtobufEncoder()
            entry.string(field: 1, tag)
            entry.float(field: 2, Float(value))
            summary.message(field: 1, entry)
        }
        var event = ProtobufEncoder()
        event.double(field: 1, clock())
        event.varint(field: 2, UInt64(bitPattern: Int64(step)))
        event.message(field: 5, summary)
        try append(event.bytes)
    }

    /// Appends a `SessionLog` event with status START at `step`: the first step of this session (the resumed
    /// run's first redone step), so TensorBoard drops what earlier files hold from that step on.
    public func writeSessionStart(step: Int) throws {
        var session = ProtobufEncoder()
        session.varint(field: 1, 1)
        var event = ProtobufEncoder()
        event.double(field: 1, clock())
        event.varint(field: 2, UInt64(bitPattern: Int64(step)))
        event.message(field: 7, session)
        try append(event.bytes)
    }

    /// Appends the metrics of one step of `phase`, tagged `<phase>/<metric>` (the trainer's metrics-sink call).
    public func record(phase: String, step: Int, metrics: [String: Double]) throws {
        try write(step: step, scalars: Dictionary(uniqueKeysWithValues: metrics.map { ("\(phase)/\($0.key)", $0.value) }))
    }

    /// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
    private func append(_ data: [UInt8]) throws {
        var record: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian, Array.init)
        record += length
        record += withUnsafeBytes(of: CRC32C.masked(length).littleEndian, Array.init)
        record += data
        record += withUnsafeBytes(of: CRC32C.masked(data).littleEndian, Array.init)
        try handle.write(contentsOf: record)
    }
}
