#include "conformance/transport_suite.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "plexus/identity.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

std::string text(const Buffer& frame) {
    return std::string(frame.view());
}
Buffer frameOf(const std::string& s) {
    return Buffer::copyOf(s);
}

/// `size` bytes whose value depends on the position, so a misplaced byte shows.
Buffer patterned(std::size_t size, unsigned seed) {
    Buffer buffer = Buffer::allocate(size);
    for (std::size_t i = 0; i < size; ++i) {
        buffer.mutableData()[i] = static_cast<std::byte>((i * 31 + seed + (i >> 13)) & 0xff);
    }
    return buffer;
}

bool samePattern(const Buffer& frame, std::size_t size, unsigned seed) {
    if (frame.size() != size) return false;
    const Buffer expected = patterned(size, seed);
    return size == 0 || std::memcmp(frame.data(), expected.data(), size) == 0;
}

}  // namespace

// ---- RecordingHandler --------------------------------------------------------------------------

void RecordingHandler::enter() {
    std::lock_guard lock(mutex_);
    if (inCall_) contractHeld_ = false;
    if (thread_ == std::thread::id()) thread_ = std::this_thread::get_id();
    if (thread_ != std::this_thread::get_id()) contractHeld_ = false;
    inCall_ = true;
    ++calls_;
}

void RecordingHandler::leave() {
    std::lock_guard lock(mutex_);
    inCall_ = false;
}

void RecordingHandler::onConnected(const PeerId& peer) {
    enter();
    {
        std::lock_guard lock(mutex_);
        ++connected_[peer];
    }
    leave();
}

void RecordingHandler::onDisconnected(const PeerId& peer, const Error& reason) {
    enter();
    {
        std::lock_guard lock(mutex_);
        disconnected_[peer].push_back(reason);
    }
    leave();
}

void RecordingHandler::onFrame(const PeerId& peer, Buffer frame) {
    enter();
    {
        std::unique_lock lock(mutex_);
        released_.wait(lock, [this] { return !holding_; });
        frames_[peer].push_back(std::move(frame));
    }
    leave();
}

void RecordingHandler::onBackpressure(const PeerId& peer, bool congested) {
    enter();
    {
        std::lock_guard lock(mutex_);
        backpressure_[peer].push_back(congested);
    }
    leave();
}

void RecordingHandler::holdFrames() {
    std::lock_guard lock(mutex_);
    holding_ = true;
}

void RecordingHandler::releaseFrames() {
    {
        std::lock_guard lock(mutex_);
        holding_ = false;
    }
    released_.notify_all();
}

std::vector<bool> RecordingHandler::backpressure(const PeerId& peer) const {
    std::lock_guard lock(mutex_);
    const auto it = backpressure_.find(peer);
    return it == backpressure_.end() ? std::vector<bool>{} : it->second;
}

int RecordingHandler::connectedCount(const PeerId& peer) const {
    std::lock_guard lock(mutex_);
    const auto it = connected_.find(peer);
    return it == connected_.end() ? 0 : it->second;
}

int RecordingHandler::disconnectedCount(const PeerId& peer) const {
    std::lock_guard lock(mutex_);
    const auto it = disconnected_.find(peer);
    return it == disconnected_.end() ? 0 : static_cast<int>(it->second.size());
}

int RecordingHandler::totalDisconnects() const {
    std::lock_guard lock(mutex_);
    int total = 0;
    for (const auto& [peer, reasons] : disconnected_) total += static_cast<int>(reasons.size());
    return total;
}

std::set<PeerId> RecordingHandler::connectedPeers() const {
    std::lock_guard lock(mutex_);
    std::set<PeerId> peers;
    for (const auto& [peer, count] : connected_) {
        const auto down = disconnected_.find(peer);
        const int downs = down == disconnected_.end() ? 0 : static_cast<int>(down->second.size());
        if (count > downs) peers.insert(peer);
    }
    return peers;
}

std::size_t RecordingHandler::frameCount(const PeerId& peer) const {
    std::lock_guard lock(mutex_);
    const auto it = frames_.find(peer);
    return it == frames_.end() ? 0 : it->second.size();
}

std::size_t RecordingHandler::totalFrames() const {
    std::lock_guard lock(mutex_);
    std::size_t total = 0;
    for (const auto& [peer, frames] : frames_) total += frames.size();
    return total;
}

