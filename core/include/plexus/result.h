#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace plexus {

/// What a caller should do about a failure.
enum class ErrorKind {
    InvalidArgument,  ///< the caller passed something unusable: fix the call
    InvalidConfig,    ///< a configuration is wrong: fix the file (message names file, line, key)
    NotFound,         ///< a named thing (plugin, peer, object) does not exist
    AbiMismatch,      ///< a plugin was built against another plugin ABI
    Decode,           ///< bytes from the wire are malformed: drop them, blame the sender
    Protocol,         ///< well-formed but not allowed here (wrong role, wrong version)
    TooLarge,         ///< over a configured size limit
    Disconnected,     ///< the peer is gone: reconnect or re-queue
    Overloaded,       ///< the peer did not read what was sent to it; its link was closed
    Timeout,          ///< a deadline passed
    Io,               ///< an operating-system call failed
    Internal,         ///< a bug in plexus
};

std::string_view errorKindName(ErrorKind kind) noexcept;

struct Error {
    ErrorKind kind = ErrorKind::Internal;
    std::string message;

    /// "<kind>: <message>", for logs.
    std::string describe() const;
};

/// An expected outcome or the Error that prevented it. Failures that are part of normal
/// operation (peer gone, bad input, bad config) travel as values, never as exceptions.
template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string message) {
    return tl::unexpected<Error>(Error{kind, std::move(message)});
}

}  // namespace plexus
