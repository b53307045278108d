# Optional components: each is an INTERFACE target that brings its library only when a consumer
# links it, so a build that does not use a capability never needs that library.
find_package(Boost 1.74 QUIET COMPONENTS serialization)
find_package(SQLite3 QUIET)
find_package(simdjson QUIET)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(NATS QUIET IMPORTED_TARGET GLOBAL libnats)
  pkg_check_modules(HTTPLIB QUIET IMPORTED_TARGET GLOBAL cpp-httplib)
endif()

set(INTROSPECT_COMPONENTS "")

function(introspect_component name)
  add_library(introspect_${name} INTERFACE)
  add_library(introspect::${name} ALIAS introspect_${name})
  set_target_properties(introspect_${name} PROPERTIES EXPORT_NAME ${name})
  target_link_libraries(introspect_${name} INTERFACE introspect ${ARGN})
  set(INTROSPECT_COMPONENTS ${INTROSPECT_COMPONENTS} ${name} PARENT_SCOPE)
endfunction()

if(TARGET Boost::serialization)
  introspect_component(serialization Boost::serialization)
  # Lets the stream-store engine write Boost.Serialization checkpoints.
  target_compile_definitions(introspect_serialization INTERFACE INTROSPECT_HAS_SERIALIZATION=1)
endif()
if(TARGET SQLite::SQLite3)
  introspect_component(sqlite SQLite::SQLite3)
endif()
if(TARGET simdjson::simdjson)
  introspect_component(simdjson simdjson::simdjson)
endif()
if(TARGET PkgConfig::NATS)
  introspect_component(jetstream PkgConfig::NATS)
endif()
find_package(OpenSSL QUIET)
if(TARGET PkgConfig::HTTPLIB AND TARGET OpenSSL::SSL)
  # Debian's cpp-httplib is built with OpenSSL but lists it only as a private dependency.
  introspect_component(http PkgConfig::HTTPLIB OpenSSL::SSL OpenSSL::Crypto)
  # kubeconfig files are read with yaml-cpp (Debian's libyaml-cpp-dev): only this component
  # needs it, so a build without it still has http, etcd and everything else.
  find_package(yaml-cpp QUIET)
  if(TARGET introspect_simdjson AND TARGET yaml-cpp)
    introspect_component(kubernetes introspect_http introspect_simdjson yaml-cpp)
  elseif(TARGET introspect_simdjson)
    message(STATUS "introspect: no kubernetes component (yaml-cpp not found: libyaml-cpp-dev)")
  endif()
endif()
# Support bundles (introspect bundle, and every command reading a bundle): tar with zstd through
# libarchive, SHA-256 of every member through OpenSSL's libcrypto.
find_package(LibArchive QUIET)
if(TARGET LibArchive::LibArchive AND TARGET OpenSSL::Crypto)
  introspect_component(bundle LibArchive::LibArchive OpenSSL::Crypto)
endif()
# Sealed segments compressed with zstd (Debian's libzstd-dev): only a consumer that links
# introspect::zstd compresses with it and reads such blocks; any other build uses the columnar
# codec alone (docs/format.md, revision 1.2) and never needs libzstd.
if(PkgConfig_FOUND)
  pkg_check_modules(ZSTD QUIET IMPORTED_TARGET GLOBAL libzstd)
endif()
if(TARGET PkgConfig::ZSTD)
  introspect_component(zstd PkgConfig::ZSTD)
  target_compile_definitions(introspect_zstd INTERFACE INTROSPECT_HAS_ZSTD=1)
endif()
set(INTROSPECT_COMPONENTS ${INTROSPECT_COMPONENTS} CACHE INTERNAL "")
