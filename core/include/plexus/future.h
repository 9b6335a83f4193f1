#pragma once

// The outcome of a submitted task, and the errors a client reports. See client.h.

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "plexus/messages.h"
#include "plexus/serialization.h"

namespace plexus {

/// Base of every error plexus::Client and plexus::Future throw.
class ClientError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The task's function threw (or the worker could not run it). what() and remoteError() hold
/// the UTF-8 error text the worker stored as the task's result.
class TaskFailed : public ClientError {
  public:
    explicit TaskFailed(std::string remoteError);
    const std::string& remoteError() const noexcept { return remoteError_; }

  private:
    std::string remoteError_;
};

/// The task was cancelled (by Future::cancel() or by the scheduler).
class TaskCanceled : public ClientError {
  public:
    using ClientError::ClientError;
};

/// The scheduler gave the task up without running it to an end: status() is notFound (also when
/// the scheduler restarted while the task was in flight), workerDied (what() then says why: see
/// the scheduler's on_worker_death and max_task_retries) or noWorker.
class TaskLost : public ClientError {
  public:
    TaskLost(TaskStatus status, std::string message);
    TaskStatus status() const noexcept { return status_; }

  private:
    TaskStatus status_;
};

/// The client lost its scheduler (no heartbeat echo within the timeout), was disconnected, or
/// the cluster was shut down. Every pending future fails with it, and later calls throw it.
class ClientDisconnected : public ClientError {
  public:
    using ClientError::ClientError;
};

/// The scheduler does not have the object (ObjectResponse objectNotExist).
class ObjectNotFound : public ClientError {
  public:
    using ClientError::ClientError;
};

/// A blocking request (Client::get of an object) got no answer within the client's timeout.
/// The client itself is still usable.
class RequestTimedOut : public ClientError {
  public:
    using ClientError::ClientError;
};

namespace detail {
struct FutureState;
class ClientCore;
}  // namespace detail

/// The eventual result of one task: its bytes, or one of the errors above.
///
/// A Future is a handle to shared state, like std::shared_future: copies refer to the same task,
/// and get() may be called any number of times, from any number of threads. Every method is
/// thread-safe. A Future stays valid after its Client is gone (it then holds the outcome it had,
/// or ClientDisconnected).
class Future {
  public:
    /// An invalid future (valid() is false); every other method needs a valid one.
    Future() = default;

    /// Blocks until the task has an outcome, then returns the result bytes or throws TaskFailed,
    /// TaskCanceled, TaskLost, ObjectNotFound or ClientDisconnected. There is no deadline of its
    /// own (tasks may run for hours): it ends when the task does, or when the client loses its
    /// scheduler (heartbeat timeout) or disconnects. Use waitFor() for a bounded wait.
    std::string get() const;
    /// get(), decoded with fromBytes<T> (see serialization.h); throws DecodeError for bytes of the
    /// wrong shape.
    template <class T>
    T get() const {
        return fromBytes<T>(get());
    }

    /// Waits up to `timeout`; true when the future has an outcome.
    template <class Rep, class Period>
    bool waitFor(const std::chrono::duration<Rep, Period>& timeout) const {
        return waitUntil(std::chrono::steady_clock::now() +
                         std::chrono::ceil<std::chrono::steady_clock::duration>(timeout));
    }
    bool waitUntil(std::chrono::steady_clock::time_point deadline) const;
    /// True when the future has an outcome (get() will not block).
    bool done() const;

    /// Cancels the task, with Scaler 1.9.9's semantics: if the future had no outcome yet, it is
    /// completed at once as TaskCanceled and true is returned; the client then sends
    /// TaskCancel{force=false} to the scheduler in the background. A task already running on a
    /// worker may still run to its end there; its result is discarded (and deleted). Returns
    /// false when the future already had an outcome.
    bool cancel();

    /// The task's id (16 bytes) as sent in Task.taskId.
    const Bytes& taskId() const;
    bool valid() const noexcept { return state_ != nullptr; }

  private:
    friend class detail::ClientCore;
    explicit Future(std::shared_ptr<detail::FutureState> state) : state_(std::move(state)) {}

    std::shared_ptr<detail::FutureState> state_;
};

}  // namespace plexus
