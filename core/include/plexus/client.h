#pragma once

// plexus::Client: connect to a scheduler, put and get objects, submit native functions by name,
// and wait for their results through futures. It speaks Scaler 1.9.9's client protocol (see
// docs/protocol.md for the conventions of native tasks), so the scheduler may be plexus's own or
// a stock Scaler 1.9.9 one.
//
//   auto client = plexus::Client::connect({.address = "tcp://127.0.0.1:2345"});
//   if (!client) { ...client.error().describe()... }
//   plexus::Future f = (*client)->submit("add", 2, 3);   // args encoded with toBytes
//   int sum = f.get<int>();

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "plexus/config.h"
#include "plexus/future.h"
#include "plexus/identity.h"
#include "plexus/messages.h"
#include "plexus/result.h"
#include "plexus/serialization.h"

namespace plexus {

/// How a client reaches its scheduler. Defaults are Scaler 1.9.9's.
struct ClientOptions {
    /// The scheduler's address, e.g. "tcp://127.0.0.1:2345".
    std::string address;
    /// The transport and codec plugins (must match the scheduler endpoint's).
    std::string transport = "tcp";
    std::string codec = "capnp";
    /// Searched for plugins before $PLEXUS_PLUGIN_PATH and the install path.
    std::optional<std::filesystem::path> pluginDir;
    /// A heartbeat is sent this often, once the echo of the previous one has arrived.
    std::chrono::milliseconds heartbeatInterval{2000};
    /// No heartbeat echo for this long: the scheduler is gone and every pending future fails with
    /// ClientDisconnected. Also bounds blocking calls (get of an object, shutdown).
    std::chrono::milliseconds timeout{60000};
    /// Largest frame accepted from the scheduler (bounds the largest result or object), and the
    /// largest object put() or submit() accepts.
    std::size_t maxFrameBytes = std::size_t{1} << 30;
    /// The plugins' own configuration subtrees (may be absent).
    ConfigNode transportOptions;
    ConfigNode codecOptions;
    /// Where the endpoint came from, so errors about it name the file and line (set by
    /// fromConfig; absent for options built in code).
    ConfigNode endpointNode;

    /// Reads the `client:` section of a configuration file's root:
    ///   client:
    ///     scheduler: {address, transport, codec, transport_options, codec_options}
    ///     plugin_dir, heartbeat_interval_seconds, timeout_seconds, max_frame_bytes
    /// plugin_dir is resolved against the file's folder. Throws ConfigError naming file, line
    /// and key for unknown keys, wrong types, missing values and values out of range.
    static ClientOptions fromConfig(const ConfigNode& root);
};

/// A handle to an object this client put() into the scheduler: just its id. A value type; a
/// copy names the same object. The object lives until free() or the client disconnects.
class ObjectRef {
  public:
    ObjectRef() = default;
    explicit ObjectRef(Bytes id) : id_(std::move(id)) {}
    /// The object id (24 bytes: 8 derived from the client identity, 16 random).
    const Bytes& id() const noexcept { return id_; }
    bool valid() const noexcept { return !id_.empty(); }
    friend bool operator==(const ObjectRef&, const ObjectRef&) = default;

  private:
    Bytes id_;
};

/// One argument of a task: a reference to an object already put(), or bytes sent as a new
/// object along with the task.
using TaskArg = std::variant<ObjectRef, std::string>;

namespace detail {
class ClientCore;

template <class T>
TaskArg toTaskArg(T&& value) {
    using D = std::decay_t<T>;
    if constexpr (std::is_same_v<D, ObjectRef>) {
        return TaskArg(std::in_place_type<ObjectRef>, std::forward<T>(value));
    } else if constexpr (std::is_same_v<D, std::string>) {
        return TaskArg(std::in_place_type<std::string>, std::forward<T>(value));
    } else if constexpr (std::is_convertible_v<const D&, std::string_view>) {
        return TaskArg(std::in_place_type<std::string>, std::string(std::string_view(value)));
    } else {
        return TaskArg(std::in_place_type<std::string>, toBytes(value));
    }
}
}  // namespace detail

/// A connection to one scheduler.
///
/// Threads: the client runs its own event loop thread (all protocol state lives there) and the
/// transport's I/O thread; no user code runs on either. Every public method is thread-safe and
/// may be called from any number of user threads at once. Methods that send only queue work for
/// the loop and return at once; a burst of calls is coalesced into one wake-up of the loop (and
/// the argument objects of a burst of submits into few messages). get() and shutdown() block the
/// calling thread, with the options' timeout as bound.
///
/// Objects: put() objects live until free() or disconnect. The objects submit() creates for
/// plain arguments, and every task's result object, are deleted by the client as soon as the
/// task has ended and its result was fetched, so the scheduler holds nothing for finished tasks.
///
/// Errors: connect() reports setup failures as values. Later calls throw ClientDisconnected once
/// the client is disconnected or has lost its scheduler; argument mistakes throw
/// std::invalid_argument.
class Client {
  public:
    /// Loads the transport and codec plugins, starts connecting (in the background, retrying)
    /// and sends the first heartbeat. Does not wait for the scheduler (as Scaler 1.9.9): if it
    /// never answers, pending futures fail with ClientDisconnected after `timeout`. Errors:
    /// InvalidArgument (bad options), NotFound / AbiMismatch (plugins), InvalidConfig, Io.
    static Result<std::unique_ptr<Client>> connect(ClientOptions options);

