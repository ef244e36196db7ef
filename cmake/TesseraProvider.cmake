# tessera_add_provider(<vendor> SOURCES <file>... [OUTPUT_DIRECTORY <dir>] [NO_INSTALL])
#
# Builds the provider plugin `tessera_provider_<vendor>.so` from SOURCES, linked against
# tessera::sdk only. Symbols are hidden except the plugin's single entry point, undefined
# symbols are a link error (not a load-time surprise), and the module is installed into
# <libdir>/tessera/providers, where `tessera` looks for plugins by default.
function(tessera_add_provider vendor)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT vendor MATCHES "^[a-z][a-z0-9_]*$")
    message(FATAL_ERROR "tessera_add_provider: vendor '${vendor}' must match ^[a-z][a-z0-9_]*$")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "tessera_add_provider(${vendor}): SOURCES is required")
  endif()
  if(DEFINED TESSERA_CXX_COMPILER_ID)
    string(REGEX MATCH "^[0-9]+" tessera_major "${TESSERA_CXX_COMPILER_VERSION}")
    string(REGEX MATCH "^[0-9]+" our_major "${CMAKE_CXX_COMPILER_VERSION}")
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL TESSERA_CXX_COMPILER_ID OR NOT our_major STREQUAL tessera_major)
      message(FATAL_ERROR
        "tessera_add_provider(${vendor}): this project compiles with ${CMAKE_CXX_COMPILER_ID} ${our_major}, but "
        "Tessera was built with ${TESSERA_CXX_COMPILER_ID} ${tessera_major}. A plugin must use the same compiler "
        "family and major version, or Tessera rejects it (abi_mismatch). Configure with "
        "-DCMAKE_CXX_COMPILER=<a ${TESSERA_CXX_COMPILER_ID} ${tessera_major} compiler>.")
    endif()
  endif()
  set(target tessera_provider_${vendor})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE tessera::sdk)
  target_link_options(${target} PRIVATE -Wl,-z,defs)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${target}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  elseif(DEFINED TESSERA_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${TESSERA_PLUGIN_OUTPUT_DIR})
  endif()
  if(NOT ARG_NO_INSTALL)
    include(GNUInstallDirs)
    # lib/tessera/providers -> lib, where libtessera_sdk lives.
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/../..")
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/tessera/providers)
  endif()
endfunction()
