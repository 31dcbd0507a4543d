import Foundation

/// A task executor on one thread of its own that ends when told to, as an idle thread of Swift's
/// pool does after a few seconds. Jobs enqueued after ``retire()`` run on Dispatch's threads.
/// For the test that a child process does not die with the thread its task ran on.
final class RetiringThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var retiring = false
    private var threadID: pid_t?
    private var ended = false

    init() {
        Thread { [self] in work() }.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        defer { condition.unlock() }
        if retiring {
            DispatchQueue.global().async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        } else {
            jobs.append(job)
            condition.signal()
        }
    }

    /// Lets the thread run what it holds and end. Returns its kernel thread id once it has ended.
    func retire() -> pid_t? {
        condition.lock()
        defer { condition.unlock() }
        retiring = true
        condition.broadcast()
        while !ended { condition.wait() }
        return threadID
    }

    private func work() {
        condition.lock()
        // "/proc/thread-self" links to "<pid>/task/<tid>".
        threadID = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"))
            .flatMap { $0.split(separator: "/").last }.flatMap { pid_t($0) }
        condition.unlock()
        while true {
            condition.lock()
            while jobs.isEmpty && !retiring { condition.wait() }
            if jobs.isEmpty {
                ended = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
