set(_ix_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/introspect)

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS introspect EXPORT introspectTargets)
install(EXPORT introspectTargets NAMESPACE introspect:: DESTINATION ${_ix_cmake_dir})

# One export set per component, so that a consumer loads (and needs) only what it asks for.
foreach(_c IN LISTS INTROSPECT_COMPONENTS)
  install(TARGETS introspect_${_c} EXPORT introspect-${_c}-targets)
  install(EXPORT introspect-${_c}-targets NAMESPACE introspect:: DESTINATION ${_ix_cmake_dir})
endforeach()

configure_package_config_file(cmake/introspectConfig.cmake.in
  ${PROJECT_BINARY_DIR}/introspectConfig.cmake INSTALL_DESTINATION ${_ix_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/introspectConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/introspectConfig.cmake
              ${PROJECT_BINARY_DIR}/introspectConfigVersion.cmake
        DESTINATION ${_ix_cmake_dir})
