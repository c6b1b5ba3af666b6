#!/usr/bin/env lua5.4
-- mtasts-check: the command as LuaRocks installs it (see lua/mtasts/cli.lua).
-- From a source checkout, run bin/mtasts-check instead: it installs what is
-- missing, builds the C module and sets the paths.
os.exit(require("mtasts.cli").main(arg))
