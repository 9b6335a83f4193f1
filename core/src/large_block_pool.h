#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace plexus::detail {

/// The memory behind large Buffers (object payloads and the frames that carry them).
///
/// Such a buffer is written once right after it is allocated (a frame read from a socket, an
/// encoded message), so what dominates its cost is not the copy but the kernel handing out
/// fresh pages: faulting them in and zeroing them. Filling fresh 100 MB with 4 KiB pages takes
/// about 4x as long as copying into memory already touched. Two remedies:
/// - every block is aligned to a 2 MiB boundary, a whole number of 2 MiB long, and advised for
///   transparent huge pages (with THP set to `madvise`, Debian's default, nothing else gets
///   them): 50 faults per 100 MB instead of 24,000;
/// - a released block is kept, up to `maxCachedBytes` in all, and handed to the next acquire()
///   of about the same size, so a process passing large objects through reuses pages that are
///   already faulted in and needs no zeroing at all. Cached blocks are marked MADV_FREE: under
///   memory pressure the kernel may take their pages back (a later reuse then faults them in
///   again), so the cache never holds memory the machine needs.
///
/// Thread-safety: acquire() and release() may be called from any thread (a Buffer's last
/// reference may go on any thread).
class LargeBlockPool {
  public:
    /// Block sizes are multiples of this (the x86-64 and arm64 transparent huge page size).
    static constexpr std::size_t kBlockAlignment = std::size_t{2} << 20;

    explicit LargeBlockPool(std::size_t maxCachedBytes) noexcept
        : maxCachedBytes_(maxCachedBytes) {}
    ~LargeBlockPool();
    LargeBlockPool(const LargeBlockPool&) = delete;
    LargeBlockPool& operator=(const LargeBlockPool&) = delete;

    /// The pool Buffer::allocate() uses; never destroyed, so a Buffer released during static
    /// destruction can still return its block.
    static LargeBlockPool& process();

    /// The bytes a block for `size` bytes has: `size` rounded up to kBlockAlignment.
    static std::size_t capacityFor(std::size_t size) noexcept;

    /// A writable, uninitialised block of capacityFor(size) bytes, aligned to kBlockAlignment:
    /// a cached one when one is close enough in size (at most a quarter larger), else a new one.
    /// Throws std::bad_alloc.
    std::byte* acquire(std::size_t size);
    /// Gives back a block acquire(size) returned (with the same `size`). It is cached, evicting
    /// the oldest cached blocks to stay within maxCachedBytes, or freed if it alone exceeds it.
    void release(std::byte* block, std::size_t size) noexcept;

    /// Bytes currently cached (for tests and diagnostics).
    std::size_t cachedBytes() const;

  private:
    struct Block {
        std::byte* data;
        std::size_t capacity;
    };

    const std::size_t maxCachedBytes_;
    mutable std::mutex mutex_;
    std::vector<Block> cached_;  // oldest first
    std::size_t cachedBytes_ = 0;
};

}  // namespace plexus::detail
