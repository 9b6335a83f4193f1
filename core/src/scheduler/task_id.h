#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

namespace plexus::detail {

/// A task id held without a heap allocation when it is at most `kInline` bytes (stock Scaler 1.9.9
/// and plexus clients both use 16-byte ids); a longer id, which the wire allows, goes on the heap.
/// 24 bytes, against 32 plus a heap block for a std::string holding 16 bytes. A value type.
class TaskId {
  public:
    static constexpr std::size_t kInline = 23;

    TaskId() noexcept { setSizeTag(0); }
    explicit TaskId(std::string_view bytes) { assign(bytes); }
    TaskId(const TaskId& other) { assign(other.view()); }
    TaskId(TaskId&& other) noexcept { take(other); }
    TaskId& operator=(const TaskId& other) {
        if (this != &other) {
            TaskId copy(other);
            release();
            take(copy);
        }
        return *this;
    }
    TaskId& operator=(TaskId&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    ~TaskId() { release(); }

    std::string_view view() const noexcept {
        if (!onHeap()) return std::string_view(bytes_, size());
        const Heap heap = heapPart();
        return std::string_view(heap.data, heap.size);
    }
    std::string str() const { return std::string(view()); }
    std::size_t size() const noexcept { return onHeap() ? heapPart().size : sizeTag(); }
    bool onHeap() const noexcept { return sizeTag() == kHeap; }

    friend bool operator==(const TaskId& a, const TaskId& b) noexcept {
        return a.view() == b.view();
    }

  private:
    static constexpr std::uint8_t kHeap = 0xff;

    struct Heap {
        char* data;
        std::size_t size;
    };

    std::uint8_t sizeTag() const noexcept { return static_cast<std::uint8_t>(bytes_[kInline]); }
    void setSizeTag(std::uint8_t tag) noexcept { bytes_[kInline] = static_cast<char>(tag); }
    Heap heapPart() const noexcept {
        Heap heap;
        std::memcpy(&heap, bytes_, sizeof heap);
        return heap;
    }

    void assign(std::string_view bytes) {
        if (bytes.size() <= kInline) {
            std::memcpy(bytes_, bytes.data(), bytes.size());
            setSizeTag(static_cast<std::uint8_t>(bytes.size()));
        } else {
            Heap heap{new char[bytes.size()], bytes.size()};
            std::memcpy(heap.data, bytes.data(), bytes.size());
            std::memcpy(bytes_, &heap, sizeof heap);
            setSizeTag(kHeap);
        }
    }
    /// Moves `other`'s bytes here and leaves it empty. This holds nothing beforehand.
    void take(TaskId& other) noexcept {
        std::memcpy(bytes_, other.bytes_, sizeof bytes_);
        other.setSizeTag(0);
    }
    void release() noexcept {
        if (onHeap()) delete[] heapPart().data;
        setSizeTag(0);
    }

    /// Inline: the id's bytes, then its length in the last byte. On the heap: a Heap, then kHeap
    /// in the last byte.
    char bytes_[kInline + 1];
};

static_assert(sizeof(TaskId) == 24);

}  // namespace plexus::detail

template <>
struct std::hash<plexus::detail::TaskId> {
    std::size_t operator()(const plexus::detail::TaskId& id) const noexcept {
        return std::hash<std::string_view>()(id.view());
    }
};
