#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace plexus {

/// The one byte container that moves between transports, codecs and the core.
///
/// A Buffer is a view of bytes kept alive by a shared owner. It is move-only, so that every
/// extra reference is explicit (`share()`, `slice()`); references share the bytes, never copy
/// them. Memory from `allocate()` is aligned to at least 8 bytes, so Cap'n Proto can read a
/// frame in place. The bytes of a Buffer must not change once it has been shared.
///
/// Thread-safety: a Buffer object is not synchronised, but distinct Buffers sharing the same
/// bytes may be used and destroyed on different threads (the owner is reference counted).
class Buffer {
public:
    Buffer() noexcept = default;
    Buffer(Buffer&& other) noexcept;
    Buffer& operator=(Buffer&& other) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() = default;

    /// `size` uninitialised, writable bytes, aligned to alignof(std::max_align_t).
    static Buffer allocate(std::size_t size);
    /// A fresh aligned copy of `bytes`.
    static Buffer copyOf(std::span<const std::byte> bytes);
    static Buffer copyOf(std::string_view bytes);
    /// Takes foreign memory without copying: `owner` keeps [data, data+size) alive and is
    /// released when the last Buffer referring to it goes away.
    static Buffer wrap(std::shared_ptr<const void> owner, const std::byte* data, std::size_t size);

    /// Another reference to the same bytes.
    Buffer share() const { return slice(0, size_); }
    /// A reference to [offset, offset+length) of these bytes; clamps to the end.
    Buffer slice(std::size_t offset, std::size_t length) const;

    const std::byte* data() const noexcept { return data_; }
    /// Writable access; only valid on a Buffer from allocate() that has not been shared yet.
    std::byte* mutableData() noexcept { return const_cast<std::byte*>(data_); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    std::string_view view() const noexcept {
        return {reinterpret_cast<const char*>(data_), size_};
    }
    /// True when data() is 8-byte aligned (Cap'n Proto word alignment).
    bool isWordAligned() const noexcept {
        return (reinterpret_cast<std::uintptr_t>(data_) & 7u) == 0;
    }

private:
    Buffer(std::shared_ptr<const void> owner, const std::byte* data, std::size_t size) noexcept
        : owner_(std::move(owner)), data_(data), size_(size) {}

    std::shared_ptr<const void> owner_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace plexus
