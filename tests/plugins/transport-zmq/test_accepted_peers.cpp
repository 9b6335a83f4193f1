// Unit tests of the listening side's bookkeeping: which connection (fd) belongs to which peer.

#include <gtest/gtest.h>

#include "accepted_peers.h"

namespace plexus::zmq {
namespace {

using Arrival = AcceptedPeers::Arrival;

std::vector<PeerId> peersOf(const std::vector<AcceptedPeers::Down>& downs) {
    std::vector<PeerId> peers;
    for (const auto& down : downs) peers.push_back(down.peer);
    return peers;
}

TEST(AcceptedPeers, FirstMessageOfAnAcceptedConnectionIsNew) {
    AcceptedPeers peers;
    EXPECT_EQ(peers.arrival("a", 7), Arrival::Stale);  // no ACCEPTED seen for fd 7
    EXPECT_FALSE(peers.accepted(7));
    EXPECT_EQ(peers.arrival("a", 7), Arrival::New);
    EXPECT_TRUE(peers.adopt("a", 7, "x").empty());
    EXPECT_TRUE(peers.isUp("a"));
    EXPECT_EQ(peers.arrival("a", 7), Arrival::Known);
}

TEST(AcceptedPeers, CloseIsReportedOnlyAfterFinishClosing) {
    AcceptedPeers peers;
    peers.accepted(7);
    peers.adopt("a", 7, "x");
    peers.closed(7);
    // What the connection delivered before closing still counts as its own.
    EXPECT_EQ(peers.arrival("a", 7), Arrival::Known);
    EXPECT_FALSE(peers.isUp("a"));  // but nothing is sent to it any more
    EXPECT_EQ(peersOf(peers.finishClosing()), std::vector<PeerId>{"a"});
    EXPECT_TRUE(peers.finishClosing().empty());
    EXPECT_EQ(peers.arrival("a", 7), Arrival::Stale);
}

TEST(AcceptedPeers, NewerConnectionReplacesTheOlderOne) {
    AcceptedPeers peers;
    peers.accepted(7);
    peers.adopt("a", 7, "x");
    peers.accepted(9);
    ASSERT_EQ(peers.arrival("a", 9), Arrival::New);
    EXPECT_EQ(peersOf(peers.adopt("a", 9, "y")), std::vector<PeerId>{"a"});
    EXPECT_EQ(peers.arrival("a", 9), Arrival::Known);
    EXPECT_EQ(peers.arrival("a", 7), Arrival::Stale);  // the old connection's leftovers
    peers.closed(7);  // the old connection closing later is not the peer going down
    EXPECT_TRUE(peers.finishClosing().empty());
    EXPECT_TRUE(peers.isUp("a"));
}

TEST(AcceptedPeers, ReconnectOnTheSameFdNumber) {
    AcceptedPeers peers;
    peers.accepted(7);
    peers.adopt("a", 7, "x");
    peers.closed(7);
    EXPECT_EQ(peersOf(peers.finishClosing()), std::vector<PeerId>{"a"});
    peers.accepted(7);
    EXPECT_EQ(peers.arrival("a", 7), Arrival::New);
    EXPECT_TRUE(peers.adopt("a", 7, "x2").empty());
    EXPECT_TRUE(peers.isUp("a"));
}

TEST(AcceptedPeers, AReusedFdTakesItsStaleOwnerDown) {
    AcceptedPeers peers;
    peers.accepted(7);
    peers.adopt("a", 7, "x");
    // libzmq reported no close for fd 7, yet it was accepted again: "a" is gone.
    EXPECT_EQ(peers.accepted(7), std::optional<PeerId>("a"));
    EXPECT_FALSE(peers.isUp("a"));
    EXPECT_EQ(peers.arrival("b", 7), Arrival::New);
}

TEST(AcceptedPeers, RefusedConnectionIsDroppedUntilItCloses) {
    AcceptedPeers peers;
    peers.accepted(7);
    EXPECT_TRUE(peers.refuse("a", 7).empty());
    EXPECT_FALSE(peers.isUp("a"));
    EXPECT_EQ(peers.arrival("a", 7), Arrival::Stale);
    peers.closed(7);
    EXPECT_TRUE(peers.finishClosing().empty());  // never up, never reported down
    peers.accepted(7);
    EXPECT_EQ(peers.arrival("a", 7), Arrival::New);
}

TEST(AcceptedPeers, CloseLocallyReturnsTheLinkAndDropsWhatFollows) {
    AcceptedPeers peers;
    peers.accepted(7);
    peers.adopt("a", 7, "endpoint");
    const auto link = peers.closeLocally("a");
    ASSERT_TRUE(link);
    EXPECT_EQ(link->fd, 7);
    EXPECT_EQ(link->endpoint, "endpoint");
    EXPECT_FALSE(peers.isUp("a"));
    EXPECT_EQ(peers.arrival("a", 7), Arrival::Stale);
    EXPECT_FALSE(peers.closeLocally("a"));
    peers.closed(7);
    EXPECT_TRUE(peers.finishClosing().empty());  // already reported by the caller
}

TEST(AcceptedPeers, ManyPeersAreIndependent) {
    AcceptedPeers peers;
    for (int fd = 10; fd < 20; ++fd) {
        peers.accepted(fd);
        peers.adopt("p" + std::to_string(fd), fd, "");
    }
    peers.closed(12);
    EXPECT_EQ(peersOf(peers.finishClosing()), std::vector<PeerId>{"p12"});
    EXPECT_EQ(peers.upCount(), 9u);
    EXPECT_EQ(peers.arrival("p13", 13), Arrival::Known);
}

}  // namespace
}  // namespace plexus::zmq
