// The zmq transport's per-link byte count: watermark crossings, and the hand-over between the
// I/O thread (adds, polls) and libzmq's threads (releases) that must never lose a relief.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "send_meter.h"

namespace plexus::zmq {
namespace {

SendLimits limits(std::size_t high, std::size_t low) {
    SendLimits l;
    l.highWatermarkBytes = high;
    l.lowWatermarkBytes = low;
    return l;
}

TEST(SendMeter, ReportsCongestionOnceWhenTheHighMarkIsReached) {
    SendMeter meter(limits(100, 20));
    EXPECT_FALSE(meter.add(60));
    EXPECT_FALSE(meter.congested());
    EXPECT_TRUE(meter.add(40));  // exactly the high mark
    EXPECT_TRUE(meter.congested());
    EXPECT_FALSE(meter.add(500));  // already congested: no second report
    EXPECT_EQ(meter.bytes(), 600u);
}

TEST(SendMeter, ReleaseToTheLowMarkWakesOnceAndPollRelieves) {
    int wakes = 0;
    SendMeter meter(limits(100, 20));
    meter.setWake([&] { ++wakes; });
    ASSERT_TRUE(meter.add(100));
    EXPECT_FALSE(meter.poll());  // above the low mark: arms the wake-up
    meter.release(50);
    EXPECT_EQ(wakes, 0);  // 50 left, still above 20
    meter.release(30);    // 20 left: the low mark
    EXPECT_EQ(wakes, 1);
    meter.release(20);
    EXPECT_EQ(wakes, 1);  // one wake per arming
    EXPECT_TRUE(meter.poll());
    EXPECT_FALSE(meter.congested());
    EXPECT_FALSE(meter.poll());  // nothing more to report
}

TEST(SendMeter, PollRelievesAtOnceWhenReleasesAlreadyBroughtItDown) {
    int wakes = 0;
    SendMeter meter(limits(100, 20));
    meter.setWake([&] { ++wakes; });
    ASSERT_TRUE(meter.add(120));
    meter.release(110);  // before the I/O thread armed anything
    EXPECT_EQ(wakes, 0);
    EXPECT_TRUE(meter.poll());
    EXPECT_FALSE(meter.congested());
}

TEST(SendMeter, ResetEndsCongestionSilentlyAndKeepsTheCount) {
    int wakes = 0;
    SendMeter meter(limits(100, 20));
    meter.setWake([&] { ++wakes; });
    ASSERT_TRUE(meter.add(150));
    EXPECT_FALSE(meter.poll());
    meter.reset();
    EXPECT_FALSE(meter.congested());
    meter.release(150);
    EXPECT_EQ(wakes, 0);  // nobody is waiting for a relief any more
    EXPECT_FALSE(meter.poll());
    EXPECT_TRUE(meter.add(100));  // the next link can be congested again
}

// Releases race the I/O thread's poll(); whatever the interleaving, the I/O thread ends up told
// (by a wake or by poll() itself) and relieves the meter, every round.
TEST(SendMeter, NoReliefIsLostToARacingRelease) {
    constexpr int kRounds = 2000;
    constexpr std::size_t kFrames = 64;
    std::atomic<int> wakes{0};
    SendMeter meter(limits(kFrames * 10, 10));
    meter.setWake([&] { wakes.fetch_add(1); });
    for (int round = 0; round < kRounds; ++round) {
        bool congested = false;
        for (std::size_t i = 0; i < kFrames; ++i) congested |= meter.add(10);
        ASSERT_TRUE(congested);
        const int wakesBefore = wakes.load();
        std::thread libzmq([&] {
            for (std::size_t i = 0; i < kFrames; ++i) meter.release(10);
        });
        bool relieved = meter.poll();
        libzmq.join();
        // If poll() armed the wake-up, the releases must have fired it.
        if (!relieved) {
            ASSERT_GT(wakes.load(), wakesBefore) << "round " << round << ": relief lost";
            relieved = meter.poll();
        }
        ASSERT_TRUE(relieved) << "round " << round;
        ASSERT_EQ(meter.bytes(), 0u);
    }
}

}  // namespace
}  // namespace plexus::zmq
