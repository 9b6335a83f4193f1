# plexus's copy of Scaler 1.9.9's common.capnp. The wire layout (struct and field names, field
# ordinals, types, enum values) must stay exactly that of Scaler 1.9.9: stock Python peers read
# and write these bytes. Only the file ID (which never reaches the wire) and the C++ namespace
# annotation differ. Verify with `capnp compile -ocapnp` against the Scaler file after any edit.
@0xa0fe5263e63aae1a;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("plexus::detail::wire");

enum TaskStatus {
    success @0;
    failed @1;
    canceled @2;
    notFound @3;
    workerDied @4;
    noWorker @5;
    # monitor channel only
    inactive @6;
    running @7;
    canceling @8;
}

# Parallel lists: element i of each list describes one object. Deletes and requests carry only
# objectIds. objectBytes[i] is the object's bytes cut into chunks of at most 2^29-1 bytes (the
# largest capnp Data); readers concatenate them.
struct ObjectContent {
    objectIds @0 :List(Data);
    objectTypes @1 :List(ObjectContentType);
    objectNames @2 :List(Data);
    objectBytes @3 :List(List(Data));

    enum ObjectContentType {
        serializer @0;
        object @1;
    }
}
