#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "plexus/messages.h"
#include "scheduler/outbox.h"

namespace plexus::detail {

/// The scheduler's object store (Scaler 1.9.9 keeps objects in the scheduler): each object has
/// an owner (a client), a type, a name and its payload chunks. Payload Buffers share the bytes of
/// the frame they arrived in: an object is held once in memory, however many peers fetch it.
///
/// Requests are answered with exactly the requested ids, in the requested order, once every one
/// of them exists; until then they wait (a stock worker matches a response to its request by the
/// exact id list, and a partial answer would make its task hang or fail).
/// Loop thread only.
class ObjectManager {
  public:
    struct Object {
        Identity owner;
        ObjectType type = ObjectType::object;
        Bytes name;
        std::vector<Buffer> chunks;
        std::size_t size = 0;                    ///< payload bytes
        std::unordered_set<Identity> fetchedBy;  ///< workers that may cache it
        bool unfetched = false;  ///< a result its owner was told about and has not requested
    };

    /// `isWorker` tells a worker from a client when deciding who gets delete notices.
    explicit ObjectManager(Outbox& outbox);

    /// Stores the objects in `content` under `owner`. An id already stored is replaced.
    void create(const Identity& owner, ObjectContent content);
    /// Stores one object (used for copies the scheduler makes itself, e.g. graph failures).
    void put(const Bytes& id, Object object);
    /// Drops the listed objects that `requester` owns.
    void remove(const Identity& requester, const std::vector<Bytes>& ids);
    /// Drops every object owned by `owner` (a client that left).
    void removeAllOwnedBy(const Identity& owner);
    /// Answers `ids` to `requester` now if all exist, else when the last one arrives.
    /// `requesterIsWorker` records fetches, so workers get delete notices for what they cache.
    void request(const PeerAddress& requester, bool requesterIsWorker, std::vector<Bytes> ids);
    /// Forgets the waiting requests of a peer that left, and its fetch records.
    void forgetPeer(const Identity& peer);
    /// Records that `owner` was told about the result objects `ids` (a TaskResult): their bytes
    /// count toward unfetchedBytes(owner) until the owner requests or deletes them (or they go
    /// any other way). Ids that do not exist or belong to someone else are ignored.
    void markUnfetched(const Identity& owner, const std::vector<Bytes>& ids);
    /// Bytes of `owner`'s unfetched results (see markUnfetched).
    std::size_t unfetchedBytes(const Identity& owner) const;

    const Object* find(const Bytes& id) const;
    std::size_t count() const { return objects_.size(); }
    std::size_t totalBytes() const { return totalBytes_; }
    std::size_t waitingRequests() const { return waiting_.size(); }

  private:
    struct Waiting {
        PeerAddress requester;
        bool requesterIsWorker = false;
        std::vector<Bytes> ids;
        std::size_t missing = 0;
    };

    void erase(const Bytes& id, std::unordered_map<Identity, std::vector<Bytes>>& notices);
    void sendDeleteNotices(std::unordered_map<Identity, std::vector<Bytes>>& notices);
    void respond(const Waiting& waiting);
    void stored(const Bytes& id);
    void clearUnfetched(Object& object);

    Outbox& outbox_;
    std::unordered_map<Bytes, Object> objects_;
    std::unordered_map<Identity, std::unordered_set<Bytes>> owned_;
    std::unordered_map<Identity, PeerAddress> workerAddresses_;  // for delete notices
    // Waiting requests; each missing id points at the requests waiting for it.
    std::unordered_map<std::uint64_t, Waiting> waiting_;
    std::unordered_map<Bytes, std::vector<std::uint64_t>> waitingFor_;
    std::uint64_t nextWaiting_ = 0;
    std::size_t totalBytes_ = 0;
    std::unordered_map<Identity, std::size_t> unfetched_;  // bytes, per owner; no zero entries
};

}  // namespace plexus::detail
