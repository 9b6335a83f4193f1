# plexus_add_plugin(<target> KIND transport|codec NAME <name> SOURCES ...)
# Builds a plugin as a MODULE library named plexus_<kind>_<name>.so with hidden visibility,
# linked against the shared core, and placed in the build tree's plugin folder so that tests
# load it through the real loader.
function(plexus_add_plugin target)
    cmake_parse_arguments(P "" "KIND;NAME" "SOURCES" ${ARGN})
    add_library(${target} MODULE ${P_SOURCES})
    target_link_libraries(${target} PRIVATE plexus::core)
    set_target_properties(${target} PROPERTIES
        PREFIX ""
        OUTPUT_NAME "plexus_${P_KIND}_${P_NAME}"
        LIBRARY_OUTPUT_DIRECTORY "${PLEXUS_BUILD_PLUGIN_DIR}"
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON
        INSTALL_RPATH "$ORIGIN/../..")
    target_link_options(${target} PRIVATE "-Wl,--no-undefined")
    install(TARGETS ${target} LIBRARY DESTINATION "${PLEXUS_PLUGIN_INSTALL_DIR}" COMPONENT runtime)
endfunction()