std::vector<Buffer> RecordingHandler::takeFrames(const PeerId& peer) {
    std::lock_guard lock(mutex_);
    return std::exchange(frames_[peer], {});
}

std::set<PeerId> RecordingHandler::framePeers() const {
    std::lock_guard lock(mutex_);
    std::set<PeerId> peers;
    for (const auto& [peer, frames] : frames_) {
        if (!frames.empty()) peers.insert(peer);
    }
    return peers;
}

std::vector<Error> RecordingHandler::disconnectReasons(const PeerId& peer) const {
    std::lock_guard lock(mutex_);
    const auto it = disconnected_.find(peer);
    return it == disconnected_.end() ? std::vector<Error>{} : it->second;
}

std::size_t RecordingHandler::calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
}

bool RecordingHandler::contractHeld() const {
    std::lock_guard lock(mutex_);
    return contractHeld_;
}

std::thread::id RecordingHandler::callThread() const {
    std::lock_guard lock(mutex_);
    return thread_;
}

// ---- fixture ------------------------------------------------------------------------------------

void TransportSuite::SetUp() {
    registry_ = makeBuildRegistry();
    auto factory = registry_->transport(GetParam().plugin);
    ASSERT_TRUE(factory) << factory.error().describe();
    factory_ = *factory;
}

TestEndpoint TransportSuite::make(const std::string& role, std::size_t maxFrameBytes,
                                  const SendLimits& limits) {
    TestEndpoint endpoint;
    endpoint.identity = makeIdentity(role);
    endpoint.handler = std::make_unique<RecordingHandler>();
    if (factory_ == nullptr) return endpoint;
    auto created = factory_->create(TransportContext{endpoint.identity, maxFrameBytes,
                                                     endpoint.handler.get(), ConfigNode(), limits});
    EXPECT_TRUE(created) << created.error().describe();
    if (created) endpoint.transport = std::move(*created);
    return endpoint;
}

TestEndpoint TransportSuite::makeServer(std::string& address, std::size_t maxFrameBytes,
                                        const SendLimits& limits) {
    TestEndpoint server = make("Server", maxFrameBytes, limits);
    if (!server.transport) return server;
    auto bound = server.transport->listen(GetParam().listenAddress);
    EXPECT_TRUE(bound) << bound.error().describe();
    if (bound) address = *bound;
    return server;
}

TestEndpoint TransportSuite::makeConnectedClient(TestEndpoint& server, const std::string& address,
                                                 const SendLimits& limits) {
    TestEndpoint client = make("Client", kDefaultMaxFrameBytes, limits);
    if (!client.transport) return client;
    auto peer = client.transport->connect(address);
    EXPECT_TRUE(peer) << peer.error().describe();
    EXPECT_TRUE(waitUntil([&] {
        return client.handler->connectedCount(address) >= 1 &&
               server.handler->connectedCount(client.identity) >= 1;
    })) << "link from "
        << printable(client.identity) << " to " << address << " did not come up";
    return client;
}

}  // namespace plexus::test

// ---- the suite ----------------------------------------------------------------------------------

namespace plexus::test {
namespace {
using namespace std::chrono_literals;
}

TEST_P(TransportSuite, RoundTripBothWays) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    EXPECT_FALSE(address.ends_with(":0")) << "port 0 must be resolved: " << address;

    TestEndpoint client = make("Client");
    ASSERT_TRUE(client.transport);
    auto peer = client.transport->connect(address);
    ASSERT_TRUE(peer) << peer.error().describe();
    EXPECT_EQ(*peer, address);

    client.transport->send(*peer, frameOf("ping"));
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(client.identity) == 1; }));
    EXPECT_EQ(server.handler->framePeers(), std::set<PeerId>{client.identity});
    EXPECT_EQ(text(server.handler->takeFrames(client.identity).at(0)), "ping");

    server.transport->send(client.identity, frameOf("pong"));
    ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == 1; }));
    EXPECT_EQ(client.handler->framePeers(), std::set<PeerId>{address});
    EXPECT_EQ(text(client.handler->takeFrames(address).at(0)), "pong");

    EXPECT_TRUE(server.handler->contractHeld());
    EXPECT_TRUE(client.handler->contractHeld());
}

