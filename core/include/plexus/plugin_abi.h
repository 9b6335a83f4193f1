#pragma once

// The plugin ABI: every plugin shared library exports one C symbol, `plexus_plugin_entry`, that
// returns a pointer to a static descriptor. The loader reads abi_major, abi_minor and struct_size
// before anything else and refuses a plugin built against another major version, or against a
// newer minor version than this core provides.
//
// Behind the descriptor is a C++ factory (TransportFactory or CodecFactory). The C++ types of the
// plugin API are part of the ABI: any incompatible change to transport.h, codec.h, messages.h,
// buffer.h, config.h, result.h or identity.h bumps PLEXUS_PLUGIN_ABI_MAJOR (a test pins their
// hash; 2.0 added the workerCapabilities message, 3.0 Transport::post, 4.0 send limits,
// onBackpressure, ErrorKind::Overloaded and the clientCapabilities message).
// No exception may leave the entry function or a factory.

#include <cstdint>

#define PLEXUS_PLUGIN_ABI_MAJOR 4u
#define PLEXUS_PLUGIN_ABI_MINOR 0u
#define PLEXUS_PLUGIN_ENTRY_SYMBOL "plexus_plugin_entry"

extern "C" {

enum plexus_plugin_kind : std::uint32_t {
    PLEXUS_PLUGIN_TRANSPORT = 1,
    PLEXUS_PLUGIN_CODEC = 2,
};

struct plexus_plugin_descriptor {
    std::uint32_t abi_major;
    std::uint32_t abi_minor;
    std::uint32_t struct_size;  ///< sizeof(plexus_plugin_descriptor) as the plugin saw it
    std::uint32_t kind;         ///< a plexus_plugin_kind
    const char* name;           ///< e.g. "tcp", "capnp": the name a config uses
    const char* version;        ///< the plugin's own version string
    /// const plexus::TransportFactory* or const plexus::CodecFactory*, as `kind` says; static,
    /// owned by the plugin, valid while the library is loaded.
    const void* factory;
};

typedef const plexus_plugin_descriptor* (*plexus_plugin_entry_fn)(void);
}

#define PLEXUS_DETAIL_DEFINE_PLUGIN(KIND, BASE, NAME, VERSION, FACTORY)                       \
    extern "C" __attribute__((visibility("default"))) const plexus_plugin_descriptor*         \
    plexus_plugin_entry(void) noexcept {                                                      \
        static const FACTORY factory;                                                         \
        static const plexus_plugin_descriptor descriptor{PLEXUS_PLUGIN_ABI_MAJOR,             \
                                                         PLEXUS_PLUGIN_ABI_MINOR,             \
                                                         sizeof(plexus_plugin_descriptor),    \
                                                         KIND,                                \
                                                         NAME,                                \
                                                         VERSION,                             \
                                                         static_cast<const BASE*>(&factory)}; \
        return &descriptor;                                                                   \
    }

/// Defines the entry symbol of a transport plugin. FACTORY derives from plexus::TransportFactory
/// and is default-constructible without throwing. Use once per plugin, in its plugin.cpp.
#define PLEXUS_TRANSPORT_PLUGIN(NAME, VERSION, FACTORY)                                    \
    PLEXUS_DETAIL_DEFINE_PLUGIN(PLEXUS_PLUGIN_TRANSPORT, ::plexus::TransportFactory, NAME, \
                                VERSION, FACTORY)

/// Defines the entry symbol of a codec plugin. FACTORY derives from plexus::CodecFactory.
#define PLEXUS_CODEC_PLUGIN(NAME, VERSION, FACTORY) \
    PLEXUS_DETAIL_DEFINE_PLUGIN(PLEXUS_PLUGIN_CODEC, ::plexus::CodecFactory, NAME, VERSION, FACTORY)
