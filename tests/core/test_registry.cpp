// Tests of PluginRegistry through the real loader: the plugins under test are real shared
// libraries built for these tests only (tests/core/plugins), found through a search path.

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plexus/config.h"
#include "plexus/plugin_registry.h"
#include "plugin/install_paths.h"
#include "support/test_support.h"

namespace plexus {
namespace {

namespace fs = std::filesystem;

// Where tests/core/plugins puts the test plugins (see tests/core/CMakeLists.txt).
const fs::path kTestPluginDir = PLEXUS_TEST_CORE_PLUGIN_DIR;

fs::path testPlugin(const char* name) {
    return kTestPluginDir / pluginFileName(PluginKind::transport, name);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Sets (or unsets) an environment variable for the life of the object, restoring the old value.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            ::unsetenv(name_.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string name_;
    std::optional<std::string> old_;
};

TransportContext fakeContext(ConfigNode options = {}) {
    return TransportContext{"1|Test|00", 1 << 20, nullptr, std::move(options), {}};
}

TEST(Registry, LoadsAPluginAndItsFactoryCreatesObjects) {
    PluginRegistry registry({kTestPluginDir});
    auto factory = registry.transport("fake");
    ASSERT_TRUE(factory) << factory.error().describe();
    auto transport = (*factory)->create(fakeContext());
    ASSERT_TRUE(transport) << transport.error().describe();
    auto bound = (*transport)->listen("fake://here");
    ASSERT_TRUE(bound);
    EXPECT_EQ(*bound, "fake://here");

    const auto loaded = registry.loaded();
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].kind, PluginKind::transport);
    EXPECT_EQ(loaded[0].name, "fake");
    EXPECT_EQ(loaded[0].version, "0.0.1-test");
    EXPECT_EQ(loaded[0].file, testPlugin("fake"));
}

TEST(Registry, PluginConfigErrorsComeBackAsValues) {
    // The plugin validates its own subtree; the ConfigError it throws stays inside the plugin
    // and comes back as InvalidConfig naming the file, line and key.
    PluginRegistry registry({kTestPluginDir});
    auto factory = registry.transport("fake");
    ASSERT_TRUE(factory) << factory.error().describe();
    const ConfigNode config = parseConfigText("options:\n  bogus: 1\n", "fake.yaml");
    auto transport = (*factory)->create(fakeContext(config["options"]));
    ASSERT_FALSE(transport);
    EXPECT_EQ(transport.error().kind, ErrorKind::InvalidConfig);
    EXPECT_TRUE(contains(transport.error().message, "fake.yaml:2:")) << transport.error().message;
    EXPECT_TRUE(contains(transport.error().message, "options.bogus")) << transport.error().message;
}

TEST(Registry, MissingPluginListsEveryPathTriedInOrder) {
    test::TempDir dir;
    const std::vector<fs::path> searchPath{dir.path() / "first", dir.path() / "second",
                                           kTestPluginDir};
    PluginRegistry registry(searchPath);
    auto factory = registry.transport("nothere");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, ErrorKind::NotFound);
    const std::string& message = factory.error().message;
    std::size_t previous = 0;
    for (const auto& entry : searchPath) {
        const std::string tried = (entry / "plexus_transport_nothere.so").string();
        const std::size_t at = message.find(tried);
        ASSERT_NE(at, std::string::npos) << "should list " << tried << ": " << message;
        EXPECT_GE(at, previous) << "paths should be listed in search order: " << message;
        previous = at;
    }
}

TEST(Registry, SearchPathIsConfigDirThenEnvironmentThenInstallDir) {
    ScopedEnv env("PLEXUS_PLUGIN_PATH", "/env/one::/env/two:");
    const fs::path besideCore = coreLibraryDir() / "plexus" / "plugins";
    EXPECT_EQ(besideCore, test::buildPluginDir())
        << "the build tree lays plugins out as an install does";
    const std::vector<fs::path> expected{"/config/dir", "/env/one", "/env/two", besideCore,
                                         detail::kInstalledPluginDir};
    EXPECT_EQ(pluginSearchPath(fs::path("/config/dir")), expected);

    ScopedEnv unset("PLEXUS_PLUGIN_PATH", nullptr);
    EXPECT_EQ(pluginSearchPath(std::nullopt),
              (std::vector<fs::path>{besideCore, detail::kInstalledPluginDir}));
}

