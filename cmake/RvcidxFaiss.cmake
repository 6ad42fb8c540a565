# Finds faiss 1.7.3 with its C API and defines the imported target rvcidx::faiss_c.
#
# In order: RVCIDX_FAISS_PREFIX (an existing install), else the prefix that
# scripts/build-faiss.sh builds and caches, keyed by version and options
# (~/.cache/rvcidx/faiss-1.7.3-<simd>[-cuda<arch>]-p<patches>). A second
# configure finds the cached prefix and builds nothing.

if(RVCIDX_FAISS_PREFIX)
  set(_faiss_prefix "${RVCIDX_FAISS_PREFIX}")
else()
  set(_faiss_args --simd ${RVCIDX_FAISS_SIMD})
  if(RVCIDX_GPU)
    list(APPEND _faiss_args --gpu --cuda-arch "${CMAKE_CUDA_ARCHITECTURES}")
  endif()
  if(RVCIDX_FAISS_SOURCE)
    list(APPEND _faiss_args --source "${RVCIDX_FAISS_SOURCE}")
  endif()
  list(JOIN _faiss_args " " _faiss_args_text)
  message(STATUS "rvcidx: faiss 1.7.3 via scripts/build-faiss.sh ${_faiss_args_text}")
  execute_process(
    COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/build-faiss.sh" ${_faiss_args}
    OUTPUT_VARIABLE _faiss_out RESULT_VARIABLE _faiss_rc
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _faiss_rc EQUAL 0)
    message(FATAL_ERROR "rvcidx: building faiss failed (see the lines above). "
      "Alternatives: -DRVCIDX_FAISS_PREFIX=<install with C API> or -DRVCIDX_FAISS_SOURCE=<tree or tarball>.")
  endif()
  string(REGEX REPLACE ".*\n" "" _faiss_prefix "${_faiss_out}")
endif()

find_library(RVCIDX_FAISS_C_LIB NAMES faiss_c PATHS "${_faiss_prefix}/lib" "${_faiss_prefix}/lib64" NO_DEFAULT_PATH)
find_library(RVCIDX_FAISS_LIB NAMES faiss PATHS "${_faiss_prefix}/lib" "${_faiss_prefix}/lib64" NO_DEFAULT_PATH)
find_path(RVCIDX_FAISS_INCLUDE faiss/c_api/faiss_c.h PATHS "${_faiss_prefix}/include" NO_DEFAULT_PATH)
if(NOT RVCIDX_FAISS_C_LIB OR NOT RVCIDX_FAISS_LIB OR NOT RVCIDX_FAISS_INCLUDE)
  message(FATAL_ERROR "rvcidx: ${_faiss_prefix} lacks libfaiss_c, libfaiss or include/faiss/c_api/faiss_c.h: "
    "faiss must be 1.7.3 built with -DFAISS_ENABLE_C_API=ON (libfaiss_c is not installed by its "
    "'cmake --install'; copy it from the build tree, as scripts/build-faiss.sh does)")
endif()

file(STRINGS "${RVCIDX_FAISS_INCLUDE}/faiss/Index.h" _faiss_ver REGEX "#define FAISS_VERSION_(MAJOR|MINOR|PATCH) ")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3"
  RVCIDX_FAISS_VERSION "${_faiss_ver}")
if(NOT RVCIDX_FAISS_VERSION STREQUAL "1.7.3")
  message(FATAL_ERROR "rvcidx: ${_faiss_prefix} holds faiss ${RVCIDX_FAISS_VERSION}; rvcidx needs 1.7.3, "
    "the version RVC pins (indexes must load in faiss-cpu 1.7.3)")
endif()
message(STATUS "rvcidx: faiss ${RVCIDX_FAISS_VERSION} at ${_faiss_prefix}")

add_library(rvcidx::faiss_c INTERFACE IMPORTED)
set_target_properties(rvcidx::faiss_c PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${RVCIDX_FAISS_INCLUDE}"
  INTERFACE_LINK_LIBRARIES "${RVCIDX_FAISS_C_LIB};${RVCIDX_FAISS_LIB}")
get_filename_component(RVCIDX_FAISS_LIBDIR "${RVCIDX_FAISS_C_LIB}" DIRECTORY)
set(RVCIDX_FAISS_PREFIX_USED "${_faiss_prefix}")
