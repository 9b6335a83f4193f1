#include "plexus/result.h"

namespace plexus {

std::string_view errorKindName(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::InvalidArgument:
            return "invalid argument";
        case ErrorKind::InvalidConfig:
            return "invalid config";
        case ErrorKind::NotFound:
            return "not found";
        case ErrorKind::AbiMismatch:
            return "ABI mismatch";
        case ErrorKind::Decode:
            return "decode error";
        case ErrorKind::Protocol:
            return "protocol error";
        case ErrorKind::TooLarge:
            return "too large";
        case ErrorKind::Disconnected:
            return "disconnected";
        case ErrorKind::Overloaded:
            return "overloaded";
        case ErrorKind::Timeout:
            return "timeout";
        case ErrorKind::Io:
            return "I/O error";
        case ErrorKind::Internal:
            return "internal error";
    }
    return "unknown error";
}

std::string Error::describe() const {
    std::string text(errorKindName(kind));
    text += ": ";
    text += message;
    return text;
}

}  // namespace plexus
