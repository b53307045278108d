cmake_minimum_required(VERSION 3.22)
# Fixture set-up (cmake -P): installs the built project into a fresh prefix, and removes the
# consumers' build trees so that each consumer configures from scratch against that prefix.
#   -DBUILD_DIR=<this build> -DPREFIX=<prefix> -DCLEAN=<dir;dir...>
file(REMOVE_RECURSE ${PREFIX} ${CLEAN})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BUILD_DIR} --prefix ${PREFIX} failed (${_rc})")
endif()
foreach(_f include/introspect/introspect.hpp lib/cmake/introspect/introspectConfig.cmake
           lib/cmake/introspect/introspectConfigVersion.cmake
           lib/cmake/introspect/introspectTargets.cmake)
  if(NOT EXISTS ${PREFIX}/${_f})
    file(GLOB_RECURSE _all RELATIVE ${PREFIX} ${PREFIX}/*)
    list(LENGTH _all _n)
    message(FATAL_ERROR "the install lacks ${_f} (${_n} files installed)")
  endif()
endforeach()
message(STATUS "installed into ${PREFIX}")
