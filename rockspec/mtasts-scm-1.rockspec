rockspec_format = "3.0"
package = "mtasts"
version = "scm-1"
source = {
   url = "git+https://github.com/mtasts/mtasts.git",
}
description = {
   summary = "Checks a mail domain's MTA-STS, TLS-RPT, DNSSEC and MX transport security",
   detailed = [[
mtasts tells a mail domain's owner, an MTA or a monitoring job whether the
domain's mail transport security is set up right, and why not: strict
RFC 8461 parsers (no I/O, usable on their own), and the mtasts-check command.
]],
   license = "MIT",
   homepage = "https://github.com/mtasts/mtasts",
}
dependencies = {
   "lua >= 5.1, < 5.5",
   "argparse",
   "lua-cjson",
}
-- libcurl is found by CMake (its header lives in a multiarch directory on Debian).
external_dependencies = {
   UNBOUND = { header = "unbound.h" },
   OPENSSL = { header = "openssl/ssl.h" },
   IDN2 = { header = "idn2.h" },
   PSL = { header = "libpsl.h" },
}
build = {
   type = "cmake",
   variables = {
      CMAKE_BUILD_TYPE = "RelWithDebInfo",
      CMAKE_INSTALL_PREFIX = "$(PREFIX)",
      LUA_INCDIR = "$(LUA_INCDIR)",
      LUADIR = "$(LUADIR)",
      LIBDIR = "$(LIBDIR)",
      MTASTS_TESTS = "OFF",
   },
   install = {
      bin = { ["mtasts-check"] = "bin/mtasts-check.lua" },
   },
}