TEST_P(TransportSuite, RoutesFramesByIdentityAmongPeers) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    constexpr int kClients = 4;
    constexpr int kFramesEach = 5;
    std::vector<TestEndpoint> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(makeConnectedClient(server, address));
        ASSERT_TRUE(clients.back().transport);
    }
    EXPECT_EQ(server.handler->connectedPeers().size(), static_cast<std::size_t>(kClients));

    for (int n = 0; n < kFramesEach; ++n) {
        for (int i = 0; i < kClients; ++i) {
            server.transport->send(clients[i].identity,
                                   frameOf("to " + clients[i].identity + " #" + std::to_string(n)));
            clients[i].transport->send(address, frameOf("from " + clients[i].identity));
        }
    }
    for (auto& client : clients) {
        ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == kFramesEach; }));
        ASSERT_TRUE(
            waitUntil([&] { return server.handler->frameCount(client.identity) == kFramesEach; }));
    }
    for (auto& client : clients) {
        const auto received = client.handler->takeFrames(address);
        for (int n = 0; n < kFramesEach; ++n) {
            EXPECT_EQ(text(received[n]), "to " + client.identity + " #" + std::to_string(n));
        }
        for (const auto& frame : server.handler->takeFrames(client.identity)) {
            EXPECT_EQ(text(frame), "from " + client.identity);
        }
        EXPECT_EQ(client.handler->framePeers(), std::set<PeerId>{});  // all taken, none extra
    }
    EXPECT_EQ(server.handler->totalFrames(), 0u);
}

TEST_P(TransportSuite, PreservesOrderOver10000Frames) {
    constexpr int kFrames = 10000;
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    for (int i = 0; i < kFrames; ++i) {
        client.transport->send(address, frameOf(std::to_string(i)));
        server.transport->send(client.identity, frameOf(std::to_string(i)));
    }
    ASSERT_TRUE(
        waitUntil([&] { return server.handler->frameCount(client.identity) == kFrames; }, 30s));
    ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == kFrames; }, 30s));
    const auto atServer = server.handler->takeFrames(client.identity);
    const auto atClient = client.handler->takeFrames(address);
    for (int i = 0; i < kFrames; ++i) {
        ASSERT_EQ(text(atServer[i]), std::to_string(i)) << "client->server frame " << i;
        ASSERT_EQ(text(atClient[i]), std::to_string(i)) << "server->client frame " << i;
    }
}

TEST_P(TransportSuite, CarriesEmptyAndLargeFramesIntact) {
    constexpr std::size_t kLarge = 16u << 20;
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    const std::vector<std::size_t> sizes{0, kLarge, 0, 1, 65536, 65537, kLarge + 3, 0};
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        client.transport->send(address, patterned(sizes[i], static_cast<unsigned>(i)));
        server.transport->send(client.identity, patterned(sizes[i], static_cast<unsigned>(i)));
    }
    ASSERT_TRUE(waitUntil(
        [&] { return server.handler->frameCount(client.identity) == sizes.size(); }, 60s));
    ASSERT_TRUE(
        waitUntil([&] { return client.handler->frameCount(address) == sizes.size(); }, 60s));
    const auto atServer = server.handler->takeFrames(client.identity);
    const auto atClient = client.handler->takeFrames(address);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        EXPECT_TRUE(samePattern(atServer[i], sizes[i], static_cast<unsigned>(i)))
            << "client->server frame " << i << " of " << sizes[i] << " bytes came as "
            << atServer[i].size() << " bytes";
        EXPECT_TRUE(samePattern(atClient[i], sizes[i], static_cast<unsigned>(i)))
            << "server->client frame " << i << " of " << sizes[i] << " bytes came as "
            << atClient[i].size() << " bytes";
    }
}

TEST_P(TransportSuite, ReportsPeerUpAndDown) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    {
        TestEndpoint client = makeConnectedClient(server, address);
        ASSERT_TRUE(client.transport);
        EXPECT_EQ(client.handler->connectedCount(address), 1);
        EXPECT_EQ(server.handler->connectedCount(client.identity), 1);
        EXPECT_EQ(server.handler->disconnectedCount(client.identity), 0);
        const Identity gone = client.identity;
        client.transport.reset();
        ASSERT_TRUE(waitUntil([&] { return server.handler->disconnectedCount(gone) == 1; }));
        EXPECT_TRUE(server.handler->connectedPeers().empty());
    }

    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);
    server.transport.reset();
    ASSERT_TRUE(waitUntil([&] { return client.handler->disconnectedCount(address) >= 1; }));
    EXPECT_FALSE(client.handler->disconnectReasons(address).at(0).message.empty());
    EXPECT_TRUE(server.handler->contractHeld());
    EXPECT_TRUE(client.handler->contractHeld());
}

