# SPDX-License-Identifier: Apache-2.0
# bankcc_module(NAME name [PUBLIC libs...] [PRIVATE libs...] [SYSTEM_INCLUDES dirs...]
#               [TEST_LIBS libs...])
# A module whose sources are globbed from its directory, so that parallel work on it needs no
# edits to its CMakeLists.txt (re-run cmake after adding a file; CONFIGURE_DEPENDS does it for
# ninja): *.cc form the library bankcc_<name>, *_test.cc the unit-test binary <name>_test, and
# *_itest.cc (real sockets and peers such as sipp; not built under the sanitizers) the binary
# <name>_integration_test. SYSTEM_INCLUDES (third-party headers that are not warning-free) are
# private to the library and its tests.
function(bankcc_module)
  cmake_parse_arguments(M "" "NAME" "PUBLIC;PRIVATE;SYSTEM_INCLUDES;TEST_LIBS" ${ARGN})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB sources CONFIGURE_DEPENDS ${dir}/*.cc)
  file(GLOB tests CONFIGURE_DEPENDS ${dir}/*_test.cc)
  file(GLOB itests CONFIGURE_DEPENDS ${dir}/*_itest.cc)
  foreach(t IN LISTS tests itests)
    list(REMOVE_ITEM sources ${t})
  endforeach()
  set(lib bankcc_${M_NAME})
  add_library(${lib} ${sources})
  target_link_libraries(${lib} PUBLIC ${M_PUBLIC} PRIVATE ${M_PRIVATE})
  if(M_SYSTEM_INCLUDES)
    target_include_directories(${lib} SYSTEM PRIVATE ${M_SYSTEM_INCLUDES})
  endif()
  foreach(kind IN ITEMS test integration_test)
    if(kind STREQUAL "test")
      set(files ${tests})
      set(label unit)
    else()
      set(files ${itests})
      set(label integration)
    endif()
    if(files)
      bankcc_test(NAME ${M_NAME}_${kind} LABELS ${label} LIBS ${lib} ${M_TEST_LIBS}
                  SOURCES ${files})
      if(TARGET ${M_NAME}_${kind} AND M_SYSTEM_INCLUDES)
        target_include_directories(${M_NAME}_${kind} SYSTEM PRIVATE ${M_SYSTEM_INCLUDES})
      endif()
    endif()
  endforeach()
endfunction()