TEST(Registry, NotFoundListsConfigDirEnvironmentAndInstallDir) {
    test::TempDir dir;
    const fs::path configDir = dir.path() / "config";
    const fs::path envOne = dir.path() / "env1";
    const fs::path envTwo = dir.path() / "env2";
    ScopedEnv env("PLEXUS_PLUGIN_PATH", (envOne.string() + ":" + envTwo.string()).c_str());
    PluginRegistry registry(pluginSearchPath(configDir));
    auto factory = registry.codec("nothere");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, ErrorKind::NotFound);
    const std::string& message = factory.error().message;
    std::size_t previous = 0;
    for (const fs::path& entry :
         {configDir, envOne, envTwo, fs::path(detail::kInstalledPluginDir)}) {
        const std::string tried = (entry / "plexus_codec_nothere.so").string();
        const std::size_t at = message.find(tried);
        ASSERT_NE(at, std::string::npos) << "should list " << tried << ": " << message;
        EXPECT_GE(at, previous) << "paths should be listed in search order: " << message;
        previous = at;
    }
}

TEST(Registry, WrongAbiIsAbiMismatchNamingBothVersions) {
    PluginRegistry registry({kTestPluginDir});
    auto factory = registry.transport("badabi");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, ErrorKind::AbiMismatch);
    const std::string& message = factory.error().message;
    const std::string plugins = std::to_string(PLEXUS_PLUGIN_ABI_MAJOR + 1) + ".0";
    const std::string ours =
        std::to_string(PLEXUS_PLUGIN_ABI_MAJOR) + "." + std::to_string(PLEXUS_PLUGIN_ABI_MINOR);
    EXPECT_TRUE(contains(message, plugins)) << message;
    EXPECT_TRUE(contains(message, ours)) << message;
    EXPECT_TRUE(contains(message, testPlugin("badabi").string())) << message;
    EXPECT_TRUE(registry.loaded().empty());
}

TEST(Registry, PluginOfAnotherKindIsInvalidArgument) {
    PluginRegistry registry({kTestPluginDir});
    auto factory = registry.transport("wrongkind");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, ErrorKind::InvalidArgument);
    EXPECT_TRUE(contains(factory.error().message, "codec")) << factory.error().message;
    EXPECT_TRUE(registry.loaded().empty());
}

TEST(Registry, LibraryWithoutEntrySymbolIsRefused) {
    PluginRegistry registry({kTestPluginDir});
    auto factory = registry.transport("noentry");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, ErrorKind::InvalidArgument);
    EXPECT_TRUE(contains(factory.error().message, PLEXUS_PLUGIN_ENTRY_SYMBOL))
        << factory.error().message;
    EXPECT_TRUE(contains(factory.error().message, testPlugin("noentry").string()));
}

TEST(Registry, FileThatIsNotALibraryIsRefused) {
    PluginRegistry registry({kTestPluginDir});
    auto factory = registry.transport("garbage");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, ErrorKind::InvalidArgument);
    EXPECT_TRUE(contains(factory.error().message, testPlugin("garbage").string()));
}

TEST(Registry, UnresolvedSymbolFailsAtLoadNamingTheSymbol) {
    // Plugins are opened with RTLD_NOW: a missing dependency shows at startup, with the reason
    // the dynamic loader gives, rather than as a crash at the first call.
    PluginRegistry registry({kTestPluginDir});
    auto factory = registry.transport("unresolved");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, ErrorKind::InvalidArgument);
    EXPECT_TRUE(contains(factory.error().message, testPlugin("unresolved").string()));
    EXPECT_TRUE(contains(factory.error().message, "plexus_test_symbol_nobody_defines"))
        << factory.error().message;
}

TEST(Registry, BareFileNameMeansTheCurrentFolder) {
    // dlopen() of a name without a slash searches the system's library path; the loader must
    // open the file it was given (a search path entry "" or "." yields such names).
    const fs::path previous = fs::current_path();
    fs::current_path(kTestPluginDir);
    auto info = PluginRegistry::inspect("plexus_transport_fake.so");
    fs::current_path(previous);
    ASSERT_TRUE(info) << info.error().describe();
    EXPECT_EQ(info->name, "fake");
}

