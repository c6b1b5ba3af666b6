-- The MTA-STS provider of `delegated`: a correct domain itself, plus `_mta-sts.delegated` TXT for its customer.
return {
  domain = "sts-provider.test",
  base = "enforce-ok",
  dns = { ["_mta-sts.delegated"] = { TXT = "v=STSv1; id=20240301T000000;" } },
  expect = { ["mta-sts"] = {} },
}
