// LargeBlockPool: the memory behind large Buffers. What matters is that a released block is
// handed out again (its pages are already faulted in), that the cache stays within its bound,
// and that a block is never reused for a much smaller buffer.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "large_block_pool.h"
#include "plexus/buffer.h"

namespace plexus {
namespace {

using detail::LargeBlockPool;

constexpr std::size_t kMiB = std::size_t{1} << 20;

bool hugePageAligned(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % LargeBlockPool::kBlockAlignment == 0;
}

TEST(LargeBlockPool, BlocksAreWholeHugePagesAndWritable) {
    LargeBlockPool pool(64 * kMiB);
    EXPECT_EQ(LargeBlockPool::capacityFor(1), 2 * kMiB);
    EXPECT_EQ(LargeBlockPool::capacityFor(2 * kMiB), 2 * kMiB);
    EXPECT_EQ(LargeBlockPool::capacityFor(2 * kMiB + 1), 4 * kMiB);
    std::byte* block = pool.acquire(9 * kMiB);
    EXPECT_TRUE(hugePageAligned(block));
    std::memset(block, 0x5a, LargeBlockPool::capacityFor(9 * kMiB));
    pool.release(block, 9 * kMiB);
}

TEST(LargeBlockPool, AReleasedBlockIsReusedForTheSameSize) {
    LargeBlockPool pool(64 * kMiB);
    std::byte* first = pool.acquire(10 * kMiB);
    std::memset(first, 1, 10 * kMiB);
    pool.release(first, 10 * kMiB);
    EXPECT_EQ(pool.cachedBytes(), 10 * kMiB);
    // A slightly different size in the same 2 MiB class gets the same block back.
    std::byte* second = pool.acquire(10 * kMiB - 100);
    EXPECT_EQ(second, first);
    EXPECT_EQ(pool.cachedBytes(), 0u);
    pool.release(second, 10 * kMiB - 100);
}

TEST(LargeBlockPool, ABlockIsNotTiedUpByAMuchSmallerBuffer) {
    LargeBlockPool pool(64 * kMiB);
    std::byte* large = pool.acquire(32 * kMiB);
    pool.release(large, 32 * kMiB);
    std::byte* small = pool.acquire(8 * kMiB);  // 32 MiB is more than a quarter too large
    EXPECT_NE(small, large);
    EXPECT_EQ(pool.cachedBytes(), 32 * kMiB);
    // Best fit among those close enough: a 10 MiB block for 9 MiB, not the 32 MiB one.
    std::byte* ten = pool.acquire(10 * kMiB);
    pool.release(ten, 10 * kMiB);
    EXPECT_EQ(pool.acquire(9 * kMiB), ten);
    pool.release(ten, 9 * kMiB);
    pool.release(small, 8 * kMiB);
}

TEST(LargeBlockPool, TheCacheStaysWithinItsBoundEvictingTheOldest) {
    LargeBlockPool pool(20 * kMiB);
    std::byte* a = pool.acquire(8 * kMiB);
    std::byte* b = pool.acquire(8 * kMiB);
    std::byte* c = pool.acquire(8 * kMiB);
    pool.release(a, 8 * kMiB);
    pool.release(b, 8 * kMiB);
    pool.release(c, 8 * kMiB);  // 24 MiB would exceed 20: `a`, the oldest, is freed
    EXPECT_EQ(pool.cachedBytes(), 16 * kMiB);
    std::byte* again1 = pool.acquire(8 * kMiB);
    std::byte* again2 = pool.acquire(8 * kMiB);
    EXPECT_TRUE((again1 == b && again2 == c) || (again1 == c && again2 == b));
    pool.release(again1, 8 * kMiB);
    pool.release(again2, 8 * kMiB);
    // A block larger than the whole bound is freed at once, and evicts nothing.
    std::byte* huge = pool.acquire(22 * kMiB);
    pool.release(huge, 22 * kMiB);
    EXPECT_EQ(pool.cachedBytes(), 16 * kMiB);
}

TEST(LargeBlockPool, LargeBuffersReuseTheMemoryOfReleasedOnes) {
    const std::size_t size = 24 * kMiB + 8;
    const std::byte* first = nullptr;
    {
        Buffer buffer = Buffer::allocate(size);
        EXPECT_TRUE(hugePageAligned(buffer.data()));
        std::memset(buffer.mutableData(), 7, size);
        first = buffer.data();
        Buffer slice = buffer.slice(size - 8, 8);
        buffer = Buffer();
        EXPECT_EQ(slice.view(), std::string(8, '\7'));  // a slice keeps the block alive
    }
    Buffer next = Buffer::allocate(size);
    EXPECT_EQ(next.data(), first);
    EXPECT_EQ(next.size(), size);
}

}  // namespace
}  // namespace plexus
