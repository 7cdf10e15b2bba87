# Helpers shared by every module's CMakeLists.txt.
#
# coffer_module(NAME SOURCES ... [DEPS ...]) defines the object library
# coffer_<NAME>. Every module's objects end up in the one public library
# (coffer, shared, and coffer_static); DEPS name other modules or imported
# targets, which gives each module the include paths and the one-way
# dependency order of DESIGN.md.
function(coffer_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(target coffer_${name})
  add_library(${target} OBJECT ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC
    "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
    "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>"
    "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/lib>")
  target_compile_definitions(${target} PRIVATE COFFER_BUILDING_LIBRARY)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE coffer_warnings)
  set_property(GLOBAL APPEND PROPERTY COFFER_MODULES ${target})
endfunction()

# coffer_link_internals(TARGET) lets a test, benchmark or example use lib/'s
# internal headers (and the generated protobuf headers) over coffer_static.
function(coffer_link_internals target)
  target_link_libraries(${target} PRIVATE coffer_static coffer_warnings
                        protobuf::libprotobuf leveldb::leveldb)
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/lib"
    "${PROJECT_SOURCE_DIR}/tests" "${PROJECT_BINARY_DIR}/gen"
    "${PROJECT_BINARY_DIR}/gen/proto")
endfunction()

# coffer_test(NAME SOURCES ... [LABELS ...]) builds one Catch2 executable that
# links the static library and registers every test case with CTest.
function(coffer_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LABELS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  coffer_link_internals(${name})
  target_link_libraries(${name} PRIVATE coffer_test_support ${ARG_DEPS})
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  catch_discover_tests(${name} PROPERTIES LABELS "${labels}"
                       DISCOVERY_TIMEOUT 60)
endfunction()
