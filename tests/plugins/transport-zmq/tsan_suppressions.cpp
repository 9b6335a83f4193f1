// ThreadSanitizer suppressions built into test_transport_zmq (used by a -DPLEXUS_SANITIZE=thread
// build without any TSAN_OPTIONS). libzmq (Debian's, not instrumented) passes messages between
// its threads and ours through lock-free queues TSan cannot see, so every access libzmq makes to
// message memory looks racy, and TSan re-checks whole multi-MiB buffers on each of libzmq's
// send() calls (minutes per large-frame test). Ignore what libzmq's own calls touch; plexus code
// stays fully checked (the zmq plugin annotates the hand-over of the Buffers it gives libzmq).
#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_suppressions() {
    return "called_from_lib:libzmq.so.5\n";
}
#endif
