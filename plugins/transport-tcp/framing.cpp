#include "framing.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace plexus::tcp {

LengthHeader encodeLength(std::uint64_t length) noexcept {
    LengthHeader bytes{};
    for (std::size_t i = 0; i < kLengthHeaderBytes; ++i) {
        bytes[i] = static_cast<std::byte>((length >> (8 * i)) & 0xffu);
    }
    return bytes;
}

std::uint64_t decodeLength(std::span<const std::byte, kLengthHeaderBytes> bytes) noexcept {
    std::uint64_t length = 0;
    for (std::size_t i = 0; i < kLengthHeaderBytes; ++i) {
        length |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
    }
    return length;
}

Buffer encodePreamble(const Identity& identity) {
    Buffer preamble = Buffer::allocate(kMagic.size() + kLengthHeaderBytes + identity.size());
    std::byte* out = preamble.mutableData();
    std::memcpy(out, kMagic.data(), kMagic.size());
    out += kMagic.size();
    const LengthHeader header = encodeLength(identity.size());
    std::memcpy(out, header.data(), header.size());
    out += header.size();
    if (!identity.empty()) std::memcpy(out, identity.data(), identity.size());
    return preamble;
}

Result<void> FrameDecoder::fail(ErrorKind kind, std::string message) {
    state_ = State::Failed;
    error_ = Error{kind, std::move(message)};
    return tl::unexpected<Error>(*error_);
}

bool FrameDecoder::takeHeaderBytes(std::span<const std::byte>& input) noexcept {
    const std::size_t take = std::min(input.size(), kLengthHeaderBytes - headerFill_);
    std::memcpy(header_.data() + headerFill_, input.data(), take);
    headerFill_ += take;
    input = input.subspan(take);
    if (headerFill_ < kLengthHeaderBytes) return false;
    headerFill_ = 0;
    return true;
}

void FrameDecoder::finishBody(std::vector<Buffer>& frames) {
    frames.push_back(std::move(body_));
    body_ = Buffer();
    bodyFill_ = 0;
    state_ = State::Header;
}

Result<void> FrameDecoder::feed(std::span<const std::byte> input, std::vector<Buffer>& frames) {
    while (!input.empty() || state_ == State::Failed) {
        switch (state_) {
            case State::Failed:
                return tl::unexpected<Error>(*error_);
            case State::Magic: {
                // Checked byte by byte, so a wrong peer is refused at its first wrong byte.
                if (input.front() != kMagic[magicFill_]) {
                    return fail(ErrorKind::Protocol,
                                fmt::format("wrong magic: byte {} is 0x{:02x}, expected 0x{:02x}",
                                            magicFill_, static_cast<unsigned>(input.front()),
                                            static_cast<unsigned>(kMagic[magicFill_])));
                }
                input = input.subspan(1);
                if (++magicFill_ == kMagic.size()) state_ = State::IdentityHeader;
                break;
            }
            case State::IdentityHeader: {
                if (!takeHeaderBytes(input)) break;
                const std::uint64_t length = decodeLength(header_);
                if (length == 0) return fail(ErrorKind::Protocol, "empty identity frame");
                if (length > maxIdentityBytes_) {
                    return fail(ErrorKind::TooLarge,
                                fmt::format("identity frame of {} bytes exceeds the {}-byte limit",
                                            length, maxIdentityBytes_));
                }
                identityLength_ = static_cast<std::size_t>(length);
                identityBytes_.reserve(identityLength_);
                state_ = State::IdentityBody;
                break;
            }
            case State::IdentityBody: {
                const std::size_t take =
                    std::min(input.size(), identityLength_ - identityBytes_.size());
                identityBytes_.append(reinterpret_cast<const char*>(input.data()), take);
                input = input.subspan(take);
                if (identityBytes_.size() == identityLength_) {
                    identity_ = std::move(identityBytes_);
                    identityBytes_ = std::string();
                    state_ = State::Header;
                }
                break;
            }
            case State::Header: {
                if (!takeHeaderBytes(input)) break;
                const std::uint64_t length = decodeLength(header_);
                if (length > maxFrameBytes_) {
                    return fail(ErrorKind::TooLarge,
                                fmt::format("frame of {} bytes exceeds maxFrameBytes {}", length,
                                            maxFrameBytes_));
                }
                if (length == 0) {
                    frames.emplace_back();
                    break;
                }
                body_ = Buffer::allocate(static_cast<std::size_t>(length));
                bodyFill_ = 0;
                state_ = State::Body;
                break;
            }
            case State::Body: {
                const std::size_t take = std::min(input.size(), body_.size() - bodyFill_);
                std::memcpy(body_.mutableData() + bodyFill_, input.data(), take);
                bodyFill_ += take;
                input = input.subspan(take);
                if (bodyFill_ == body_.size()) finishBody(frames);
                break;
            }
        }
    }
    return {};
}

std::span<std::byte> FrameDecoder::directTarget() noexcept {
    if (state_ != State::Body) return {};
    return {body_.mutableData() + bodyFill_, body_.size() - bodyFill_};
}

void FrameDecoder::commitDirect(std::size_t count, std::vector<Buffer>& frames) {
    bodyFill_ += std::min(count, body_.size() - bodyFill_);
    if (state_ == State::Body && bodyFill_ == body_.size()) finishBody(frames);
}

std::string FrameDecoder::describePosition() const {
    switch (state_) {
        case State::Magic:
            return fmt::format("in the magic ({} of {} bytes)", magicFill_, kMagic.size());
        case State::IdentityHeader:
            return fmt::format("in the identity length ({} of 8 bytes)", headerFill_);
        case State::IdentityBody:
            return fmt::format("in the identity ({} of {} bytes)", identityBytes_.size(),
                               identityLength_);
        case State::Header:
            if (headerFill_ == 0) return "at a frame boundary";
            return fmt::format("in a frame length ({} of 8 bytes)", headerFill_);
        case State::Body:
            return fmt::format("in a frame ({} of {} bytes)", bodyFill_, body_.size());
        case State::Failed:
            return "after a protocol error";
    }
    return "?";
}

}  // namespace plexus::tcp
