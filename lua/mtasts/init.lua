--- mtasts: checks a mail domain's transport security (MTA-STS first).
-- `require "mtasts"` returns this table. The pure layer (parsers and
-- matchers, no I/O) comes from the C module `mtasts.core`; its functions
-- are exported as they are, so argument errors name them directly.
local core = require "mtasts.core"

local mtasts = {}

for name, value in pairs(core) do
	mtasts[name] = value
end

-- The policy decision of an RFC 8461 sender (pure Lua, no I/O).
mtasts.sts_state = require "mtasts.sts_state"

-- Waiting for a handle: yields under cqueues, blocks elsewhere.
mtasts.await = require "mtasts.await"

-- The reference self-check (lua/mtasts/selfcheck.lua).
mtasts.selfcheck = require("mtasts.selfcheck").selfcheck

return mtasts
