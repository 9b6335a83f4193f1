#include "scheduler/object_manager.h"

#include "plexus/log.h"

namespace plexus::detail {

ObjectManager::ObjectManager(Outbox& outbox) : outbox_(outbox) {}

void ObjectManager::create(const Identity& owner, ObjectContent content) {
    const std::size_t n = content.ids.size();
    for (std::size_t i = 0; i < n; ++i) {
        Object object;
        object.owner = owner;
        object.type = i < content.types.size() ? content.types[i] : ObjectType::object;
        if (i < content.names.size()) object.name = std::move(content.names[i]);
        if (i < content.payloads.size()) object.chunks = std::move(content.payloads[i]);
        put(content.ids[i], std::move(object));
    }
}

void ObjectManager::put(const Bytes& id, Object object) {
    object.size = 0;
    for (const auto& chunk : object.chunks) object.size += chunk.size();
    auto it = objects_.find(id);
    if (it != objects_.end()) {
        // Same id again (Scaler ids are content hashes, so normally the same bytes): replace.
        totalBytes_ -= it->second.size;
        clearUnfetched(it->second);  // a new object: its owner has not been told about it
        if (it->second.owner != object.owner) {
            auto owned = owned_.find(it->second.owner);
            if (owned != owned_.end()) owned->second.erase(id);
        }
        object.fetchedBy = std::move(it->second.fetchedBy);
        it->second = std::move(object);
    } else {
        it = objects_.emplace(id, std::move(object)).first;
    }
    totalBytes_ += it->second.size;
    owned_[it->second.owner].insert(id);
    stored(id);
}

void ObjectManager::stored(const Bytes& id) {
    auto it = waitingFor_.find(id);
    if (it == waitingFor_.end()) return;
    const std::vector<std::uint64_t> keys = std::move(it->second);
    waitingFor_.erase(it);
    for (auto key : keys) {
        auto w = waiting_.find(key);
        if (w == waiting_.end()) continue;
        if (--w->second.missing == 0) {
            respond(w->second);
            waiting_.erase(w);
        }
    }
}

void ObjectManager::remove(const Identity& requester, const std::vector<Bytes>& ids) {
    std::unordered_map<Identity, std::vector<Bytes>> notices;
    for (const auto& id : ids) {
        auto it = objects_.find(id);
        if (it == objects_.end()) continue;
        if (it->second.owner != requester) {
            logger().warn("{} asked to delete object {} owned by {}; ignored", printable(requester),
                          toHex(id), printable(it->second.owner));
            continue;
        }
        erase(id, notices);
    }
    sendDeleteNotices(notices);
}

void ObjectManager::removeAllOwnedBy(const Identity& owner) {
    auto owned = owned_.find(owner);
    if (owned == owned_.end()) return;
    const std::unordered_set<Bytes> ids = std::move(owned->second);
    owned_.erase(owned);
    std::unordered_map<Identity, std::vector<Bytes>> notices;
    for (const auto& id : ids) erase(id, notices);
    sendDeleteNotices(notices);
}

void ObjectManager::erase(const Bytes& id,
                          std::unordered_map<Identity, std::vector<Bytes>>& notices) {
    auto it = objects_.find(id);
    if (it == objects_.end()) return;
    for (const auto& worker : it->second.fetchedBy) notices[worker].push_back(id);
    totalBytes_ -= it->second.size;
    clearUnfetched(it->second);
    if (auto owned = owned_.find(it->second.owner); owned != owned_.end()) {
        owned->second.erase(id);
        if (owned->second.empty()) owned_.erase(owned);
    }
    objects_.erase(it);
}

void ObjectManager::sendDeleteNotices(std::unordered_map<Identity, std::vector<Bytes>>& notices) {
    // Only workers that fetched an object may cache it; clients never get ObjectInstruction
    // (a stock client dies on it).
    for (auto& [worker, ids] : notices) {
        auto address = workerAddresses_.find(worker);
        if (address == workerAddresses_.end()) continue;
        ObjectInstruction notice{ObjectInstructionType::del, worker, {}};
        notice.objectContent.ids = std::move(ids);
        outbox_.send(address->second, Message(std::move(notice)));
    }
}

void ObjectManager::request(const PeerAddress& requester, bool requesterIsWorker,
                            std::vector<Bytes> ids) {
    Waiting waiting{requester, requesterIsWorker, std::move(ids), 0};
    const std::uint64_t key = nextWaiting_++;
    for (const auto& id : waiting.ids) {
        if (const auto it = objects_.find(id); it != objects_.end()) {
            if (it->second.owner == requester.peer) clearUnfetched(it->second);
            continue;
        }
        auto& list = waitingFor_[id];
        // An id listed twice in one request counts once per listing; both are satisfied together.
        list.push_back(key);
        ++waiting.missing;
    }
    if (waiting.missing == 0) return respond(waiting);
    logger().debug("request from {} waits for {} object(s)", printable(requester.peer),
                   waiting.missing);
    waiting_.emplace(key, std::move(waiting));
}

void ObjectManager::respond(const Waiting& waiting) {
    ObjectResponse response{ObjectResponseType::content, {}};
    auto& content = response.objectContent;
    content.ids = waiting.ids;
    content.types.reserve(waiting.ids.size());
    content.names.reserve(waiting.ids.size());
    content.payloads.reserve(waiting.ids.size());
    for (const auto& id : waiting.ids) {
        auto& object = objects_.at(id);
        content.types.push_back(object.type);
        content.names.push_back(object.name);
        auto& chunks = content.payloads.emplace_back();
        chunks.reserve(object.chunks.size());
        for (const auto& chunk : object.chunks) chunks.push_back(chunk.share());
        if (waiting.requesterIsWorker) object.fetchedBy.insert(waiting.requester.peer);
    }
    if (waiting.requesterIsWorker) workerAddresses_[waiting.requester.peer] = waiting.requester;
    outbox_.send(waiting.requester, Message(std::move(response)));
}

void ObjectManager::forgetPeer(const Identity& peer) {
    for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->second.requester.peer != peer) {
            ++it;
            continue;
        }
        for (const auto& id : it->second.ids) {
            auto waiters = waitingFor_.find(id);
            if (waiters == waitingFor_.end()) continue;
            std::erase(waiters->second, it->first);
            if (waiters->second.empty()) waitingFor_.erase(waiters);
        }
        it = waiting_.erase(it);
    }
    if (workerAddresses_.erase(peer) != 0) {
        for (auto& [id, object] : objects_) object.fetchedBy.erase(peer);
    }
}

void ObjectManager::markUnfetched(const Identity& owner, const std::vector<Bytes>& ids) {
    for (const auto& id : ids) {
        const auto it = objects_.find(id);
        if (it == objects_.end() || it->second.owner != owner || it->second.unfetched ||
            it->second.size == 0)
            continue;
        it->second.unfetched = true;
        unfetched_[owner] += it->second.size;
    }
}

std::size_t ObjectManager::unfetchedBytes(const Identity& owner) const {
    const auto it = unfetched_.find(owner);
    return it == unfetched_.end() ? 0 : it->second;
}

void ObjectManager::clearUnfetched(Object& object) {
    if (!object.unfetched) return;
    object.unfetched = false;
    const auto it = unfetched_.find(object.owner);
    if (it == unfetched_.end()) return;
    it->second -= object.size;
    if (it->second == 0) unfetched_.erase(it);
}

const ObjectManager::Object* ObjectManager::find(const Bytes& id) const {
    auto it = objects_.find(id);
    return it == objects_.end() ? nullptr : &it->second;
}

}  // namespace plexus::detail
