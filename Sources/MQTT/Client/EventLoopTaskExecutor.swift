import NIOCore

/// A task executor (SE-0417) that runs the jobs of tasks preferring it on one NIO event loop: the loop that owns
/// the client's connection. SwiftNIO offers a `SerialExecutor` for its loops (for actors) but no `TaskExecutor`.
///
/// A task that prefers this executor runs its nonisolated code on the loop, so when the loop reads a message or an
/// ack and resumes the task's continuation, the job is queued on the same thread (no cross-thread wake-up) and runs
/// as soon as the loop has finished the current read. A job queued from another thread wakes the loop as any
/// `execute` does.
final class EventLoopTaskExecutor: TaskExecutor {
  let eventLoop: any EventLoop

  init(eventLoop: any EventLoop) {
    self.eventLoop = eventLoop
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    // Not EventLoop.enqueue(_:): that runs the job with the loop as its *serial* executor, the isolation of an
    // actor on the loop, whereas a task preferring us is nonisolated and must see us as its task executor.
    eventLoop.execute {
      job.runSynchronously(on: self.asUnownedTaskExecutor())
    }
  }
}
