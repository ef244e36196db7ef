# Guards the SDK's public headers: their hash is recorded next to the SDK version in
# sdk/abi.lock. Changing a header without bumping TESSERA_SDK_VERSION_* fails the configure
# step (and the sdk_header_hash test), so no plugin is ever loaded against an SDK that
# silently changed under it. Comment lines, blank lines and whitespace (re-formatting) do
# not count.
#
# Script mode: cmake -DTESSERA_SOURCE_DIR=<root> [-DUPDATE=ON] -P cmake/SdkHeaderHash.cmake

function(tessera_sdk_header_hash root out_hash out_version)
  file(GLOB headers RELATIVE ${root}/sdk/include ${root}/sdk/include/tessera/sdk/*.hpp)
  list(SORT headers)
  set(text "")
  foreach(h IN LISTS headers)
    file(STRINGS ${root}/sdk/include/${h} lines)
    string(APPEND text "@@${h}\n")
    foreach(line IN LISTS lines)
      if(line MATCHES "^[ \t]*//" OR line MATCHES "^[ \t]*$")
        continue()
      endif()
      string(REGEX REPLACE "[ \t]+" "" line "${line}")
      string(APPEND text "${line}")
    endforeach()
  endforeach()
  string(SHA256 hash "${text}")
  file(STRINGS ${root}/sdk/include/tessera/sdk/version.hpp vlines REGEX "#define TESSERA_SDK_VERSION_(MAJOR|MINOR|PATCH) ")
  foreach(part MAJOR MINOR PATCH)
    foreach(l IN LISTS vlines)
      if(l MATCHES "TESSERA_SDK_VERSION_${part} ([0-9]+)")
        set(${part} ${CMAKE_MATCH_1})
      endif()
    endforeach()
  endforeach()
  set(${out_hash} ${hash} PARENT_SCOPE)
  set(${out_version} "${MAJOR}.${MINOR}.${PATCH}" PARENT_SCOPE)
endfunction()

function(tessera_check_sdk_headers root update)
  tessera_sdk_header_hash(${root} hash version)
  set(lock ${root}/sdk/abi.lock)
  if(update)
    file(WRITE ${lock} "${version} ${hash}\n")
    message(STATUS "sdk/abi.lock: SDK ${version} ${hash}")
    return()
  endif()
  if(NOT EXISTS ${lock})
    message(FATAL_ERROR "sdk/abi.lock is missing: run `make sdk-lock` to record the SDK ${version} header hash")
  endif()
  file(READ ${lock} recorded)
  string(STRIP "${recorded}" recorded)
  separate_arguments(recorded)
  list(GET recorded 0 recorded_version)
  list(GET recorded 1 recorded_hash)
  if(recorded_hash STREQUAL hash)
    return()
  endif()
  if(recorded_version STREQUAL version)
    message(FATAL_ERROR
      "The public SDK headers (sdk/include/tessera/sdk) changed but TESSERA_SDK_VERSION is still "
      "${version}. Plugins built against ${version} would load against a different ABI. Bump "
      "TESSERA_SDK_VERSION_MINOR (additions) or _MAJOR (incompatible changes) in version.hpp, "
      "then run `make sdk-lock` to record the new hash in sdk/abi.lock.")
  else()
    message(FATAL_ERROR
      "TESSERA_SDK_VERSION is now ${version} (sdk/abi.lock records ${recorded_version}): run "
      "`make sdk-lock` to record the new SDK header hash.")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  tessera_check_sdk_headers(${TESSERA_SOURCE_DIR} "${UPDATE}")
else()
  tessera_sdk_header_hash(${CMAKE_CURRENT_SOURCE_DIR} _tessera_hash TESSERA_SDK_VERSION)
  string(REGEX MATCH "^[0-9]+" TESSERA_SDK_VERSION_MAJOR ${TESSERA_SDK_VERSION})
  tessera_check_sdk_headers(${CMAKE_CURRENT_SOURCE_DIR} OFF)
  file(GLOB _tessera_sdk_headers ${CMAKE_CURRENT_SOURCE_DIR}/sdk/include/tessera/sdk/*.hpp)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_tessera_sdk_headers}
                                                                 ${CMAKE_CURRENT_SOURCE_DIR}/sdk/abi.lock)
endif()
