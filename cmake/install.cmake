# `cmake --install` and the Debian package (CPack). Installs the binary, the systemd unit (its
# paths rewritten for the install prefix), the example configs and the README; nothing from
# tests/ or bench/. `scripts/package.sh` builds the .deb.
include(GNUInstallDirs)

install(TARGETS pinwatch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The unit names the binary and the README by path: rewritten at install time for the prefix
# in use (/usr for the package, /usr/local for a plain `cmake --install`).
install(CODE "
  file(READ \"${CMAKE_SOURCE_DIR}/systemd/pinwatch.service\" unit)
  string(REPLACE \"/usr/bin/pinwatch\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/pinwatch\"
    unit \"\${unit}\")
  string(REPLACE \"/usr/share/doc/pinwatch\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\"
    unit \"\${unit}\")
  file(WRITE \"${CMAKE_BINARY_DIR}/systemd/pinwatch.service\" \"\${unit}\")
")
# systemd looks in <prefix>/lib/systemd/system for /usr and /usr/local alike.
install(FILES ${CMAKE_BINARY_DIR}/systemd/pinwatch.service DESTINATION lib/systemd/system)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES systemd/pinwatch.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
  RENAME pinwatch.toml)
install(FILES examples/pinwatch.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
  RENAME pinwatch-full.toml)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pinwatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "pinwatch maintainers <pinwatch@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "watches the Python packages a team pins")
set(CPACK_PACKAGE_DESCRIPTION
  "pinwatch reads a team's requirements files, polls PyPI (or any PEP 503/691 index) with
conditional requests and tells the team about new releases and yanks through the console,
Slack, email or signed webhooks. It runs as a hardened systemd service (pinwatch.service).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # pinwatch_<version>_<arch>.deb
# The build keeps debug information (RelWithDebInfo); the package ships the stripped binary.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.com/pinwatch")
# Shared-library dependencies come from dpkg-shlibdeps (libboost-url1.81.0, libssl3,
# libspdlog1.10, libsqlite3-0, libtomlplusplus3, libsystemd0, ...); ca-certificates for TLS.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
