// Pins the plugin ABI. Plugins are C++: the classes and structs of the headers below are compiled
// into every plugin, so an incompatible change to any of them must bump PLEXUS_PLUGIN_ABI_MAJOR
// (and a compatible addition PLEXUS_PLUGIN_ABI_MINOR), or old plugins would load and misbehave.
// This test makes such a change impossible to miss: it hashes the headers and compares the hash
// with the one recorded for the current ABI version.
//
// Whitespace and line splices (a backslash ending a line of a macro) are removed before hashing,
// so reformatting (clang-format) does not trip it. (Lines up to 3.0 were recorded while splices
// still counted; only the last line is compared with the headers.)
// Comments are kept on purpose: in these headers they state contracts (ownership, threads,
// lifetimes), and changing a contract can break a plugin as surely as changing a signature.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "plexus/plugin_abi.h"
#include "support/test_support.h"

namespace plexus {
namespace {

struct PinnedAbi {
    std::uint32_t major;
    std::uint32_t minor;
    std::uint64_t headerHash;
};

// One line per released ABI version, oldest first. When the headers change: decide whether the
// change is compatible, bump PLEXUS_PLUGIN_ABI_MAJOR (incompatible) or PLEXUS_PLUGIN_ABI_MINOR
// (compatible addition) in plugin_abi.h, and APPEND a line for the new version with the hash the
// failing test prints. Never edit an existing line: that would hide an ABI change.
constexpr PinnedAbi kPinnedAbis[] = {
    {1, 0, 0xf4c856af81e6c700ull},
    {2, 0, 0x93a253ed54370deeull},  // Message gained workerCapabilities (ordinal 24)
    {3, 0, 0xa7816dbe35019c3bull},  // Transport::post (an event loop hosted on the I/O thread)
    {4, 0, 0x52c9965e600760e2ull},  // SendLimits, onBackpressure, Overloaded, clientCapabilities
};

// The headers that make up the plugin ABI, as plugin_abi.h lists them, plus identity.h, which
// transport.h includes for TransportContext::identity.
constexpr const char* kAbiHeaders[] = {
    "plugin_abi.h", "transport.h", "codec.h",  "messages.h",
    "buffer.h",     "result.h",    "config.h", "identity.h",
};

// FNV-1a, 64 bits: simple, stable across platforms and compilers, and good enough to notice an
// edit (this guards against accidents, not against an adversary).
class Fnv1a64 {
  public:
    void add(unsigned char byte) {
        hash_ ^= byte;
        hash_ *= 0x100000001b3ull;
    }
    std::uint64_t value() const { return hash_; }

  private:
    std::uint64_t hash_ = 0xcbf29ce484222325ull;
};

std::string readFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::uint64_t abiHeaderHash() {
    Fnv1a64 hash;
    const auto dir = test::sourceDir() / "core" / "include" / "plexus";
    for (const char* header : kAbiHeaders) {
        const auto file = dir / header;
        const std::string text = readFile(file);
        EXPECT_FALSE(text.empty()) << "cannot read " << file;
        // The file name separates the files, so moving text from one to the next still counts.
        for (const char* c = header; *c != '\0'; ++c) hash.add(static_cast<unsigned char>(*c));
        hash.add(0);
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            const bool splice = c == '\\' && i + 1 < text.size() && text[i + 1] == '\n';
            if (!splice && !std::isspace(static_cast<unsigned char>(c)))
                hash.add(static_cast<unsigned char>(c));
        }
        hash.add(0);
    }
    return hash.value();
}

std::string hex(std::uint64_t value) {
    std::ostringstream out;
    out << "0x" << std::hex;
    out.width(16);
    out.fill('0');
    out << value << "ull";
    return out.str();
}

TEST(AbiPin, CurrentVersionIsRecorded) {
    const PinnedAbi& latest = *std::prev(std::end(kPinnedAbis));
    EXPECT_EQ(latest.major, PLEXUS_PLUGIN_ABI_MAJOR)
        << "plugin_abi.h says ABI " << PLEXUS_PLUGIN_ABI_MAJOR << "." << PLEXUS_PLUGIN_ABI_MINOR
        << " but the last line of kPinnedAbis in " << __FILE__ << " is " << latest.major << "."
        << latest.minor << ": append a line {" << PLEXUS_PLUGIN_ABI_MAJOR << ", "
        << PLEXUS_PLUGIN_ABI_MINOR << ", " << hex(abiHeaderHash()) << "}.";
    EXPECT_EQ(latest.minor, PLEXUS_PLUGIN_ABI_MINOR)
        << "plugin_abi.h says ABI " << PLEXUS_PLUGIN_ABI_MAJOR << "." << PLEXUS_PLUGIN_ABI_MINOR
        << " but the last line of kPinnedAbis in " << __FILE__ << " is " << latest.major << "."
        << latest.minor << ": append a line {" << PLEXUS_PLUGIN_ABI_MAJOR << ", "
        << PLEXUS_PLUGIN_ABI_MINOR << ", " << hex(abiHeaderHash()) << "}.";
}

TEST(AbiPin, RecordedVersionsAreDistinctAndIncreasing) {
    for (std::size_t i = 1; i < std::size(kPinnedAbis); ++i) {
        const PinnedAbi& before = kPinnedAbis[i - 1];
        const PinnedAbi& after = kPinnedAbis[i];
        EXPECT_TRUE(after.major > before.major ||
                    (after.major == before.major && after.minor > before.minor))
            << "kPinnedAbis line " << i << " does not increase the version";
        EXPECT_NE(after.headerHash, before.headerHash)
            << "kPinnedAbis line " << i << " records a new version for unchanged headers";
    }
}

TEST(AbiPin, HeadersMatchTheRecordedHash) {
    const PinnedAbi& latest = *std::prev(std::end(kPinnedAbis));
    const std::uint64_t actual = abiHeaderHash();
    EXPECT_EQ(actual, latest.headerHash)
        << "The plugin ABI headers (core/include/plexus/{plugin_abi,transport,codec,messages,"
           "buffer,result,config,identity}.h) changed, but the plugin ABI version did not.\n"
        << "Plugins built against the old headers would still load. To fix this:\n"
        << "  1. In plugin_abi.h, bump PLEXUS_PLUGIN_ABI_MAJOR for an incompatible change (a "
           "changed or removed member, signature, layout, enum value or contract), or "
           "PLEXUS_PLUGIN_ABI_MINOR for a compatible addition.\n"
        << "  2. Append {<major>, <minor>, " << hex(actual) << "} to kPinnedAbis in " << __FILE__
        << " (never edit an existing line).\n"
        << "Headers hashed: " << latest.major << "." << latest.minor << " recorded "
        << hex(latest.headerHash) << ", now " << hex(actual) << ".";
}

}  // namespace
}  // namespace plexus
