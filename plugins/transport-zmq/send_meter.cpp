#include "send_meter.h"

namespace plexus::zmq {

bool SendMeter::add(std::size_t bytes) noexcept {
    const std::size_t now = bytes_.fetch_add(bytes) + bytes;
    if (congested_ || now < high_) return false;
    congested_ = true;
    return true;
}

void SendMeter::release(std::size_t bytes) noexcept {
    const std::size_t now = bytes_.fetch_sub(bytes) - bytes;
    // Only the release that claims `watching_` wakes the I/O thread: one wake per arming.
    if (now <= low_ && watching_.load() && watching_.exchange(false)) wake_();
}

bool SendMeter::poll() noexcept {
    if (!congested_) return false;
    if (bytes_.load() > low_) {
        watching_.store(true);
        // A release may have passed the low watermark before it could see `watching_`: check
        // again, and relieve here if no release claimed the wake meanwhile (one that did has
        // woken the I/O thread, whose poll() then relieves).
        if (bytes_.load() > low_ || !watching_.exchange(false)) return false;
    }
    watching_.store(false);
    congested_ = false;
    return true;
}

void SendMeter::reset() noexcept {
    watching_.store(false);
    congested_ = false;
}

}  // namespace plexus::zmq
