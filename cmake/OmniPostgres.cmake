# Finds libpq for the PostgreSQL backend (issue 7), according to OMNI_WITH_POSTGRES:
#   AUTO (default)  use libpq when found, otherwise build without the backend (with a notice)
#   ON              libpq is required
#   OFF             build without the backend
# Defines:
#   OMNI_HAVE_POSTGRES     ON when the backend and its tests are built
#   PostgreSQL::PostgreSQL imported target for libpq (include dir + library)
# Only libpq (the client) is needed to build; the tests also need the server binaries (Debian's
# `postgresql` package), which they look for at run time (docs/postgres.md).
string(TOUPPER "${OMNI_WITH_POSTGRES}" _omni_pg_mode)
set(OMNI_HAVE_POSTGRES OFF)
if(NOT _omni_pg_mode STREQUAL "OFF")
  if(_omni_pg_mode STREQUAL "ON")
    set(_omni_pg_required REQUIRED)
  else()
    set(_omni_pg_required)
  endif()
  # FindPostgreSQL (CMake >= 3.20) defines PostgreSQL::PostgreSQL for the client library alone;
  # the server headers (Server component) are not needed.
  find_package(PostgreSQL ${_omni_pg_required})
  if(PostgreSQL_FOUND AND TARGET PostgreSQL::PostgreSQL)
    set(OMNI_HAVE_POSTGRES ON)
  else()
    # Fall back on pkg-config's libpq.pc.
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(OMNI_LIBPQ QUIET IMPORTED_TARGET libpq)
    endif()
    if(OMNI_LIBPQ_FOUND)
      add_library(PostgreSQL::PostgreSQL INTERFACE IMPORTED)
      set_target_properties(PostgreSQL::PostgreSQL PROPERTIES INTERFACE_LINK_LIBRARIES
                                                              PkgConfig::OMNI_LIBPQ)
      set(OMNI_HAVE_POSTGRES ON)
    elseif(_omni_pg_mode STREQUAL "ON")
      message(FATAL_ERROR "OMNI_WITH_POSTGRES=ON but libpq was not found: run scripts/install-deps.sh")
    else()
      message(STATUS "libpq not found: building without the PostgreSQL backend "
                     "(scripts/install-deps.sh installs libpq-dev)")
    endif()
  endif()
endif()
message(STATUS "omni: PostgreSQL backend ${OMNI_HAVE_POSTGRES}")
unset(_omni_pg_mode)
unset(_omni_pg_required)
