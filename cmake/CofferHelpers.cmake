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

# coffer_test(NAME SOURCES ... [LABELS ...]) builds one Catch2 executable that
# links the static library and registers every test case with CTest.
function(coffer_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LABELS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE coffer_static coffer_test_support
                        coffer_warnings ${ARG_DEPS})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/lib"
                             "${PROJECT_SOURCE_DIR}/tests")
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  catch_discover_tests(${name} PROPERTIES LABELS "${labels}"
                       DISCOVERY_TIMEOUT 60)
endfunction()