TEST_P(TransportSuite, ReconnectsAfterListenerRestartsAndDeliversQueuedFrames) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    server.transport.reset();
    ASSERT_TRUE(waitUntil([&] { return client.handler->disconnectedCount(address) == 1; }));
    for (int i = 0; i < 3; ++i)
        client.transport->send(address, frameOf("queued " + std::to_string(i)));

    TestEndpoint restarted = make("Server");
    ASSERT_TRUE(restarted.transport);
    // Another process could hold the port for a moment; retry until the deadline.
    ASSERT_TRUE(waitUntil([&] { return restarted.transport->listen(address).has_value(); }));

    ASSERT_TRUE(waitUntil(
        [&] {
            return restarted.handler->frameCount(client.identity) == 3 &&
                   client.handler->connectedCount(address) == 2;
        },
        20s));
    const auto frames = restarted.handler->takeFrames(client.identity);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(text(frames[i]), "queued " + std::to_string(i));

    restarted.transport->send(client.identity, frameOf("welcome back"));
    ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == 1; }));
    EXPECT_EQ(text(client.handler->takeFrames(address).at(0)), "welcome back");
}

TEST_P(TransportSuite, QueuesFramesSentBeforeTheListenerExists) {
    std::string address;
    {
        // Learn a free port, then release it.
        TestEndpoint probe = makeServer(address);
        ASSERT_TRUE(probe.transport);
    }
    TestEndpoint client = make("Client");
    ASSERT_TRUE(client.transport);
    auto peer = client.transport->connect(address);
    ASSERT_TRUE(peer) << peer.error().describe();
    for (int i = 0; i < 5; ++i)
        client.transport->send(*peer, frameOf("early " + std::to_string(i)));

    TestEndpoint server = make("Server");
    ASSERT_TRUE(server.transport);
    ASSERT_TRUE(waitUntil([&] { return server.transport->listen(address).has_value(); }));
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(client.identity) == 5; }, 20s));
    const auto frames = server.handler->takeFrames(client.identity);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(text(frames[i]), "early " + std::to_string(i));
    EXPECT_EQ(client.handler->connectedCount(address), 1);
}

TEST_P(TransportSuite, RefusesOversizeFrameAndKeepsServingOthers) {
    constexpr std::size_t kLimit = 1u << 20;
    std::string address;
    TestEndpoint server = makeServer(address, kLimit);
    ASSERT_TRUE(server.transport);
    TestEndpoint offender = makeConnectedClient(server, address);
    TestEndpoint bystander = makeConnectedClient(server, address);
    ASSERT_TRUE(offender.transport && bystander.transport);

    offender.transport->send(address, patterned(kLimit + 1, 1));
    ASSERT_TRUE(
        waitUntil([&] { return server.handler->disconnectedCount(offender.identity) >= 1; }));
    EXPECT_EQ(server.handler->frameCount(offender.identity), 0u);

    // A frame of exactly the limit is fine, and the other link never noticed anything.
    bystander.transport->send(address, patterned(kLimit, 2));
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(bystander.identity) == 1; }));
    EXPECT_TRUE(samePattern(server.handler->takeFrames(bystander.identity).at(0), kLimit, 2));
    server.transport->send(bystander.identity, frameOf("still here"));
    ASSERT_TRUE(waitUntil([&] { return bystander.handler->frameCount(address) == 1; }));
    EXPECT_EQ(server.handler->disconnectedCount(bystander.identity), 0);

    // The offender's side sees its link drop and comes back.
    ASSERT_TRUE(waitUntil([&] { return offender.handler->disconnectedCount(address) >= 1; }));
    offender.transport->send(address, frameOf("small"));
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(offender.identity) == 1; }, 20s));
    EXPECT_EQ(text(server.handler->takeFrames(offender.identity).at(0)), "small");
}

