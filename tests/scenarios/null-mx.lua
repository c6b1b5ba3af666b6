-- Null MX (RFC 7505: `MX 0 .`), no MTA-STS, SPF -all: a domain that receives no mail.
return {
  domain = "null-mx.test",
  base = "enforce-ok",
  dns = {
    ["@"] = { MX = "0 .", TXT = "v=spf1 -all" },
    ["_mta-sts"] = false,
    ["_smtp._tls"] = false,
    ["_25._tcp.mx1"] = false,
  },
  policy = false,
  https = false,
  mx = { mx1 = false, mx2 = false },
  expect = {
    ["mta-sts"] = { "sts.record.missing" },
    mx = { "mx.null" },
  },
}
