// A codec plugin installed under a transport's file name (plexus_transport_wrongkind.so): the
// loader must notice that the descriptor disagrees with the file name and refuse it rather than
// hand out a CodecFactory as a TransportFactory.

#include <memory>

#include "plexus/codec.h"
#include "plexus/plugin_abi.h"

namespace {

class RefusingCodecFactory final : public plexus::CodecFactory {
  public:
    plexus::Result<std::unique_ptr<plexus::Codec>> create(
        const plexus::CodecContext&) const noexcept override {
        return plexus::fail(plexus::ErrorKind::Internal, "test plugin: never creates a codec");
    }
};

}  // namespace

PLEXUS_CODEC_PLUGIN("wrongkind", "0.0.1-test", RefusingCodecFactory)
