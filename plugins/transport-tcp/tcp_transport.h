#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "accepted_links.h"
#include "connector.h"
#include "link_env.h"
#include "listener.h"
#include "plexus/transport.h"
#include "tcp_options.h"

namespace plexus::tcp {

/// The YMQ-over-TCP transport (see framing.h for the wire format).
///
/// Threads: one I/O thread, started by the constructor, runs an asio::io_context that owns every
/// socket and timer; every handler call and all post()ed work happen on it. send() and
/// disconnect() may be called from any thread and only post work to it. send() batches: frames
/// are appended to a mutex-protected list and a flush is posted only when the list was empty, so
/// a burst of sends costs one wake-up of the I/O thread, and none from the I/O thread itself
/// (asio queues a post from its own thread privately, behind the running handler), where all the
/// sends of one handler call leave in one gather write per connection. listen() and connect() run
/// their work on the I/O thread and wait for it (or run inline when called from it).
///
/// PeerIds: a connect()ed link is named by its address string; an accepted link by the identity
/// its peer sent. send() looks up connect()ed addresses first.
///
/// Destruction drops post()ed work not yet started, closes every link without calling the
/// handler (after up to 2 s of writing what was queued), stops and joins the I/O thread; no
/// handler call starts after the destructor returns. It must not run on the I/O thread.
class TcpTransport final : public Transport {
  public:
    /// Throws only if the I/O thread cannot be started (the factory catches it).
    TcpTransport(const TransportContext& context, TcpOptions options);
    ~TcpTransport() override;
    TcpTransport(const TcpTransport&) = delete;
    TcpTransport& operator=(const TcpTransport&) = delete;

    Result<std::string> listen(std::string_view address) override;
    Result<PeerId> connect(std::string_view address) override;
    void send(const PeerId& peer, Buffer frame) override;
    /// For an accepted link: closes it (the peer may connect again). For a connect()ed address:
    /// closes the link and stops reconnecting; frames still queued for it are dropped and later
    /// sends to it are dropped as to an unknown peer, until connect() is called again.
    void disconnect(const PeerId& peer) override;
    void post(std::function<void()> work) override;

  private:
    /// Runs `work` on the I/O thread and returns its result.
    template <class Work>
    auto runOnIoThread(Work work) -> decltype(work());
    void flushSends();  // I/O thread
    void shutdown();    // I/O thread: stop accepting, then drain, then close
    void awaitDrained(std::chrono::steady_clock::time_point deadline);  // I/O thread
    void closeEverything();                                             // I/O thread
    void runLoop() noexcept;

    boost::asio::io_context io_;
    std::atomic<bool> destroying_{false};  // set first thing in the destructor: no work starts
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    LinkEnv env_;
    AcceptedLinks accepted_;  // I/O thread only, as are the two members below
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::unordered_map<PeerId, std::shared_ptr<Connector>> connectors_;
    boost::asio::steady_timer drainTimer_{io_};  // paces the drain at shutdown

    std::mutex sendMutex_;
    std::vector<std::pair<PeerId, Buffer>> sendQueue_;  // guarded by sendMutex_
    std::vector<std::pair<PeerId, Buffer>> flushing_;   // I/O thread only

    std::thread thread_;  // last: started once everything above exists
};

}  // namespace plexus::tcp
