# SPDX-License-Identifier: Apache-2.0
# Included from the root before the modules: test support library and the ctest fixture
# "postgres" (a throwaway PostgreSQL server, tests/pg/pg_fixture).
set(BANKCC_TEST_TMP ${PROJECT_BINARY_DIR}/tmp)
file(MAKE_DIRECTORY ${BANKCC_TEST_TMP})
if(BANKCC_BUILD_TESTS)
  add_library(bankcc_testing STATIC ${CMAKE_CURRENT_LIST_DIR}/support/test_env.cc
                                    ${CMAKE_CURRENT_LIST_DIR}/support/sqlite_util.cc)
  target_include_directories(bankcc_testing PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_compile_definitions(bankcc_testing PRIVATE BANKCC_TEST_TMP="${BANKCC_TEST_TMP}")
  target_link_libraries(bankcc_testing PUBLIC PostgreSQL::PostgreSQL SQLite::SQLite3)

  add_test(NAME postgres_start
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/pg/pg_fixture start ${BANKCC_TEST_TMP}/pg)
  set_tests_properties(postgres_start PROPERTIES FIXTURES_SETUP postgres
                       LABELS "integration" TIMEOUT 180)
  add_test(NAME postgres_stop
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/pg/pg_fixture stop ${BANKCC_TEST_TMP}/pg)
  set_tests_properties(postgres_stop PROPERTIES FIXTURES_CLEANUP postgres
                       LABELS "integration" TIMEOUT 180)
endif()
