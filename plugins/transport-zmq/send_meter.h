#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include "plexus/transport.h"

namespace plexus::zmq {

/// The send-queue count of one link of the zmq transport. libzmq does not say how much it holds
/// for a peer, so the transport counts it: every frame is handed to libzmq as a zero-copy
/// message whose release (libzmq calls back once it has written or dropped the frame) gives its
/// bytes back. So the count is what libzmq still holds of this link's frames; it does not
/// include the few KiB libzmq may have copied into its write batch or the kernel's buffers.
///
/// Threads: add(), poll(), reset() and the congestion state belong to the transport's I/O thread;
/// release() runs on a libzmq I/O thread. When a release brings a congested meter down to the
/// low watermark it calls `wake` (once, until the I/O thread polls again), which must get the I/O
/// thread to call poll(). Shared (shared_ptr) by the transport and every message in flight.
class SendMeter {
  public:
    explicit SendMeter(const SendLimits& limits)
        : high_(limits.highWatermarkBytes), low_(limits.lowWatermarkBytes) {}
    SendMeter(const SendMeter&) = delete;
    SendMeter& operator=(const SendMeter&) = delete;

    /// Set once, before the first add().
    void setWake(std::function<void()> wake) { wake_ = std::move(wake); }

    /// I/O thread: `bytes` more were handed to libzmq. True when this made the link congested
    /// (report it, then poll()).
    bool add(std::size_t bytes) noexcept;
    /// Any thread: libzmq released a frame of `bytes`.
    void release(std::size_t bytes) noexcept;
    /// I/O thread: true when a congested link is relieved now (report it). Otherwise, while
    /// congested, arranges for `wake` to be called once the count reaches the low watermark.
    bool poll() noexcept;
    /// I/O thread: the link went down, which ends its congestion without a report.
    void reset() noexcept;

    std::size_t bytes() const noexcept { return bytes_.load(); }
    bool congested() const noexcept { return congested_; }

  private:
    const std::size_t high_;
    const std::size_t low_;
    std::function<void()> wake_;
    std::atomic<std::size_t> bytes_{0};
    std::atomic<bool> watching_{false};  // congested and waiting for a release to wake it
    bool congested_ = false;             // I/O thread only
};

}  // namespace plexus::zmq