    /// Disconnects (see disconnect()); never throws.
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// This client's identity ("<pid>|Client|<hex>"), the owner of its objects and tasks.
    const Identity& identity() const;

    /// Stores `bytes` in the scheduler as a new object owned by this client.
    ObjectRef put(std::string bytes);
    /// Stores toBytes(value).
    template <class T>
    requires(!std::is_convertible_v<const T&, std::string_view>) ObjectRef put(const T& value) {
        return put(toBytes(value));
    }

    /// Fetches an object's bytes from the scheduler. Blocks up to the options' timeout; throws
    /// RequestTimedOut (e.g. the object was freed: the scheduler waits for an object that does
    /// not exist yet), ObjectNotFound or ClientDisconnected.
    std::string get(const ObjectRef& object);
    template <class T>
    T get(const ObjectRef& object) {
        return fromBytes<T>(get(object));
    }

    /// Deletes an object from the scheduler. If tasks submitted earlier still use it, the delete
    /// is sent when the last of them ends. Unknown or already freed objects are ignored.
    void free(const ObjectRef& object);

    /// Submits `function` (a native function name, see docs/protocol.md) with `args`. Each
    /// argument is an ObjectRef (passed by reference), a string (its bytes), or any value
    /// toBytes() knows (sent as a new object). The argument objects go out before the task on
    /// the same link.
    template <class... A>
    Future submit(std::string_view function, A&&... args) {
        std::vector<TaskArg> list;
        list.reserve(sizeof...(A));
        (list.push_back(detail::toTaskArg(std::forward<A>(args))), ...);
        return submitArgs(function, std::move(list));
    }
    Future submitArgs(std::string_view function, std::vector<TaskArg> args);

    /// One task per element: submit(function, element). A burst like this costs one wake-up.
    template <class T>
    std::vector<Future> map(std::string_view function, const std::vector<T>& singleArgs) {
        std::vector<Future> futures;
        futures.reserve(singleArgs.size());
        for (const auto& arg : singleArgs) futures.push_back(submit(function, arg));
        return futures;
    }
    /// One task per tuple: submit(function, get<0>(t), get<1>(t), ...).
    template <class... A>
    std::vector<Future> map(std::string_view function,
                            const std::vector<std::tuple<A...>>& argTuples) {
        std::vector<Future> futures;
        futures.reserve(argTuples.size());
        for (const auto& tuple : argTuples) {
            futures.push_back(
                std::apply([&](const auto&... args) { return submit(function, args...); }, tuple));
        }
        return futures;
    }

    /// Leaves the scheduler: pending futures fail with ClientDisconnected, their tasks are
    /// cancelled (TaskCancel), every object this client still owns is deleted, then
    /// ClientDisconnect(disconnect) is sent and the link closed. Blocks for at most a few seconds
    /// (bounded by the timeout) while the scheduler confirms and the transport flushes.
    /// Idempotent; later calls to other methods throw ClientDisconnected.
    void disconnect();

    /// Asks the scheduler to shut the whole cluster down (ClientDisconnect(shutdown)) and waits
    /// for its answer, up to the timeout. Returns whether it accepted (false when refused, e.g. a
    /// protected scheduler, or when no answer came: timeout, or the link closed first). Once
    /// accepted the client is closed as by disconnect(), without further messages.
    bool shutdown();

  private:
    explicit Client(std::shared_ptr<detail::ClientCore> core);
    std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace plexus
