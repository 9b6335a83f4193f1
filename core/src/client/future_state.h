#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "plexus/buffer.h"
#include "plexus/messages.h"

namespace plexus::detail {

class ClientCore;

/// A one-shot outcome: set once (a value or an exception) by the client's loop thread or by a
/// cancelling user thread, read by any number of waiting user threads. Thread-safe.
template <class T>
class Slot {
  public:
    /// Returns false (and changes nothing) if the slot already had an outcome.
    bool set(T value) {
        {
            std::lock_guard lock(mutex_);
            if (done_) return false;
            value_ = std::move(value);
            done_ = true;
        }
        changed_.notify_all();
        return true;
    }
    bool fail(std::exception_ptr error) {
        {
            std::lock_guard lock(mutex_);
            if (done_) return false;
            error_ = std::move(error);
            done_ = true;
        }
        changed_.notify_all();
        return true;
    }
    template <class E>
    bool fail(E error) {
        return fail(std::make_exception_ptr(std::move(error)));
    }

    bool done() const {
        std::lock_guard lock(mutex_);
        return done_;
    }
    bool waitUntil(std::chrono::steady_clock::time_point deadline) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_until(lock, deadline, [this] { return done_; });
    }
    /// Blocks until there is an outcome; returns a copy of the value or rethrows the error.
    T get() const {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return done_; });
        if (error_) std::rethrow_exception(error_);
        return *value_;
    }

  private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    bool done_ = false;
    std::optional<T> value_;
    std::exception_ptr error_;
};

/// An object's bytes as the client received them, shared by every reader: large chunks are
/// slices of the frame they arrived in, so the bytes are copied once, into the std::string that
/// each Future::get() or Client::get() returns. See holdPayload().
using Payload = std::shared_ptr<const std::vector<Buffer>>;

/// Takes an object's chunks from a received message. Chunks of 64 KiB and more are kept as they
/// are (slices of the frame: no copy); smaller ones are copied out, so that a small result
/// does not keep alive a large frame it happened to share with other objects.
Payload holdPayload(std::vector<Buffer> chunks);
/// The payload's bytes in one string.
std::string joinChunks(const std::vector<Buffer>& chunks);

/// The state behind plexus::Future: the result bytes, plus what cancel() needs.
struct FutureState : Slot<Payload> {
    FutureState(Bytes id, std::weak_ptr<ClientCore> owner)
        : taskId(std::move(id)), client(std::move(owner)) {}
    const Bytes taskId;
    const std::weak_ptr<ClientCore> client;  ///< gone once the Client is destroyed
};

}  // namespace plexus::detail
