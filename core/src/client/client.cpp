#include "plexus/client.h"

#include "client/client_core.h"
#include "client/future_state.h"

namespace plexus {

// ---- errors -------------------------------------------------------------------------------

TaskFailed::TaskFailed(std::string remoteError)
    : ClientError(remoteError), remoteError_(std::move(remoteError)) {}

TaskLost::TaskLost(TaskStatus status, std::string message)
    : ClientError(std::move(message)), status_(status) {}

// ---- Future -------------------------------------------------------------------------------

namespace {
const detail::FutureState& stateOf(const std::shared_ptr<detail::FutureState>& state) {
    if (!state) throw std::logic_error("use of an invalid plexus::Future");
    return *state;
}
}  // namespace

std::string Future::get() const {
    return detail::joinChunks(*stateOf(state_).get());
}

bool Future::waitUntil(std::chrono::steady_clock::time_point deadline) const {
    return stateOf(state_).waitUntil(deadline);
}

bool Future::done() const {
    return stateOf(state_).done();
}

bool Future::cancel() {
    stateOf(state_);
    if (!state_->fail(TaskCanceled("the task was canceled"))) return false;
    if (auto core = state_->client.lock()) core->cancel(state_->taskId);
    return true;
}

const Bytes& Future::taskId() const {
    return stateOf(state_).taskId;
}

// ---- Client -------------------------------------------------------------------------------

Client::Client(std::shared_ptr<detail::ClientCore> core) : core_(std::move(core)) {}

Result<std::unique_ptr<Client>> Client::connect(ClientOptions options) {
    auto core = detail::ClientCore::start(std::move(options));
    if (!core) return tl::unexpected(core.error());
    return std::unique_ptr<Client>(new Client(std::move(*core)));
}

Client::~Client() {
    core_->close(true, "client disconnected");  // noexcept
}

const Identity& Client::identity() const {
    return core_->identity();
}

ObjectRef Client::put(std::string bytes) {
    return core_->put(std::move(bytes));
}

std::string Client::get(const ObjectRef& object) {
    return core_->get(object);
}

void Client::free(const ObjectRef& object) {
    core_->free(object);
}

Future Client::submitArgs(std::string_view function, std::vector<TaskArg> args) {
    return core_->submit(function, std::move(args));
}

void Client::disconnect() {
    core_->close(true, "client disconnected");
}

bool Client::shutdown() {
    return core_->shutdown();
}

}  // namespace plexus
