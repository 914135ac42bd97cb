# `cmake --install` and the Debian package (CPack). Installs the binary, its man page, the
# systemd unit (its paths rewritten for the install prefix), /etc/pinwatch/pinwatch.toml, the
# example configs, the README and the copyright file; nothing from tests/ or bench/.
# `scripts/package.sh` builds the .deb.
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
# The service's config: a commented example with nothing to watch and no notifiers, a conffile
# in the package (cmake/deb/conffiles), so an admin's edits survive upgrades. A plain
# `cmake --install` onto this machine (no DESTDIR, as CPack's staging has) never replaces a
# config that is already there.
install(CODE "
  if(EXISTS \"/etc/pinwatch/pinwatch.toml\" AND \"\$ENV{DESTDIR}\" STREQUAL \"\")
    message(STATUS \"Kept: /etc/pinwatch/pinwatch.toml (an existing config is never replaced)\")
  else()
    file(INSTALL DESTINATION \"/etc/pinwatch\" TYPE FILE RENAME pinwatch.toml
         FILES \"${CMAKE_SOURCE_DIR}/systemd/etc-pinwatch.toml\")
  endif()
")
install(FILES cmake/deb/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

# pinwatch(1), written from the binary's own --help texts once it is linked (cmake/manpage.cmake).
set(PINWATCH_MANPAGE ${CMAKE_BINARY_DIR}/man/pinwatch.1.gz)
add_custom_command(OUTPUT ${PINWATCH_MANPAGE}
  COMMAND ${CMAKE_COMMAND} -DPINWATCH=$<TARGET_FILE:pinwatch> -DVERSION=${PROJECT_VERSION}
          -DOUT=${PINWATCH_MANPAGE} -P ${CMAKE_SOURCE_DIR}/cmake/manpage.cmake
  DEPENDS pinwatch ${CMAKE_SOURCE_DIR}/cmake/manpage.cmake
  COMMENT "Writing pinwatch(1) from pinwatch --help")
# Debian's changelog for a native package, compressed as policy asks (gzip -9n: no name, no time).
configure_file(${CMAKE_SOURCE_DIR}/cmake/deb/changelog.in ${CMAKE_BINARY_DIR}/deb/changelog @ONLY)
set(PINWATCH_CHANGELOG ${CMAKE_BINARY_DIR}/deb/changelog.gz)
add_custom_command(OUTPUT ${PINWATCH_CHANGELOG}
  COMMAND gzip -9nc ${CMAKE_BINARY_DIR}/deb/changelog > ${PINWATCH_CHANGELOG}
  DEPENDS ${CMAKE_BINARY_DIR}/deb/changelog)
add_custom_target(manpage ALL DEPENDS ${PINWATCH_MANPAGE} ${PINWATCH_CHANGELOG})
install(FILES ${PINWATCH_MANPAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PINWATCH_CHANGELOG} DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pinwatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "pinwatch maintainers <pinwatch@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "watches the Python packages a team pins")
set(CPACK_PACKAGE_DESCRIPTION
  "pinwatch reads a team's requirements files, polls PyPI (or any PEP 503/691
index) and GitHub with conditional requests, and tells the team about new
releases, yanks and vulnerabilities through the console, Slack, email or signed
webhooks. It runs as a hardened systemd service (pinwatch.service).")
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
# Maintainer scripts equivalent to what debhelper's dh_installsystemd writes (the unit enabled on
# install, started once configured, restarted on upgrade, stopped on remove), and the conffile.
# CPack rather than debhelper: one build (the CMake preset CI and developers use) makes the
# binary and the package, with no debian/ source package to keep in step with CMake.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/cmake/deb/postinst ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
  ${CMAKE_SOURCE_DIR}/cmake/deb/postrm ${CMAKE_SOURCE_DIR}/cmake/deb/conffiles)
include(CPack)
