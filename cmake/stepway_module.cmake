# stepway_module(NAME DEPS <targets...>)
#
# One static library per module, stepway_<NAME>, built from every src/<NAME>/*.cc that is not a
# test, and one GoogleTest binary, <NAME>_test, from every src/<NAME>/*_test.cc. Sources are
# globbed so that adding a file to a module needs no edit here.
function(stepway_module name)
  cmake_parse_arguments(M "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(sources)
  set(tests)
  foreach(f IN LISTS all)
    if(f MATCHES "_test\\.cc$")
      list(APPEND tests ${f})
    else()
      list(APPEND sources ${f})
    endif()
  endforeach()
  add_library(stepway_${name} STATIC ${sources})
  target_include_directories(stepway_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(stepway_${name} PUBLIC ${M_DEPS})
  if(tests)
    add_executable(${name}_test ${tests})
    target_link_libraries(${name}_test PRIVATE stepway_${name} ${M_TEST_DEPS} GTest::gtest GTest::gmock
                          GTest::gtest_main)
    target_compile_definitions(${name}_test PRIVATE
                               STEPWAY_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_test(NAME ${name}_test COMMAND ${name}_test --gtest_brief=1)
  endif()
endfunction()
