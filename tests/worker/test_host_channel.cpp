// The worker <-> task process channel over a socketpair in this process: frames, the refusal of
// bad headers before anything is allocated, the ends of the other side, and the body codecs.

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "worker/host_channel.h"

namespace plexus::detail {
namespace {

constexpr std::size_t kMax = 64 << 20;

// Two connected channels.
struct Pair {
    Pair(std::size_t max = kMax) {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        worker = std::make_unique<HostChannel>(fds[0], max);
        host = std::make_unique<HostChannel>(fds[1], max);
    }
    std::unique_ptr<HostChannel> worker;
    std::unique_ptr<HostChannel> host;
};

std::string receiveBody(HostChannel& channel, const HostFrameHeader& header) {
    std::string body(header.bodyBytes, '\0');
    EXPECT_TRUE(channel.receiveBody(body.data(), body.size()).has_value());
    return body;
}

TEST(HostChannel, FramesCarryTheirPartsConcatenated) {
    Pair pair;
    const std::string_view parts[] = {"ab", "", "cde"};
    ASSERT_TRUE(pair.worker->send(HostFrame::job, parts).has_value());
    ASSERT_TRUE(pair.worker->send(HostFrame::ready, {}).has_value());
    auto header = pair.host->receiveHeader();
    ASSERT_TRUE(header.has_value()) << header.error().describe();
    EXPECT_EQ(header->type, HostFrame::job);
    EXPECT_EQ(header->bodyBytes, 5u);
    EXPECT_EQ(receiveBody(*pair.host, *header), "abcde");
    header = pair.host->receiveHeader();
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->type, HostFrame::ready);
    EXPECT_EQ(header->bodyBytes, 0u);
}

TEST(HostChannel, ALargeFrameCrossesWhileTheOtherSideReads) {
    Pair pair;
    // Far more than a socket buffer, in many parts: the sender waits for the reader.
    std::vector<std::string> chunks;
    for (int i = 0; i < 2000; ++i) chunks.push_back(std::string(10'000 + i, static_cast<char>(i)));
    std::vector<std::string_view> parts(chunks.begin(), chunks.end());
    std::string expected;
    for (const auto& chunk : chunks) expected += chunk;
    std::thread sender(
        [&] { EXPECT_TRUE(pair.worker->send(HostFrame::result, parts).has_value()); });
    auto header = pair.host->receiveHeader();
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->bodyBytes, expected.size());
    EXPECT_TRUE(receiveBody(*pair.host, *header) == expected);
    sender.join();
}

TEST(HostChannel, BadHeadersAreRefusedBeforeTheBody) {
    Pair pair(4096);
    // Over the bound: refused by the sender without sending anything...
    const std::string big(5000, 'x');
    const std::string_view parts[] = {big};
    auto sent = pair.worker->send(HostFrame::result, parts);
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error().kind, ErrorKind::TooLarge);
    // ...and by the receiver, from the header alone.
    const std::uint32_t oversize[4] = {static_cast<std::uint32_t>(HostFrame::result), 0, 5000, 0};
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    HostChannel receiver(fds[0], 4096);
    ASSERT_EQ(::write(fds[1], oversize, sizeof(oversize)), static_cast<ssize_t>(sizeof(oversize)));
    auto header = receiver.receiveHeader();
    ASSERT_FALSE(header.has_value());
    EXPECT_EQ(header.error().kind, ErrorKind::TooLarge);

    const std::uint32_t unknown[4] = {99, 0, 0, 0};
    ASSERT_EQ(::write(fds[1], unknown, sizeof(unknown)), static_cast<ssize_t>(sizeof(unknown)));
    header = receiver.receiveHeader();
    ASSERT_FALSE(header.has_value());
    EXPECT_EQ(header.error().kind, ErrorKind::Decode);
    EXPECT_NE(header.error().message.find("99"), std::string::npos);

    // A frame of a type the caller does not expect here.
    ASSERT_TRUE(pair.worker->send(HostFrame::job, {}).has_value());
    static constexpr HostFrame kReady[] = {HostFrame::ready};
    auto small = pair.host->receiveSmall(kReady);
    ASSERT_FALSE(small.has_value());
    EXPECT_EQ(small.error().kind, ErrorKind::Protocol);
    ::close(fds[1]);
}

TEST(HostChannel, TheOtherEndClosingOrShuttingDownIsDisconnected) {
    Pair pair;
    pair.worker.reset();  // closes its end
    auto header = pair.host->receiveHeader();
    ASSERT_FALSE(header.has_value());
    EXPECT_EQ(header.error().kind, ErrorKind::Disconnected);
    auto sent = pair.host->send(HostFrame::ready, {});
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error().kind, ErrorKind::Disconnected);

