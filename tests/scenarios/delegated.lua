-- Delegated policy (RFC 8461 §8.2): `_mta-sts` and `mta-sts` are CNAMEs to sts-provider.test, whose host serves this domain's policy with a certificate for mta-sts.delegated.test.
return {
  domain = "delegated.test",
  base = "enforce-ok",
  dns = {
    ["_mta-sts"] = { CNAME = "_mta-sts.delegated.sts-provider.test.", TXT = false },
    ["mta-sts"] = { CNAME = "mta-sts.sts-provider.test." },
  },
  https = { variant = "valid", address = "mta-sts.sts-provider.test" },
  expect = { ["mta-sts"] = {} },
}
