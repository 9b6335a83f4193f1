#include <gtest/gtest.h>

#include "plexus/buffer.h"

namespace plexus {
namespace {

TEST(Buffer, AllocateIsWordAligned) {
    for (std::size_t size : {1u, 7u, 8u, 1000u, 1u << 20}) {
        Buffer b = Buffer::allocate(size);
        EXPECT_EQ(b.size(), size);
        EXPECT_TRUE(b.isWordAligned());
    }
}

TEST(Buffer, CopyOfHoldsTheBytes) {
    Buffer b = Buffer::copyOf(std::string_view("hello"));
    EXPECT_EQ(b.view(), "hello");
}

TEST(Buffer, ShareAndSliceReferToTheSameBytes) {
    Buffer b = Buffer::copyOf(std::string_view("0123456789"));
    Buffer shared = b.share();
    Buffer middle = b.slice(2, 3);
    EXPECT_EQ(shared.data(), b.data());
    EXPECT_EQ(middle.view(), "234");
    EXPECT_EQ(middle.data(), b.data() + 2);
    // The bytes outlive the original reference.
    b = Buffer();
    EXPECT_EQ(shared.view(), "0123456789");
    EXPECT_EQ(middle.view(), "234");
}

TEST(Buffer, SliceClampsToTheEnd) {
    Buffer b = Buffer::copyOf(std::string_view("abc"));
    EXPECT_EQ(b.slice(1, 100).view(), "bc");
    EXPECT_TRUE(b.slice(5, 1).empty());
}

TEST(Buffer, MoveLeavesSourceEmpty) {
    Buffer a = Buffer::copyOf(std::string_view("xyz"));
    Buffer b = std::move(a);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented moved-from state
    EXPECT_EQ(b.view(), "xyz");
}

TEST(Buffer, WrapReleasesOwnerWithLastReference) {
    bool released = false;
    auto owner = std::shared_ptr<const void>(new int(0), [&released](const void* p) {
        delete static_cast<const int*>(p);
        released = true;
    });
    static const std::byte bytes[4] = {};
    Buffer b = Buffer::wrap(std::move(owner), bytes, 4);
    Buffer s = b.share();
    b = Buffer();
    EXPECT_FALSE(released);
    s = Buffer();
    EXPECT_TRUE(released);
}

}  // namespace
}  // namespace plexus
