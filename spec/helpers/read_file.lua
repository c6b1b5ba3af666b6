-- The whole content of a file (the specs read sources and docs).
return function(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read "*a"
	f:close()
	return s
end
