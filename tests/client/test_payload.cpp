// How the client holds a received object until a user thread reads it: large chunks stay
// slices of the frame they arrived in (the bytes are copied once, by get()), small ones are
// copied out so that they do not keep a large frame alive.

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "client/future_state.h"

namespace plexus::detail {
namespace {

/// A frame of `size` bytes of a pattern whose release sets `*released`.
Buffer trackedFrame(std::size_t size, bool* released) {
    auto bytes = std::shared_ptr<std::string>(new std::string(size, '\0'), [released](auto* s) {
        *released = true;
        delete s;
    });
    for (std::size_t i = 0; i < size; ++i) (*bytes)[i] = static_cast<char>('a' + i % 26);
    const auto* data = reinterpret_cast<const std::byte*>(bytes->data());
    return Buffer::wrap(std::move(bytes), data, size);
}

TEST(ClientPayload, LargeChunksAreSharedAndSmallOnesCopied) {
    bool released = false;
    Buffer frame = trackedFrame(300000, &released);
    std::vector<Buffer> chunks;
    chunks.push_back(frame.slice(0, 200000));   // large: kept as a slice of the frame
    chunks.push_back(frame.slice(200000, 10));  // small: copied out
    const Payload payload = holdPayload(std::move(chunks));
    ASSERT_EQ(payload->size(), 2u);
    EXPECT_EQ((*payload)[0].data(), frame.data());
    EXPECT_NE((*payload)[1].data(), frame.data() + 200000);
    EXPECT_TRUE(joinChunks(*payload) == std::string(frame.view().substr(0, 200010)));
    frame = Buffer();
    EXPECT_FALSE(released);  // the large slice still holds it
}

TEST(ClientPayload, ASmallResultDoesNotKeepItsFrameAlive) {
    bool released = false;
    Buffer frame = trackedFrame(1 << 20, &released);
    std::vector<Buffer> chunks;
    chunks.push_back(frame.slice(1000, 16));
    const Payload payload = holdPayload(std::move(chunks));
    const std::string expected(frame.view().substr(1000, 16));
    frame = Buffer();
    EXPECT_TRUE(released);
    EXPECT_EQ(joinChunks(*payload), expected);
}

}  // namespace
}  // namespace plexus::detail
