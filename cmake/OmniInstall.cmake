include(CMakePackageConfigHelpers)

if(BUILD_SHARED_LIBS)
  set(OMNI_CONFIG_SHARED ON)
else()
  set(OMNI_CONFIG_SHARED OFF)
endif()

set(OMNI_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/omni)
set(_omni_targets omni)
if(TARGET omni_adapters)
  list(APPEND _omni_targets omni_adapters)
endif()
if(TARGET omni_conformance)
  list(APPEND _omni_targets omni_conformance)
endif()

install(TARGETS ${_omni_targets} EXPORT omniTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET omni_cli)
  install(TARGETS omni_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/omni DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/omni/export.h ${PROJECT_BINARY_DIR}/include/omni/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/omni)

install(EXPORT omniTargets NAMESPACE omni:: DESTINATION ${OMNI_CMAKE_DIR})
export(EXPORT omniTargets NAMESPACE omni:: FILE ${PROJECT_BINARY_DIR}/omniTargets.cmake)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/omniConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/omniConfig.cmake
                              INSTALL_DESTINATION ${OMNI_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/omniConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/omniConfig.cmake ${PROJECT_BINARY_DIR}/omniConfigVersion.cmake
        DESTINATION ${OMNI_CMAKE_DIR})
