#pragma once

// Typed helpers over plexus's bytes-in, bytes-out tasks: how common C++ values become the bytes
// of an object (an argument or a result) and back. The formats are fixed and documented, so
// programs in other languages can produce and read them:
//   - arithmetic types and bool: the value's bytes, little-endian, sizeof(T) bytes;
//   - std::string: the bytes themselves;
//   - std::vector<T> of arithmetic T: the elements back to back, little-endian;
//   - std::vector<std::string>: u32 count, then for each element u32 length and the bytes
//     (lengths little-endian).
// fromBytes() throws DecodeError when the bytes do not have the expected shape; in a task this
// becomes a failed task carrying the message.

#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace plexus {

static_assert(std::endian::native == std::endian::little,
              "plexus's value formats assume a little-endian host");

class DecodeError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

template <class T>
struct ValueFormat;  // specialised below; add your own for other types

template <class T>
requires std::is_arithmetic_v<T>
struct ValueFormat<T> {
    static std::string encode(T value) {
        return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
    }
    static T decode(std::string_view bytes) {
        if (bytes.size() != sizeof(T)) {
            throw DecodeError("expected " + std::to_string(sizeof(T)) +
                              " bytes for a number, got " + std::to_string(bytes.size()));
        }
        T value;
        std::memcpy(&value, bytes.data(), sizeof(T));
        return value;
    }
};

template <>
struct ValueFormat<std::string> {
    static std::string encode(const std::string& value) { return value; }
    static std::string decode(std::string_view bytes) { return std::string(bytes); }
};

template <class T>
requires std::is_arithmetic_v<T>
struct ValueFormat<std::vector<T>> {
    static std::string encode(const std::vector<T>& values) {
        return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
    }
    static std::vector<T> decode(std::string_view bytes) {
        if (bytes.size() % sizeof(T) != 0)
            throw DecodeError("byte count is not a multiple of the element size");
        std::vector<T> values(bytes.size() / sizeof(T));
        if (!values.empty()) std::memcpy(values.data(), bytes.data(), bytes.size());
        return values;
    }
};

template <>
struct ValueFormat<std::vector<std::string>> {
    static std::string encode(const std::vector<std::string>& values) {
        std::string out =
            ValueFormat<std::uint32_t>::encode(static_cast<std::uint32_t>(values.size()));
        for (const auto& value : values) {
            out += ValueFormat<std::uint32_t>::encode(static_cast<std::uint32_t>(value.size()));
            out += value;
        }
        return out;
    }
    static std::vector<std::string> decode(std::string_view bytes) {
        auto take = [&bytes](std::size_t n) {
            if (bytes.size() < n) throw DecodeError("truncated list of strings");
            auto part = bytes.substr(0, n);
            bytes.remove_prefix(n);
            return part;
        };
        const auto count = ValueFormat<std::uint32_t>::decode(take(4));
        std::vector<std::string> values;
        for (std::uint32_t i = 0; i < count; ++i) {
            const auto length = ValueFormat<std::uint32_t>::decode(take(4));
            values.emplace_back(take(length));
        }
        if (!bytes.empty()) throw DecodeError("trailing bytes after a list of strings");
        return values;
    }
};

/// The bytes of `value` in its documented format.
template <class T>
std::string toBytes(const T& value) {
    return ValueFormat<std::decay_t<T>>::encode(value);
}
/// `bytes` read back as T; throws DecodeError for bytes of the wrong shape.
template <class T>
T fromBytes(std::string_view bytes) {
    return ValueFormat<std::decay_t<T>>::decode(bytes);
}

}  // namespace plexus
