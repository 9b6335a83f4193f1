#include "plexus/buffer.h"

#include <cstring>
#include <new>

#include "large_block_pool.h"

namespace plexus {
namespace {

/// Buffers from this size up take their memory from the LargeBlockPool (huge pages, reused
/// blocks); below it the rounding to 2 MiB would waste too much, and malloc serves them well.
constexpr std::size_t kLargeBufferBytes = std::size_t{8} << 20;

}  // namespace

Buffer::Buffer(Buffer&& other) noexcept
    : owner_(std::move(other.owner_)), data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
    if (this != &other) {
        owner_ = std::move(other.owner_);
        data_ = other.data_;
        size_ = other.size_;
        other.data_ = nullptr;
        other.size_ = 0;
    }
    return *this;
}

Buffer Buffer::allocate(std::size_t size) {
    if (size == 0) return {};
    if (size >= kLargeBufferBytes) {
        auto& pool = detail::LargeBlockPool::process();
        std::shared_ptr<std::byte> storage(pool.acquire(size),
                                           [&pool, size](std::byte* p) { pool.release(p, size); });
        const std::byte* data = storage.get();
        return Buffer(std::shared_ptr<const void>(storage, data), data, size);
    }
    // operator new returns memory aligned for std::max_align_t (16 bytes on x86-64), which
    // satisfies Cap'n Proto's 8-byte word alignment.
    std::shared_ptr<std::byte[]> storage(static_cast<std::byte*>(::operator new[](size)),
                                         [](std::byte* p) { ::operator delete[](p); });
    const std::byte* data = storage.get();
    return Buffer(std::shared_ptr<const void>(storage, data), data, size);
}

Buffer Buffer::copyOf(std::span<const std::byte> bytes) {
    Buffer buffer = allocate(bytes.size());
    if (!bytes.empty()) std::memcpy(buffer.mutableData(), bytes.data(), bytes.size());
    return buffer;
}

Buffer Buffer::copyOf(std::string_view bytes) {
    return copyOf(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
}

Buffer Buffer::wrap(std::shared_ptr<const void> owner, const std::byte* data, std::size_t size) {
    return Buffer(std::move(owner), data, size);
}

Buffer Buffer::slice(std::size_t offset, std::size_t length) const {
    if (offset > size_) offset = size_;
    if (length > size_ - offset) length = size_ - offset;
    return Buffer(owner_, data_ + offset, length);
}

}  // namespace plexus
