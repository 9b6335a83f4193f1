#include "client/ids.h"

#include <random>

#include <boost/uuid/detail/md5.hpp>

namespace plexus::detail {

Bytes randomBytes(std::size_t n) {
    thread_local std::mt19937_64 generator{[] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(),
                           device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }()};
    Bytes out(n, '\0');
    for (std::size_t i = 0; i < n; i += 8) {
        std::uint64_t word = generator();
        for (std::size_t j = 0; j < 8 && i + j < n; ++j) {
            out[i + j] = static_cast<char>(word & 0xff);
            word >>= 8;
        }
    }
    return out;
}

Bytes objectIdPrefix(const Identity& identity) {
    boost::uuids::detail::md5 hash;
    hash.process_bytes(identity.data(), identity.size());
    boost::uuids::detail::md5::digest_type digest;
    hash.get_digest(digest);
    // Boost 1.74 hands the digest out as four words whose bytes, read most significant first,
    // are the md5 bytes in their usual order.
    Bytes out;
    out.reserve(kObjectIdPrefixBytes);
    for (std::size_t word = 0; word < kObjectIdPrefixBytes / 4; ++word) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((digest[word] >> shift) & 0xff));
        }
    }
    return out;
}

Bytes newObjectId(const Bytes& prefix) {
    return prefix + randomBytes(kObjectIdBytes - kObjectIdPrefixBytes);
}

Bytes encodeTaskFlags(bool profiling, std::int32_t priority) {
    const auto value = static_cast<std::uint32_t>(priority);
    Bytes out(5, '\0');
    out[0] = profiling ? 1 : 0;
    out[1] = static_cast<char>((value >> 24) & 0xff);
    out[2] = static_cast<char>((value >> 16) & 0xff);
    out[3] = static_cast<char>((value >> 8) & 0xff);
    out[4] = static_cast<char>(value & 0xff);
    return out;
}

}  // namespace plexus::detail
