# The plexus test kit for out-of-tree plugins, installed by the plexus-dev package and loaded by
# find_package(plexus). It is the very source of plexus's own suites (tests/conformance and the
# part of tests/support they use), installed under <datadir>/plexus/testing and compiled into the
# test that uses it, so a plugin built elsewhere is held to the same contract as tcp and capnp.
#
# Targets (INTERFACE, their sources compile into whatever links them; GoogleTest required):
#   plexus::test_support           waitUntil, ChildProcess, TempDir, makeBuildRegistry()
#   plexus::transport_conformance  the transport suite: PLEXUS_INSTANTIATE_TRANSPORT_SUITE(...)
#   plexus::codec_conformance      the codec suite: INSTANTIATE_TEST_SUITE_P(..., CodecConformance, ...)
# makeBuildRegistry() searches the folder in the consuming target's PLEXUS_TEST_PLUGIN_DIR
# property; plexus_add_plugin_test() sets it.
#
# plexus_add_plugin_test(<name> PLUGINS <plugin target>... SOURCES ... [LIBS ...])
#   A GoogleTest executable that loads the given plugins (built with plexus_add_plugin, all into
#   the first one's folder) through the real loader, with every TEST registered as its own ctest test.
#   Link plexus::transport_conformance or plexus::codec_conformance through LIBS to run a suite.

if(NOT DEFINED PLEXUS_TESTING_DIR)
    message(FATAL_ERROR "PlexusTesting.cmake: PLEXUS_TESTING_DIR is not set (load it through find_package(plexus))")
endif()

if(NOT TARGET plexus::test_support)
    add_library(plexus::test_support INTERFACE IMPORTED)
    set_target_properties(plexus::test_support PROPERTIES
        INTERFACE_SOURCES "${PLEXUS_TESTING_DIR}/support/test_support.cpp"
        INTERFACE_INCLUDE_DIRECTORIES "${PLEXUS_TESTING_DIR}"
        INTERFACE_LINK_LIBRARIES "plexus::core"
        # Evaluated on the target that links this one.
        INTERFACE_COMPILE_DEFINITIONS
            "PLEXUS_BUILD_PLUGIN_DIR=\"$<TARGET_PROPERTY:PLEXUS_TEST_PLUGIN_DIR>\";PLEXUS_SOURCE_DIR=\"$<TARGET_PROPERTY:SOURCE_DIR>\";PLEXUS_BINARY_DIR=\"$<TARGET_PROPERTY:BINARY_DIR>\"")

    add_library(plexus::transport_conformance INTERFACE IMPORTED)
    set_target_properties(plexus::transport_conformance PROPERTIES
        INTERFACE_SOURCES "${PLEXUS_TESTING_DIR}/conformance/transport_suite.cpp"
        INTERFACE_LINK_LIBRARIES "plexus::test_support;GTest::gtest")

    add_library(plexus::codec_conformance INTERFACE IMPORTED)
    set_target_properties(plexus::codec_conformance PROPERTIES
        INTERFACE_SOURCES "${PLEXUS_TESTING_DIR}/conformance/codec_suite.cpp"
        INTERFACE_LINK_LIBRARIES "plexus::test_support;GTest::gtest")
endif()

function(plexus_add_plugin_test name)
    cmake_parse_arguments(T "" "" "PLUGINS;SOURCES;LIBS" ${ARGN})
    if(NOT T_PLUGINS OR NOT T_SOURCES)
        message(FATAL_ERROR "plexus_add_plugin_test(${name}): needs PLUGINS and SOURCES")
    endif()
    if(NOT TARGET GTest::gtest)
        find_package(GTest REQUIRED)
    endif()
    include(GoogleTest)
    list(GET T_PLUGINS 0 first_plugin)
    add_executable(${name} ${T_SOURCES})
    target_compile_features(${name} PRIVATE cxx_std_20)
    target_link_libraries(${name} PRIVATE plexus::core plexus::test_support GTest::gtest GTest::gtest_main ${T_LIBS})
    # A plain path (test_support's compile definition reads the property without evaluating it).
    get_target_property(plugin_dir ${first_plugin} LIBRARY_OUTPUT_DIRECTORY)
    if(NOT plugin_dir)
        message(FATAL_ERROR "plexus_add_plugin_test(${name}): ${first_plugin} has no LIBRARY_OUTPUT_DIRECTORY; build it with plexus_add_plugin()")
    endif()
    set_target_properties(${name} PROPERTIES PLEXUS_TEST_PLUGIN_DIR "${plugin_dir}")
    add_dependencies(${name} ${T_PLUGINS})
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()
