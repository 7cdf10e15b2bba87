# Installs headers, both libraries, a CMake package (coffer::coffer and
# coffer::coffer_static) and coffer.pc.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/coffer DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES "${PROJECT_BINARY_DIR}/include/coffer/version.h"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/coffer)
install(TARGETS coffer coffer_static EXPORT coffer-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/coffer)
install(EXPORT coffer-targets NAMESPACE coffer:: DESTINATION ${config_dir})
configure_package_config_file(cmake/cofferConfig.cmake.in
  "${PROJECT_BINARY_DIR}/cofferConfig.cmake" INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/cofferConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/cofferConfig.cmake"
              "${PROJECT_BINARY_DIR}/cofferConfigVersion.cmake"
        DESTINATION ${config_dir})

# coffer.pc finds its prefix relative to itself, so the tree can be installed
# anywhere (cmake --install --prefix) and still be found.
file(RELATIVE_PATH pc_to_prefix "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
configure_file(cmake/coffer.pc.in "${PROJECT_BINARY_DIR}/coffer.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/coffer.pc"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
