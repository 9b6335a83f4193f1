#pragma once

#include <cstddef>
#include <cstdint>

#include "plexus/identity.h"
#include "plexus/messages.h"

namespace plexus::detail {

/// Lengths fixed by docs/protocol.md (the lengths of Scaler 1.9.9's ids).
inline constexpr std::size_t kTaskIdBytes = 16;
inline constexpr std::size_t kObjectIdBytes = 24;
inline constexpr std::size_t kObjectIdPrefixBytes = 8;

/// `n` random bytes from a per-thread generator seeded by std::random_device. Thread-safe.
Bytes randomBytes(std::size_t n);

/// The 8 bytes an object id of `identity`'s starts with: md5(identity)[:8], as Scaler 1.9.9
/// derives the prefix, so ids show which client made them.
Bytes objectIdPrefix(const Identity& identity);

/// A fresh object id: `prefix` (8 bytes) followed by 16 random bytes.
Bytes newObjectId(const Bytes& prefix);

/// Scaler's TaskFlags, struct "!?i": profiling as one byte, priority as a big-endian int32.
Bytes encodeTaskFlags(bool profiling, std::int32_t priority);

}  // namespace plexus::detail
