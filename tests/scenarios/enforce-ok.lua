-- Everything right: MTA-STS enforce, TLS-RPT, SPF, DKIM, DMARC reject, BIMI, a signed zone,
-- two STARTTLS MX hosts with valid certificates, DANE-EE (3 1 1) on mx1.
-- Every other scenario is a small diff over this one (`base = "enforce-ok"`).
return {
  domain = "enforce-ok.test",
  signed = true,
  dns = {
    ["@"] = {
      MX = { "10 mx1", "20 mx2" },
      TXT = { "v=spf1 mx -all" },
    },
    ["_mta-sts"] = { TXT = "v=STSv1; id=20240101T000000;" },
    ["_smtp._tls"] = { TXT = "v=TLSRPTv1; rua=mailto:tlsrpt@{domain},https://reports.{domain}/tlsrpt" },
    ["_dmarc"] = { TXT = "v=DMARC1; p=reject; rua=mailto:dmarc@{domain}" },
    ["mail._domainkey"] = { TXT = "v=DKIM1; k=rsa; p={dkim-p:rsa2048}" },
    ["ed._domainkey"] = { TXT = "v=DKIM1; k=ed25519; p={dkim-p:ed25519}" },
    ["default._bimi"] = { TXT = "v=BIMI1; l=https://bimi.{domain}/logo.svg;" },
    ["_25._tcp.mx1"] = { TLSA = "{tlsa-3-1-1:mx1}" },
  },
  policy = "version: STSv1\nmode: enforce\nmx: mx1.{domain}\nmx: mx2.{domain}\nmax_age: 604800\n",
  https = {
    variant = "valid",
    files = {
      reports = { ["/tlsrpt"] = { status = 200, type = "text/plain", body = "TLS-RPT reports are accepted here (POST).\n" } },
      bimi = { ["/logo.svg"] = { status = 200, type = "image/svg+xml", body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' ..
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">' ..
        '<title>{domain}</title><rect width="100" height="100" fill="#1a7f37"/></svg>\n' } },
    },
  },
  mx = {
    mx1 = { variant = "valid" },
    mx2 = { variant = "valid" },
  },
  expect = {
    ["mta-sts"] = {},
    ["tls-rpt"] = {},
    dnssec = {},
    mx = { "mx.dane.none" }, -- mx2 publishes no TLSA (DANE on mx1 only)
  },
}