    Pair other;
    std::thread waiter([&] {
        auto waited = other.host->receiveHeader();
        ASSERT_FALSE(waited.has_value());
        EXPECT_EQ(waited.error().kind, ErrorKind::Disconnected);
    });
    other.host->shutdown();  // from another thread than the one waiting
    waiter.join();
}

TEST(HostChannel, AWaitEndsWhenThePeerProcessExitsEvenIfTheSocketStaysOpen) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(0);
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    ASSERT_GE(pidfd, 0);
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    {
        // fds[1] stays open here, as if a grandchild of the peer held it.
        HostChannel channel(fds[0], kMax, pidfd);
        auto header = channel.receiveHeader();
        ASSERT_FALSE(header.has_value());
        EXPECT_EQ(header.error().kind, ErrorKind::Disconnected);
    }
    ::close(fds[1]);
    ::close(pidfd);
    int status = 0;
    ::waitpid(child, &status, 0);
}

TEST(HostBodies, SetupAndJobRoundTrip) {
    HostSetup setup;
    setup.maxFrameBytes = 12345;
    setup.logLevel = "debug";
    setup.libraries = {"/a/liba.so", "b.so"};
    auto decoded = decodeSetup(encodeSetup(setup));
    ASSERT_TRUE(decoded.has_value()) << decoded.error().describe();
    EXPECT_EQ(decoded->maxFrameBytes, 12345u);
    EXPECT_EQ(decoded->logLevel, "debug");
    EXPECT_EQ(decoded->libraries, setup.libraries);

    std::vector<Buffer> arguments;
    arguments.push_back(Buffer::copyOf(std::string_view("first")));
    arguments.push_back(Buffer());
    arguments.push_back(Buffer::copyOf(std::string_view("third")));
    std::string body = encodeJobPrefix("maths.add", arguments);
    for (const auto& argument : arguments) body += argument.view();
    auto job = decodeJob(body);
    ASSERT_TRUE(job.has_value()) << job.error().describe();
    EXPECT_EQ(job->function, "maths.add");
    ASSERT_EQ(job->arguments.size(), 3u);
    EXPECT_EQ(job->arguments[0], "first");
    EXPECT_EQ(job->arguments[1], "");
    EXPECT_EQ(job->arguments[2], "third");
}

TEST(HostBodies, MalformedBodiesAreRefused) {
    std::vector<Buffer> arguments;
    arguments.push_back(Buffer::copyOf(std::string_view("abc")));
    const std::string prefix = encodeJobPrefix("f", arguments);
    for (const std::string& body : {std::string(), prefix,  // the argument's bytes missing
                                    prefix + "abcd",        // one byte too many
                                    prefix.substr(0, 6)}) {
        auto job = decodeJob(body);
        ASSERT_FALSE(job.has_value()) << body.size();
        EXPECT_EQ(job.error().kind, ErrorKind::Decode);
    }
    // An argument count far beyond the body does not allocate for it.
    std::string huge = encodeJobPrefix("f", {});
    const std::uint32_t count = 0xffffffff;
    std::memcpy(huge.data() + 4 + 1, &count, sizeof(count));
    EXPECT_FALSE(decodeJob(huge).has_value());

    HostSetup setup;
    setup.libraries = {"x.so"};
    std::string encoded = encodeSetup(setup);
    EXPECT_EQ(decodeSetup(encoded.substr(0, encoded.size() - 1)).error().kind, ErrorKind::Decode);
    EXPECT_EQ(decodeSetup(encoded + "z").error().kind, ErrorKind::Decode);
    const std::uint32_t otherVersion = kHostProtocolVersion + 1;
    std::memcpy(encoded.data(), &otherVersion, sizeof(otherVersion));
    EXPECT_EQ(decodeSetup(encoded).error().kind, ErrorKind::Protocol);
}

}  // namespace
}  // namespace plexus::detail
