#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "accepted_peers.h"
#include "plexus/transport.h"
#include "send_meter.h"
#include "zmq_options.h"

namespace plexus::zmq {

/// The ZeroMQ transport: Scaler 1.9.9's framing. In the default pattern (router_dealer), listen()
/// binds a ROUTER (one for every listen call of this transport; each call adds an endpoint);
/// connect() opens one DEALER per address, with ZMQ_ROUTING_ID = this side's identity. One frame
/// = one single-part message. Pattern `pub` is a one-way broadcast instead (below).
///
/// Threads: one I/O thread, started by the constructor, owns every ZeroMQ socket (a socket is
/// used by one thread only), makes every handler call and runs all post()ed work. send(),
/// disconnect() and post() may be called from any thread: they append to a mutex-protected
/// command list and, only when that list was empty, write an eventfd that the I/O thread has in
/// its zmq_poll set, so a burst of sends costs one wake-up. From the I/O thread itself the
/// eventfd is not written: the commands run before that thread blocks again. listen() and
/// connect() run on the I/O thread and wait for it (inline when called from it).
///
/// Links (see accepted_peers.h for the listening side):
///  - A connect()ed link is up from its handshake (monitor ZMQ_EVENT_HANDSHAKE_SUCCEEDED) to
///    ZMQ_EVENT_DISCONNECTED. libzmq reconnects by itself (ZMQ_RECONNECT_IVL/_MAX); frames sent
///    while the link is down wait in the connector and go out, in order, once it is up again
///    (SNDHWM 0, as Scaler: no limit). ZMQ_IMMEDIATE stays off, so frames already handed to libzmq
///    when a connection drops are not discarded but sent on the next one.
///  - With `announce` on, a DEALER sends a hello after each handshake: the two-part message
///    ["", "plexus-hello"], which the ROUTER sees as three frames and never takes for a frame
///    (data is always exactly one part). It lets a plexus listener report the link up before any
///    frame; stock Scaler peers send none and are reported up at their first frame.
///  - Protocol version: each socket carries the ZMTP metadata property X-Plexus-Protocol =
///    kPlexusProtocolVersion (ZMQ_METADATA, READY command), which libzmq attaches to every message
///    it receives from that peer. A listener checks it at the first message of each connection:
///    absent (a stock Scaler peer) is accepted; another major version is refused with a warning:
///    the peer is never reported up, its messages are dropped, and it is sent the control
///    message ["", "plexus-refused", reason]. A connect()ed side refuses a listener announcing
///    another version the same way (it checks every message): it reports the link down with
///    ErrorKind::Protocol, closes its socket and tries again after reconnect_max_ms.
///    A ROUTER cannot close one of its connections through the ZeroMQ API, which is why the
///    refusal is told to the peer rather than done by closing.
///
/// Pattern `pub` (ZmqOptions::pattern; Scaler's monitor socket): listen() binds a PUB socket
/// (each call adds an endpoint to the same socket), and send() publishes the frame, as one
/// single-part message, to every subscriber connected at that moment: the PeerId is ignored, and
/// there are no links, so the handler is never called and disconnect() does nothing. connect()
/// is refused (ErrorKind::InvalidArgument). Subscribers are anonymous ZeroMQ SUB sockets (a stock
/// `scaler_top` subscribes to everything); one that connects late misses what was sent before,
/// and one that reads too slowly loses messages beyond ZMQ_SNDHWM = pub_sndhwm (a PUB drops, it
/// never blocks), so publishing never waits for a subscriber and its memory stays bounded.
/// send() costs the caller what it costs in the other pattern: a post to the I/O thread.
///
/// Flow control (context.sendLimits): every frame is handed to libzmq without a copy, and a
/// SendMeter per link counts its bytes until libzmq releases them (SNDHWM stays 0, as Scaler's:
/// nothing is ever dropped or blocked for a slow peer). Crossing the watermarks is reported with
/// onBackpressure. An accepted peer past hardLimitBytes is cut off like disconnect() does, with
/// ErrorKind::Overloaded. pauseReadingWhenCongested is not supported: a ROUTER reads every peer
/// through one socket, so this transport keeps reading. ZMQ_RCVHWM is finite (1000 messages),
/// so a side that stops reading does push back on its peer.
///
/// Destruction: sends and disconnects queued before it are carried out (post()ed work is
/// dropped), then every socket is closed with ZMQ_LINGER = linger_ms and the I/O thread joined;
/// the context's termination then waits (up to the linger) for queued frames to be written. No
/// handler call starts after the I/O thread stops. Must not run on the I/O thread.
class ZmqTransport final : public Transport {
  public:
    /// Throws if the context, the eventfd or the I/O thread cannot be made (the factory catches).
    ZmqTransport(const TransportContext& context, ZmqOptions options);
    ~ZmqTransport() override;
    ZmqTransport(const ZmqTransport&) = delete;
    ZmqTransport& operator=(const ZmqTransport&) = delete;

