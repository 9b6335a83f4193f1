#pragma once

// YMQ framing (Scaler >= 2.0.2), byte-exact. Each direction of a connection carries:
//
//   'Y' 'M' 'Q' 0x01                  magic, sent by both sides at once on connect/accept
//   u64 LE length L, then L bytes     the sender's identity (the first frame)
//   u64 LE length N, then N bytes     frames, repeated; N may be 0
//
// Lengths are always little-endian, whatever the host order. This file is pure (no I/O, no
// threads): the connection feeds it the bytes it reads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "plexus/buffer.h"
#include "plexus/identity.h"
#include "plexus/result.h"

namespace plexus::tcp {

inline constexpr std::array<std::byte, 4> kMagic{std::byte{'Y'}, std::byte{'M'}, std::byte{'Q'},
                                                 std::byte{0x01}};
inline constexpr std::size_t kLengthHeaderBytes = 8;
/// Identities are "<pid>|<role>|<uuid4 hex>" (about 50 bytes). The bound keeps a peer that has
/// not finished its handshake from making us hold more than this.
inline constexpr std::size_t kMaxIdentityBytes = 4096;

using LengthHeader = std::array<std::byte, kLengthHeaderBytes>;

/// `length` as 8 little-endian bytes.
LengthHeader encodeLength(std::uint64_t length) noexcept;
/// The 8 little-endian bytes at `bytes` as a length.
std::uint64_t decodeLength(std::span<const std::byte, kLengthHeaderBytes> bytes) noexcept;
/// Magic + identity frame: what a side sends first on every new connection.
Buffer encodePreamble(const Identity& identity);

/// Incremental decoder of one direction of a YMQ byte stream. Bytes may arrive split anywhere
/// (one at a time or many frames at once). Every length is checked against its limit before any
/// memory is allocated for it. Each complete frame gets its own exactly-sized Buffer from
/// Buffer::allocate(), so frames are word-aligned and do not pin the reader's chunk.
///
/// After the first error the decoder stays failed and returns that error again.
/// Thread-safety: none; one decoder belongs to one connection.
class FrameDecoder {
  public:
    explicit FrameDecoder(std::size_t maxFrameBytes,
                          std::size_t maxIdentityBytes = kMaxIdentityBytes) noexcept
        : maxFrameBytes_(maxFrameBytes), maxIdentityBytes_(maxIdentityBytes) {}

    /// Consumes all of `input`, appending each completed frame to `frames` (the identity frame
    /// is not a frame: see identity()). On a violation (wrong magic, empty or oversize identity,
    /// frame over maxFrameBytes) returns the error; the frames completed before it are still
    /// appended and valid.
    Result<void> feed(std::span<const std::byte> input, std::vector<Buffer>& frames);

    /// The unfilled tail of the frame being received, when one is in progress (else empty).
    /// A reader may receive straight into it and then call commitDirect(), which avoids a copy
    /// for frames larger than its read chunk.
    std::span<std::byte> directTarget() noexcept;
    /// Records that the first `count` bytes of directTarget() were filled; appends the frame to
    /// `frames` when it is complete. `count` must not exceed directTarget().size().
    void commitDirect(std::size_t count, std::vector<Buffer>& frames);

    /// The peer's identity, once its whole identity frame has arrived.
    const std::optional<Identity>& identity() const noexcept { return identity_; }
    bool handshakeDone() const noexcept { return identity_.has_value(); }
    /// True between frames (after the handshake), i.e. where a clean end of stream may happen.
    bool atFrameBoundary() const noexcept { return state_ == State::Header && headerFill_ == 0; }
    /// Describes where the stream stopped, for a log line about an unexpected end of stream.
    std::string describePosition() const;

  private:
    enum class State { Magic, IdentityHeader, IdentityBody, Header, Body, Failed };

    Result<void> fail(ErrorKind kind, std::string message);
    /// Accumulates header bytes from `input`; true once 8 bytes are there.
    bool takeHeaderBytes(std::span<const std::byte>& input) noexcept;
    void finishBody(std::vector<Buffer>& frames);

    std::size_t maxFrameBytes_;
    std::size_t maxIdentityBytes_;
    State state_ = State::Magic;
    std::size_t magicFill_ = 0;
    LengthHeader header_{};
    std::size_t headerFill_ = 0;
    std::string identityBytes_;
    std::size_t identityLength_ = 0;
    Buffer body_;
    std::size_t bodyFill_ = 0;
    std::optional<Identity> identity_;
    std::optional<Error> error_;
};

}  // namespace plexus::tcp
