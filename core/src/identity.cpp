#include "plexus/identity.h"

#include <unistd.h>

#include <mutex>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid.hpp>

namespace plexus {

Identity makeIdentity(std::string_view role) {
    static std::mutex mutex;
    static boost::uuids::random_generator generator;
    boost::uuids::uuid uuid;
    {
        std::lock_guard lock(mutex);
        uuid = generator();
    }
    Identity identity = std::to_string(::getpid());
    identity += '|';
    identity += role;
    identity += '|';
    identity += toHex(std::string_view(reinterpret_cast<const char*>(uuid.data), uuid.size()));
    return identity;
}

std::string printable(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size());
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::string toHex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

}  // namespace plexus