TEST(Registry, BrokenFileStopsTheSearch) {
    // A file that exists but is unusable is reported, not skipped in favour of a later copy:
    // falling back silently would hide a broken installation.
    test::TempDir dir;
    fs::copy_file(testPlugin("fake"), dir.path() / "plexus_transport_fake.so");
    fs::create_directories(dir.path() / "broken");
    dir.write("broken/plexus_transport_fake.so", "not a library");
    PluginRegistry registry({dir.path() / "broken", dir.path()});
    auto factory = registry.transport("fake");
    ASSERT_FALSE(factory);
    EXPECT_TRUE(contains(factory.error().message, (dir.path() / "broken").string()));
}

TEST(Registry, InvalidNamesAreRefusedWithoutSearching) {
    PluginRegistry registry({kTestPluginDir});
    for (const char* name : {"", "../plugins/fake", "a/b"}) {
        auto factory = registry.transport(name);
        ASSERT_FALSE(factory) << name;
        EXPECT_EQ(factory.error().kind, ErrorKind::InvalidArgument) << name;
    }
}

TEST(Registry, SecondLookupReusesTheLoadedPlugin) {
    // The plugin file is removed after the first lookup: the second must be served from the
    // registry, without touching the file system again.
    test::TempDir dir;
    const fs::path copy = dir.path() / "plexus_transport_fake.so";
    fs::copy_file(testPlugin("fake"), copy);
    PluginRegistry registry({dir.path()});
    auto first = registry.transport("fake");
    ASSERT_TRUE(first) << first.error().describe();
    fs::remove(copy);
    auto second = registry.transport("fake");
    ASSERT_TRUE(second) << second.error().describe();
    EXPECT_EQ(*first, *second);
    EXPECT_EQ(registry.loaded().size(), 1u);
}

// A built-in transport: linked into the test rather than loaded.
class NullTransportFactory final : public TransportFactory {
  public:
    Result<std::unique_ptr<Transport>> create(const TransportContext&) const noexcept override {
        return fail(ErrorKind::Internal, "built-in test factory creates nothing");
    }
};

const NullTransportFactory kBuiltinFactory;

plexus_plugin_descriptor builtinDescriptor(const char* name) {
    return plexus_plugin_descriptor{PLEXUS_PLUGIN_ABI_MAJOR,
                                    PLEXUS_PLUGIN_ABI_MINOR,
                                    sizeof(plexus_plugin_descriptor),
                                    PLEXUS_PLUGIN_TRANSPORT,
                                    name,
                                    "1.2.3",
                                    static_cast<const TransportFactory*>(&kBuiltinFactory)};
}

TEST(Registry, AddBuiltinRegistersAndRefusesADuplicate) {
    PluginRegistry registry(std::vector<fs::path>{});
    const auto descriptor = builtinDescriptor("builtin");
    auto info = registry.addBuiltin(&descriptor);
    ASSERT_TRUE(info) << info.error().describe();
    EXPECT_EQ(info->name, "builtin");
    EXPECT_EQ(info->version, "1.2.3");
    EXPECT_TRUE(info->file.empty());

    auto factory = registry.transport("builtin");
    ASSERT_TRUE(factory) << factory.error().describe();
    EXPECT_EQ(*factory, &kBuiltinFactory);

    auto again = registry.addBuiltin(&descriptor);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::InvalidArgument);
    EXPECT_TRUE(contains(again.error().message, "builtin")) << again.error().message;
    EXPECT_EQ(registry.loaded().size(), 1u);
}

TEST(Registry, AddBuiltinRefusesANameAlreadyLoaded) {
    PluginRegistry registry({kTestPluginDir});
    ASSERT_TRUE(registry.transport("fake"));
    const auto descriptor = builtinDescriptor("fake");
    auto info = registry.addBuiltin(&descriptor);
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().kind, ErrorKind::InvalidArgument);
}

