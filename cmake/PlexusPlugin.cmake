# Functions for building plexus plugins and task libraries. Used by plexus's own build and, once
# installed with the plexus-dev package, by out-of-tree projects after find_package(plexus):
# the same file, the same functions, the same results.
#
# plexus_add_plugin(<target> KIND transport|codec NAME <name> SOURCES ...
#                   [OUTPUT_DIRECTORY <dir>] [INSTALL_DESTINATION <dir>] [COMPONENT <c>] [NO_INSTALL])
#   Builds a plugin as a MODULE library named plexus_<kind>_<name>.so with hidden visibility,
#   linked against the shared core, so that a config naming `<name>` finds it. It lands in
#   OUTPUT_DIRECTORY (default: the build tree's plugin folder, PLEXUS_BUILD_PLUGIN_DIR, in plexus's
#   own build; <build>/plexus/plugins out of tree) and installs to INSTALL_DESTINATION (default:
#   <libdir>/plexus/plugins of the installing project; plexus itself searches
#   PLEXUS_INSTALLED_PLUGIN_DIR, set by find_package(plexus), or $PLEXUS_PLUGIN_PATH, or a config's
#   plugin_dir).
#
# plexus_add_task_library(<target> SOURCES ...
#                         [OUTPUT_DIRECTORY <dir>] [INSTALL_DESTINATION <dir>] [COMPONENT <c>] [NO_INSTALL])
#   Builds a worker task library (sources using PLEXUS_TASK_LIBRARY) as lib<target>.so, a MODULE
#   library with hidden visibility linked against the shared core. Default output: the current
#   binary folder; default install: <libdir>/plexus/tasks.

function(_plexus_module_defaults target)
    set_target_properties(${target} PROPERTIES
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON)
    target_compile_features(${target} PRIVATE cxx_std_20)
    # Unresolved symbols are an error when linking, not when a worker or scheduler loads the file.
    target_link_options(${target} PRIVATE "-Wl,--no-undefined")
    target_link_libraries(${target} PRIVATE plexus::core)
endfunction()

function(plexus_add_plugin target)
    cmake_parse_arguments(P "NO_INSTALL" "KIND;NAME;OUTPUT_DIRECTORY;INSTALL_DESTINATION;COMPONENT" "SOURCES" ${ARGN})
    if(P_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "plexus_add_plugin(${target}): unexpected arguments: ${P_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT P_KIND STREQUAL "transport" AND NOT P_KIND STREQUAL "codec")
        message(FATAL_ERROR "plexus_add_plugin(${target}): KIND must be transport or codec, not '${P_KIND}'")
    endif()
    if(NOT P_NAME OR P_NAME MATCHES "[/ ]")
        message(FATAL_ERROR "plexus_add_plugin(${target}): NAME must be a plain name such as 'tcp'")
    endif()
    if(NOT P_SOURCES)
        message(FATAL_ERROR "plexus_add_plugin(${target}): no SOURCES")
    endif()
    if(P_OUTPUT_DIRECTORY)
        set(output_dir "${P_OUTPUT_DIRECTORY}")
    elseif(DEFINED PLEXUS_BUILD_PLUGIN_DIR)
        set(output_dir "${PLEXUS_BUILD_PLUGIN_DIR}")
    else()
        set(output_dir "${CMAKE_BINARY_DIR}/plexus/plugins")
    endif()
    if(NOT DEFINED CMAKE_INSTALL_LIBDIR)
        include(GNUInstallDirs)
    endif()
    if(P_INSTALL_DESTINATION)
        set(destination "${P_INSTALL_DESTINATION}")
    elseif(DEFINED PLEXUS_PLUGIN_INSTALL_DIR)
        set(destination "${PLEXUS_PLUGIN_INSTALL_DIR}")
    else()
        set(destination "${CMAKE_INSTALL_LIBDIR}/plexus/plugins")
    endif()
    if(NOT P_COMPONENT)
        set(P_COMPONENT runtime)
    endif()

    add_library(${target} MODULE ${P_SOURCES})
    _plexus_module_defaults(${target})
    set_target_properties(${target} PROPERTIES
        PREFIX ""
        SUFFIX ".so"
        OUTPUT_NAME "plexus_${P_KIND}_${P_NAME}"
        LIBRARY_OUTPUT_DIRECTORY "${output_dir}"
        # <libdir>/plexus/plugins -> <libdir>, where libplexus-core.so is when installed together.
        INSTALL_RPATH "$ORIGIN/../.."
        PLEXUS_PLUGIN_KIND "${P_KIND}"
        PLEXUS_PLUGIN_NAME "${P_NAME}")
    if(NOT P_NO_INSTALL)
        install(TARGETS ${target} LIBRARY DESTINATION "${destination}" COMPONENT ${P_COMPONENT})
    endif()
endfunction()

function(plexus_add_task_library target)
    cmake_parse_arguments(P "NO_INSTALL" "OUTPUT_DIRECTORY;INSTALL_DESTINATION;COMPONENT" "SOURCES" ${ARGN})
    if(P_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "plexus_add_task_library(${target}): unexpected arguments: ${P_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT P_SOURCES)
        message(FATAL_ERROR "plexus_add_task_library(${target}): no SOURCES")
    endif()
    if(NOT DEFINED CMAKE_INSTALL_LIBDIR)
        include(GNUInstallDirs)
    endif()
    if(NOT P_INSTALL_DESTINATION)
        set(P_INSTALL_DESTINATION "${CMAKE_INSTALL_LIBDIR}/plexus/tasks")
    endif()
    if(NOT P_COMPONENT)
        set(P_COMPONENT runtime)
    endif()

    add_library(${target} MODULE ${P_SOURCES})
    _plexus_module_defaults(${target})
    set_target_properties(${target} PROPERTIES
        PREFIX "lib"
        SUFFIX ".so"
        INSTALL_RPATH "$ORIGIN/../..")
    if(P_OUTPUT_DIRECTORY)
        set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIRECTORY}")
    endif()
    if(NOT P_NO_INSTALL)
        install(TARGETS ${target} LIBRARY DESTINATION "${P_INSTALL_DESTINATION}" COMPONENT ${P_COMPONENT})
    endif()
endfunction()