TEST_P(TransportSuite, DropsFramesForUnknownPeer) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    server.transport->send("no such peer", frameOf("lost"));
    server.transport->send(client.identity, frameOf("delivered"));
    ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == 1; }));
    EXPECT_EQ(text(client.handler->takeFrames(address).at(0)), "delivered");
    EXPECT_EQ(server.handler->totalDisconnects(), 0);
}

TEST_P(TransportSuite, SendIsThreadSafe) {
    constexpr int kThreads = 4;
    constexpr int kFramesEach = 2500;
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    std::vector<std::thread> senders;
    for (int t = 0; t < kThreads; ++t) {
        senders.emplace_back([&, t] {
            for (int i = 0; i < kFramesEach; ++i) {
                client.transport->send(address,
                                       frameOf(std::to_string(t) + ":" + std::to_string(i)));
            }
        });
    }
    for (auto& sender : senders) sender.join();
    ASSERT_TRUE(waitUntil(
        [&] { return server.handler->frameCount(client.identity) == kThreads * kFramesEach; },
        30s));
    std::vector<int> next(kThreads, 0);
    for (const auto& frame : server.handler->takeFrames(client.identity)) {
        const std::string s = text(frame);
        const int t = std::stoi(s.substr(0, s.find(':')));
        const int i = std::stoi(s.substr(s.find(':') + 1));
        ASSERT_EQ(i, next[t]) << "frames of sender thread " << t << " out of order";
        ++next[t];
    }
    EXPECT_TRUE(server.handler->contractHeld());
}

TEST_P(TransportSuite, NoHandlerCallAfterDestruction) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    for (int i = 0; i < 2000; ++i) server.transport->send(client.identity, patterned(4096, 7));
    ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) > 0; }));
    client.transport.reset();  // frames still arriving
    const std::size_t callsAtDestruction = client.handler->calls();
    // The server noticing the link drop takes a round trip through the OS; by then any stray
    // call from the destroyed transport would have happened.
    ASSERT_TRUE(waitUntil([&] { return server.handler->disconnectedCount(client.identity) == 1; }));
    server.transport->send(client.identity, frameOf("to nobody"));
    server.transport.reset();
    EXPECT_EQ(client.handler->calls(), callsAtDestruction);
}

}  // namespace plexus::test

namespace plexus::test {

// A process that answers and exits at once (a scheduler acknowledging a shutdown, a worker saying
// goodbye) must not lose what it sent just before its transport went away.
TEST_P(TransportSuite, FramesSentJustBeforeDestructionAreDelivered) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);
    constexpr int kFrames = 200;
    const std::string payload(64 * 1024, 'x');
    for (int i = 0; i < kFrames; ++i) server.transport->send(client.identity, frameOf(payload));
    server.transport.reset();  // destroyed with (most of) those frames still queued
    EXPECT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == kFrames; }))
        << client.handler->frameCount(address) << " of " << kFrames << " frames arrived";
}

}  // namespace plexus::test