TEST(Registry, AddBuiltinChecksTheDescriptorLikeALoadedOne) {
    PluginRegistry registry(std::vector<fs::path>{});
    EXPECT_EQ(registry.addBuiltin(nullptr).error().kind, ErrorKind::InvalidArgument);

    auto newerMajor = builtinDescriptor("a");
    newerMajor.abi_major += 1;
    EXPECT_EQ(registry.addBuiltin(&newerMajor).error().kind, ErrorKind::AbiMismatch);

    auto newerMinor = builtinDescriptor("b");
    newerMinor.abi_minor += 1;
    EXPECT_EQ(registry.addBuiltin(&newerMinor).error().kind, ErrorKind::AbiMismatch);

    auto shortStruct = builtinDescriptor("c");
    shortStruct.struct_size = sizeof(plexus_plugin_descriptor) - 1;
    EXPECT_EQ(registry.addBuiltin(&shortStruct).error().kind, ErrorKind::AbiMismatch);

    auto unknownKind = builtinDescriptor("d");
    unknownKind.kind = 99;
    EXPECT_EQ(registry.addBuiltin(&unknownKind).error().kind, ErrorKind::InvalidArgument);

    auto noName = builtinDescriptor(nullptr);
    EXPECT_EQ(registry.addBuiltin(&noName).error().kind, ErrorKind::InvalidArgument);

    auto noFactory = builtinDescriptor("e");
    noFactory.factory = nullptr;
    EXPECT_EQ(registry.addBuiltin(&noFactory).error().kind, ErrorKind::InvalidArgument);

    EXPECT_TRUE(registry.loaded().empty());
}

TEST(Registry, InspectReadsTheDescriptorOfAFile) {
    auto info = PluginRegistry::inspect(testPlugin("fake"));
    ASSERT_TRUE(info) << info.error().describe();
    EXPECT_EQ(info->kind, PluginKind::transport);
    EXPECT_EQ(info->name, "fake");
    EXPECT_EQ(info->version, "0.0.1-test");
    EXPECT_EQ(info->abiMajor, PLEXUS_PLUGIN_ABI_MAJOR);
    EXPECT_EQ(info->abiMinor, PLEXUS_PLUGIN_ABI_MINOR);
    EXPECT_EQ(info->file, testPlugin("fake"));

    auto wrongKind = PluginRegistry::inspect(testPlugin("wrongkind"));
    ASSERT_TRUE(wrongKind) << wrongKind.error().describe();
    EXPECT_EQ(wrongKind->kind, PluginKind::codec);

    EXPECT_FALSE(PluginRegistry::inspect(testPlugin("garbage")));
    EXPECT_EQ(PluginRegistry::inspect(testPlugin("badabi")).error().kind, ErrorKind::AbiMismatch);
}

// The lifetime contract: a plugin's code (vtables, factory, destructors) lives in its shared
// library, which the registry keeps mapped until the registry itself is destroyed. So the
// registry must outlive every object its factories made: the owner declares the registry before
// those objects (members are destroyed in reverse order). Breaking the contract would crash in
// the object's destructor; that is not something to test deliberately.
TEST(Registry, KeepsLibrariesLoadedWhileObjectsLive) {
    auto registry = std::make_unique<PluginRegistry>(std::vector<fs::path>{kTestPluginDir});
    auto factory = registry->transport("fake");
    ASSERT_TRUE(factory) << factory.error().describe();
    auto transport = (*factory)->create(fakeContext());
    ASSERT_TRUE(transport) << transport.error().describe();
    std::unique_ptr<Transport> object = std::move(*transport);

    // Failed lookups and inspections open and close other libraries; they must not unload this.
    EXPECT_FALSE(registry->transport("garbage"));
    EXPECT_FALSE(registry->transport("wrongkind"));
    ASSERT_TRUE(PluginRegistry::inspect(testPlugin("fake")));

    void* handle = ::dlopen(testPlugin("fake").c_str(), RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(handle, nullptr) << "the registry should keep the plugin mapped";
    if (handle != nullptr) ::dlclose(handle);

    // The object still runs plugin code after all of that.
    auto connected = object->connect("fake://there");
    ASSERT_TRUE(connected);
    EXPECT_EQ(*connected, "fake://there");

    // Destroy in the contracted order: objects first, then the registry.
    object.reset();
    registry.reset();
}

}  // namespace
}  // namespace plexus
