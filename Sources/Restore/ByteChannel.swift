import Synchronization

/// Chunks of bytes from one producer to one consumer, holding at most about ``limit`` bytes:
/// the producer (the dump's decoder) waits while the consumer (a psql worker's stdin) is that
/// far behind, so a slow worker bounds memory, and other workers can be fed meanwhile. Closed by
/// the producer at the end, or by either side on a failure, which wakes the other.
final class ByteChannel: Sendable {
    let limit: Int
    private let state = Mutex(State())

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bytes = 0
        var closed = false
        var failed = false
        var waitingConsumer: CheckedContinuation<[UInt8]?, Never>?
        var waitingProducer: CheckedContinuation<Bool, Never>?
    }

    init(limit: Int) { self.limit = limit }

    /// Queues `chunk`; waits while the channel holds more than ``limit``.
    /// - Throws: `CancellationError` when the consumer gave up or the task is cancelled.
    func send(_ chunk: [UInt8]) async throws {
        let accepted: Bool = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let (consumer, resume) = state.withLock { state -> (CheckedContinuation<[UInt8]?, Never>?, Bool?) in
                    if state.failed || state.closed { return (nil, false) }
                    if let waiting = state.waitingConsumer {
                        state.waitingConsumer = nil
                        return (waiting, true)
                    }
                    state.chunks.append(chunk)
                    state.bytes += chunk.count
                    if state.bytes <= limit { return (nil, true) }
                    state.waitingProducer = continuation
                    return (nil, nil)
                }
                if let consumer { consumer.resume(returning: chunk) }
                if let resume { continuation.resume(returning: resume) }
            }
        } onCancel: {
            fail()
        }
        guard accepted, !Task.isCancelled else { throw CancellationError() }
    }

    /// Whether either side gave up.
    var isFailed: Bool { state.withLock { $0.failed } }

    /// The next chunk; nil once the producer closed and all was taken, or after a failure
    /// (a cancelled consumer fails the channel).
    func receive() async -> [UInt8]? {
        await withTaskCancellationHandler {
            await take()
        } onCancel: {
            fail()
        }
    }

    private func take() async -> [UInt8]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8]?, Never>) in
            let (chunk, producer, done) = state.withLock { state -> ([UInt8]?, CheckedContinuation<Bool, Never>?, Bool) in
                if state.failed { return (nil, nil, true) }
                if state.head < state.chunks.count {
                    let chunk = state.chunks[state.head]
                    state.chunks[state.head] = []  // not kept until the array is compacted
                    state.head += 1
                    state.bytes -= chunk.count
                    if state.head > 64 {
                        state.chunks.removeFirst(state.head)
                        state.head = 0
                    }
                    var producer: CheckedContinuation<Bool, Never>?
                    if state.bytes <= limit {
                        producer = state.waitingProducer
                        state.waitingProducer = nil
                    }
                    return (chunk, producer, false)
                }
                if state.closed { return (nil, nil, true) }
                state.waitingConsumer = continuation
                return (nil, nil, false)
            }
            producer?.resume(returning: true)
            if let chunk { continuation.resume(returning: chunk) } else if done { continuation.resume(returning: nil) }
        }
    }

    /// No more chunks: the consumer takes what is queued, then gets nil.
    func close() {
        let consumer = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
            state.closed = true
            defer { state.waitingConsumer = nil }
            return state.head < state.chunks.count ? nil : state.waitingConsumer
        }
        consumer?.resume(returning: nil)
    }

    /// Gives up at once: both sides are woken; queued chunks are dropped.
    func fail() {
        let (consumer, producer) = state.withLock { state in
            state.failed = true
            state.chunks = []
            state.head = 0
            state.bytes = 0
            defer { state.waitingConsumer = nil; state.waitingProducer = nil }
            return (state.waitingConsumer, state.waitingProducer)
        }
        consumer?.resume(returning: nil)
        producer?.resume(returning: false)
    }
}
