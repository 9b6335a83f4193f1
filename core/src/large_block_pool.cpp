#include "large_block_pool.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace plexus::detail {
namespace {

/// What the process-wide pool may keep. A scheduler passing a 100 MB object to a worker and
/// the worker's 100 MB result back to the client uses four such frames (the object and the
/// result, each received and sent on), all released by the time the next object comes; this
/// keeps all four. MADV_FREE lets the kernel reclaim it under pressure, so an idle process does
/// not pin it.
constexpr std::size_t kProcessCachedBytes = std::size_t{512} << 20;

void advise(std::byte* block, std::size_t capacity, int advice) noexcept {
    // Advice only: a kernel without it (or refusing it) leaves the memory usable as it is.
    (void)::madvise(block, capacity, advice);
}

}  // namespace

LargeBlockPool::~LargeBlockPool() {
    for (const Block& block : cached_) std::free(block.data);
}

LargeBlockPool& LargeBlockPool::process() {
    static auto* pool = new LargeBlockPool(kProcessCachedBytes);  // intentionally never freed
    return *pool;
}

std::size_t LargeBlockPool::capacityFor(std::size_t size) noexcept {
    return (size + kBlockAlignment - 1) / kBlockAlignment * kBlockAlignment;
}

std::byte* LargeBlockPool::acquire(std::size_t size) {
    const std::size_t capacity = capacityFor(size);
    {
        std::lock_guard lock(mutex_);
        // Best fit among blocks at most a quarter larger, so a large block is not tied up by a
        // much smaller buffer.
        auto best = cached_.end();
        for (auto it = cached_.begin(); it != cached_.end(); ++it) {
            if (it->capacity >= capacity && it->capacity <= capacity + capacity / 4 &&
                (best == cached_.end() || it->capacity < best->capacity)) {
                best = it;
            }
        }
        if (best != cached_.end()) {
            std::byte* data = best->data;
            cachedBytes_ -= best->capacity;
            cached_.erase(best);
            return data;
        }
    }
    void* memory = nullptr;
    if (::posix_memalign(&memory, kBlockAlignment, capacity) != 0) throw std::bad_alloc();
    auto* block = static_cast<std::byte*>(memory);
#ifdef MADV_HUGEPAGE
    advise(block, capacity, MADV_HUGEPAGE);
#endif
    return block;
}

void LargeBlockPool::release(std::byte* block, std::size_t size) noexcept {
    const std::size_t capacity = capacityFor(size);
    if (capacity > maxCachedBytes_) {
        std::free(block);
        return;
    }
#ifdef MADV_FREE
    advise(block, capacity, MADV_FREE);
#endif
    std::lock_guard lock(mutex_);
    while (cachedBytes_ + capacity > maxCachedBytes_) {
        std::free(cached_.front().data);
        cachedBytes_ -= cached_.front().capacity;
        cached_.erase(cached_.begin());
    }
    try {
        cached_.push_back(Block{block, capacity});
        cachedBytes_ += capacity;
    } catch (const std::bad_alloc&) {
        std::free(block);  // no room to remember it
    }
}

std::size_t LargeBlockPool::cachedBytes() const {
    std::lock_guard lock(mutex_);
    return cachedBytes_;
}

}  // namespace plexus::detail