    Result<std::string> listen(std::string_view address) override;
    Result<PeerId> connect(std::string_view address) override;
    void send(const PeerId& peer, Buffer frame) override;
    /// A connect()ed address: closes its DEALER (frames still queued for it are dropped) and
    /// stops reconnecting, until connect() is called again. An accepted peer: reported down at
    /// once and its TCP connection shut down, so that it reconnects (see cutConnection()).
    void disconnect(const PeerId& peer) override;
    void post(std::function<void()> work) override;

  private:
    /// A DEALER for one connect()ed address.
    struct Connector {
        PeerId address;
        std::unique_ptr<::zmq::socket_t> socket;   // null while refused, until retryAt
        std::unique_ptr<::zmq::socket_t> monitor;  // its monitor's PAIR
        bool up = false;
        bool downPending = false;  // DISCONNECTED seen; reported once its frames are read
        std::deque<Buffer> held;   // frames sent while the link is not up (or `socket` is null)
        std::chrono::steady_clock::time_point retryAt;
    };

    struct Command {
        enum class Kind { Send, Disconnect, Call, Stop } kind;
        PeerId peer;
        Buffer frame;
        std::function<void()> call;
    };

    void enqueue(Command command);
    bool onIoThread() const { return std::this_thread::get_id() == thread_.get_id(); }
    template <class Work>
    auto runOnIoThread(Work work) -> decltype(work());

    void runLoop() noexcept;
    void loopOnce();
    bool runCommands();  // false once Stop was seen
    void sendNow(const PeerId& peer, Buffer frame);
    void closeEverything();

    // Listening side (ROUTER).
    Result<std::string> bindRouter(const std::string& address);
    void receiveFromRouter();
    void handleRouterMessage(::zmq::message_t& id, ::zmq::message_t& payload, int parts,
                             std::string_view control);
    void pumpRouterMonitor();
    void reportDowns(std::vector<AcceptedPeers::Down> downs);
    void sendToAccepted(const PeerId& peer, Buffer frame);
    void disconnectAccepted(const PeerId& peer, const Error& reason);
    void cutConnection(const AcceptedPeers::Link& link);

    // Pattern `pub`.
    Result<std::string> bindPublisher(const std::string& address);
    void publish(Buffer frame);

    // Connecting side (DEALERs).
    Result<void> openConnector(Connector& connector);
    void closeConnector(Connector& connector);
    void receiveFromDealer(Connector& connector);
    void pumpDealerMonitor(Connector& connector);
    void finishDown(Connector& connector);
    void refuseListener(Connector& connector, std::string why);
    void sendToConnector(Connector& connector, Buffer frame);
    void flushHeld(Connector& connector);
    void writeToDealer(Connector& connector, Buffer frame);

    /// The meter of the link to `peer`, made on first use. An accepted peer's goes when it goes
    /// down; a connector's lives as long as the connector.
    const std::shared_ptr<SendMeter>& meterOf(const PeerId& peer);
    void reportCongestion(const PeerId& peer, SendMeter& meter);

    /// A monitor PAIR connected to a fresh inproc endpoint that monitors `socket`.
    std::unique_ptr<::zmq::socket_t> monitorOf(::zmq::socket_t& socket, int events);
    void setCommonOptions(::zmq::socket_t& socket);
    Buffer toBuffer(::zmq::message_t&& message) const;

    TransportHandler& handler_;
    const Identity identity_;
    const std::size_t maxFrameBytes_;
    const ZmqOptions options_;
    const SendLimits limits_;

    ::zmq::context_t context_;
    std::atomic<bool> destroying_{false};  // set first thing in the destructor: no work starts
    int wakeFd_ = -1;  // eventfd: written by enqueue() when the command list was empty

    std::mutex mutex_;
    std::vector<Command> commands_;  // guarded by mutex_
    std::vector<Command> running_;   // I/O thread only

    // I/O thread only, from here on.
    bool stopping_ = false;    // from here on the handler is never called
    bool selfQueued_ = false;  // the I/O thread queued commands without writing the eventfd
    std::unique_ptr<::zmq::socket_t> router_;
    std::unique_ptr<::zmq::socket_t> publisher_;  // pattern `pub` only
    std::unique_ptr<::zmq::socket_t> routerMonitor_;
    AcceptedPeers accepted_;
    std::unordered_map<PeerId, std::unique_ptr<Connector>> connectors_;
    std::unordered_map<PeerId, std::shared_ptr<SendMeter>> meters_;
    unsigned monitorCount_ = 0;

    std::thread thread_;  // last: started once everything above exists
};

}  // namespace plexus::zmq
