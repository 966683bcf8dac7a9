# SPDX-License-Identifier: Apache-2.0
# Every third-party dependency is found here, once. Debian 12 packages; see
# ../shared/TOOLCHAIN.md for which ones ship CMake configs and which do not.
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

# Howard Hinnant's date/tz: header-only date plus libdate-tz (system tzdb).
find_path(DATE_INCLUDE_DIR date/tz.h REQUIRED)
find_library(DATE_TZ_LIBRARY NAMES date-tz REQUIRED)
add_library(bankcc_date_tz INTERFACE)
target_include_directories(bankcc_date_tz SYSTEM INTERFACE ${DATE_INCLUDE_DIR})
target_link_libraries(bankcc_date_tz INTERFACE ${DATE_TZ_LIBRARY})
target_compile_definitions(bankcc_date_tz INTERFACE USE_OS_TZDB=1)

# SOCI 4.0.3 ships neither a CMake config nor a pkg-config file in Debian.
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
find_library(SOCI_CORE_LIBRARY soci_core REQUIRED)
find_library(SOCI_SQLITE3_LIBRARY soci_sqlite3 REQUIRED)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql REQUIRED)
add_library(bankcc_soci INTERFACE)
target_include_directories(bankcc_soci SYSTEM INTERFACE ${SOCI_INCLUDE_DIR}
                                                        ${PostgreSQL_INCLUDE_DIRS})
target_link_libraries(bankcc_soci INTERFACE ${SOCI_POSTGRESQL_LIBRARY} ${SOCI_SQLITE3_LIBRARY}
                                            ${SOCI_CORE_LIBRARY} PostgreSQL::PostgreSQL
                                            SQLite::SQLite3)

if(BANKCC_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BANKCC_BUILD_BENCH AND NOT BANKCC_UNIT_TESTS_ONLY)
  find_package(benchmark REQUIRED)
endif()

# Telephony: sofia-sip (only sip/ includes it) and spandsp (only media/ includes it); both
# through pkg-config, their headers as SYSTEM includes (they do not compile warning-free).
pkg_check_modules(SOFIA REQUIRED IMPORTED_TARGET sofia-sip-ua)
pkg_check_modules(SPANDSP REQUIRED IMPORTED_TARGET spandsp)
