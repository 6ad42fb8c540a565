# `cmake --install`: librvcidx, its public headers, the rvcidx command, a
# pkg-config file and a CMake package (find_package(rvcidx CONFIG) gives
# rvcidx::rvcidx). Both describe the shared library alone: its dependencies
# (faiss, HDF5, OpenSSL, jansson, OpenMP) are private, found at run time
# through the library's own DT_NEEDED entries and RUNPATH, and a program
# using rvcidx compiles against rvcidx's headers only.
include(CMakePackageConfigHelpers)

set(RVCIDX_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/rvcidx")

install(TARGETS rvcidx EXPORT rvcidxTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS rvcidx_bin RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/rvcidx"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" FILES_MATCHING PATTERN "*.h")

install(EXPORT rvcidxTargets NAMESPACE rvcidx:: DESTINATION "${RVCIDX_CMAKE_DIR}")
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/rvcidxConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/rvcidxConfig.cmake" INSTALL_DESTINATION "${RVCIDX_CMAKE_DIR}")
# Before 1.0 a minor release may change the ABI (SOVERSION 0.MINOR): only the
# same minor version satisfies a request.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_rvcidx_compat SameMinorVersion)
else()
  set(_rvcidx_compat SameMajorVersion)
endif()
write_basic_package_version_file("${PROJECT_BINARY_DIR}/rvcidxConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY ${_rvcidx_compat})
install(FILES "${PROJECT_BINARY_DIR}/rvcidxConfig.cmake" "${PROJECT_BINARY_DIR}/rvcidxConfigVersion.cmake"
  DESTINATION "${RVCIDX_CMAKE_DIR}")

# rvcidx.pc finds its prefix from its own place (${pcfiledir}), so it stays
# right under `cmake --install --prefix` chosen after configuring.
set(_rvcidx_pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
foreach(_d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
    set(RVCIDX_PC_${_d} "${CMAKE_INSTALL_${_d}}")
  else()
    set(RVCIDX_PC_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${_rvcidx_pc_dir}")
  set(RVCIDX_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _rel "/root/${_rvcidx_pc_dir}" "/root")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(RVCIDX_PC_PREFIX "\${pcfiledir}/${_rel}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/rvcidx.pc.in" "${PROJECT_BINARY_DIR}/rvcidx.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/rvcidx.pc" DESTINATION "${_rvcidx_pc_dir}")