namespace plexus::test {

// post(): the way an event loop runs on a transport's I/O thread. Work runs on the thread that
// makes the handler calls (so never at the same time as one), in the order each thread posted
// it, after what that thread sent before; work posted from work runs after it, never inline.
TEST_P(TransportSuite, PostRunsWorkInOrderOnTheIoThread) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);
    const std::thread::id ioThread = server.handler->callThread();
    ASSERT_NE(ioThread, std::thread::id());

    constexpr int kThreads = 2;
    constexpr int kEach = 1000;
    std::mutex mutex;
    std::vector<std::vector<int>> ran(kThreads);
    std::atomic<int> offThread{0};
    std::vector<std::thread> posters;
    for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                server.transport->post([&, t, i] {
                    if (std::this_thread::get_id() != ioThread) ++offThread;
                    std::lock_guard lock(mutex);
                    ran[t].push_back(i);
                });
            }
        });
    }
    for (auto& poster : posters) poster.join();
    ASSERT_TRUE(waitUntil([&] {
        std::lock_guard lock(mutex);
        return ran[0].size() == kEach && ran[1].size() == kEach;
    }));
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kEach; ++i) ASSERT_EQ(ran[t][i], i) << "work of poster " << t;
    }
    EXPECT_EQ(offThread.load(), 0);

    // Work posted from work runs after the work that posted it returned.
    std::vector<std::string> steps;  // I/O thread only until `done`
    std::atomic<bool> done{false};
    server.transport->post([&] {
        steps.push_back("outer begins");
        server.transport->post([&] {
            steps.push_back("inner");
            done = true;
        });
        steps.push_back("outer ends");
    });
    ASSERT_TRUE(waitUntil([&] { return done.load(); }));
    EXPECT_EQ(steps, (std::vector<std::string>{"outer begins", "outer ends", "inner"}));

    // A frame sent before post() leaves before the frames the posted work sends from the I/O
    // thread, and a send there never calls the handler before it returns (the I/O thread is
    // busy with the work, so any call in between would be a re-entrant one).
    constexpr int kRounds = 300;
    std::atomic<int> reentered{0};
    for (int i = 0; i < kRounds; ++i) {
        server.transport->send(client.identity, frameOf(std::to_string(2 * i)));
        server.transport->post([transport = server.transport.get(), handler = server.handler.get(),
                                peer = client.identity, i, &reentered] {
            const std::size_t calls = handler->calls();
            transport->send(peer, frameOf(std::to_string(2 * i + 1)));
            if (handler->calls() != calls) ++reentered;
        });
    }
    ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == 2 * kRounds; }));
    // Frames sent after a post() may pass the work's frames; nothing else may be reordered.
    std::vector<int> position(2 * kRounds, -1);
    const auto frames = client.handler->takeFrames(address);
    for (int at = 0; at < static_cast<int>(frames.size()); ++at) {
        position.at(std::stoi(text(frames[at]))) = at;
    }
    for (int i = 0; i < kRounds; ++i) {
        ASSERT_LT(position[2 * i], position[2 * i + 1]) << "frame " << 2 * i;
        if (i > 0) {
            ASSERT_LT(position[2 * i - 2], position[2 * i]) << "frame " << 2 * i;
            ASSERT_LT(position[2 * i - 1], position[2 * i + 1]) << "frame " << 2 * i + 1;
        }
    }
    EXPECT_EQ(reentered.load(), 0);
    EXPECT_TRUE(server.handler->contractHeld());
}

// Destruction ends posted work: work still queued (here an endless chain that re-posts itself,
// and a backlog behind it) is destroyed without running before the destructor returns, and
// nothing runs after it.
TEST_P(TransportSuite, NoPostedWorkRunsAfterDestruction) {
    std::string address;
    TestEndpoint server = makeServer(address);
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    struct Chain {
        Transport* transport;
        std::shared_ptr<std::atomic<int>> runs;
        void operator()() const {
            ++*runs;
            transport->post(*this);
        }
    };
    auto runs = std::make_shared<std::atomic<int>>(0);
    client.transport->post(Chain{client.transport.get(), runs});
    ASSERT_TRUE(waitUntil([&] { return runs->load() >= 100; }));
    for (int i = 0; i < 1000; ++i) client.transport->post([runs] { ++*runs; });

    const Identity gone = client.identity;
    client.transport.reset();
    const int runsAtDestruction = runs->load();
    EXPECT_EQ(runs.use_count(), 1) << "work the transport did not run is still alive";
    // Time for a stray run to show: the server seeing the link drop takes a trip through the OS.
    ASSERT_TRUE(waitUntil([&] { return server.handler->disconnectedCount(gone) == 1; }));
    EXPECT_EQ(runs->load(), runsAtDestruction);
}

}  // namespace plexus::test

// ---- flow control (SendLimits, onBackpressure) --------------------------------------------------

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

/// Marks small enough that a stalled peer congests a link within a few MiB.
SendLimits smallLimits(std::size_t hardLimitBytes = 0) {
    SendLimits limits;
    limits.highWatermarkBytes = std::size_t{1} << 20;
    limits.lowWatermarkBytes = std::size_t{256} << 10;
    limits.hardLimitBytes = hardLimitBytes;
    return limits;
}

// 128 MiB in 16 KiB frames: more than a stalled receiver's kernel buffers (Linux lets loopback
// receive buffers grow to 32 MiB) and a receiving library's own queue (ZeroMQ holds 1000 frames)
// can absorb, so that the rest has to wait at the sender. The frames share one buffer: the sender
// counts 128 MiB but holds 16 KiB.
constexpr std::size_t kFloodFrameBytes = 16 * 1024;
constexpr std::size_t kFloodFrames = 8192;
constexpr unsigned kFloodSeed = 3;

void flood(Transport& transport, const PeerId& peer) {
    const Buffer frame = patterned(kFloodFrameBytes, kFloodSeed);
    for (std::size_t i = 0; i < kFloodFrames; ++i) transport.send(peer, frame.share());
}

/// `sender` floods `receiver`, whose transport stops reading (its handler blocks); the sender
/// must report the link congested, deliver everything once the receiver reads again, and then
/// report it relieved, exactly once each.
void expectCongestionThenRelief(TestEndpoint& sender, const PeerId& receiverAtSender,
                                TestEndpoint& receiver, const PeerId& senderAtReceiver) {
    receiver.handler->holdFrames();
    flood(*sender.transport, receiverAtSender);
    const bool congested =
        waitUntil([&] { return !sender.handler->backpressure(receiverAtSender).empty(); }, 60s);
    // Nothing can relieve the link while the receiver does not read.
    const std::vector<bool> whileStalled = sender.handler->backpressure(receiverAtSender);
    receiver.handler->releaseFrames();  // before any assertion can end the test
    ASSERT_TRUE(congested) << "the sender never reported the link to a stalled peer congested";
    EXPECT_EQ(whileStalled, std::vector<bool>{true});
    EXPECT_TRUE(waitUntil(
        [&] { return receiver.handler->frameCount(senderAtReceiver) == kFloodFrames; }, 120s))
        << receiver.handler->frameCount(senderAtReceiver) << " of " << kFloodFrames
        << " frames arrived";
    EXPECT_TRUE(
        waitUntil([&] { return sender.handler->backpressure(receiverAtSender).size() >= 2; }, 60s))
        << "the sender never reported the link relieved";
    EXPECT_EQ(sender.handler->backpressure(receiverAtSender), (std::vector<bool>{true, false}));
    std::size_t damaged = 0;
    for (const Buffer& frame : receiver.handler->takeFrames(senderAtReceiver))
        damaged += !samePattern(frame, kFloodFrameBytes, kFloodSeed);
    EXPECT_EQ(damaged, 0u);
    EXPECT_EQ(sender.handler->totalDisconnects(), 0);
    EXPECT_EQ(receiver.handler->totalDisconnects(), 0);
}

}  // namespace

TEST_P(TransportSuite, StalledClientCongestsTheServersLinkUntilItReadsAgain) {
    std::string address;
    TestEndpoint server = makeServer(address, kDefaultMaxFrameBytes, smallLimits());
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address, smallLimits());
    ASSERT_TRUE(client.transport);
    expectCongestionThenRelief(server, client.identity, client, address);
}

TEST_P(TransportSuite, StalledServerCongestsTheClientsLinkUntilItReadsAgain) {
    std::string address;
    TestEndpoint server = makeServer(address, kDefaultMaxFrameBytes, smallLimits());
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address, smallLimits());
    ASSERT_TRUE(client.transport);
    expectCongestionThenRelief(client, address, server, client.identity);
}

TEST_P(TransportSuite, ClosesAnAcceptedLinkPastItsHardLimitAsOverloaded) {
    std::string address;
    TestEndpoint server =
        makeServer(address, kDefaultMaxFrameBytes, smallLimits(std::size_t{8} << 20));
    ASSERT_TRUE(server.transport);
    TestEndpoint client = makeConnectedClient(server, address);
    ASSERT_TRUE(client.transport);

    client.handler->holdFrames();
    flood(*server.transport, client.identity);
    const bool closed =
        waitUntil([&] { return server.handler->disconnectedCount(client.identity) == 1; }, 60s);
    client.handler->releaseFrames();
    ASSERT_TRUE(closed) << "a peer that does not read was never cut off";
    EXPECT_EQ(server.handler->disconnectReasons(client.identity).at(0).kind, ErrorKind::Overloaded);

    // Only that link was closed: the peer connects again and is served.
    ASSERT_TRUE(
        waitUntil([&] { return server.handler->connectedCount(client.identity) == 2; }, 60s))
        << "the peer did not come back";
    client.transport->send(address, frameOf("back"));
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(client.identity) == 1; }));
    EXPECT_EQ(text(server.handler->takeFrames(client.identity).at(0)), "back");
}

}  // namespace plexus::test
