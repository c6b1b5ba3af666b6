"""Writes the bench/parse corpus: a JSON array of MTA-STS policy texts.

Deterministic (fixed seed): the same N always gives the same file. The mix
follows what real mta-sts.txt files look like: CRLF and LF, 1-6 mx lines
from a few hosting styles (own MX hosts, wildcards, big providers), the
usual max_age values, a few extension keys, some that are valid with
warnings (BOM, blank lines, repeated mx, typo'd extra keys) and about 12%
that are invalid (typos of required keys, bad mode, missing fields, max_age
too large, malformed mx, wrong version, an HTML error page).

usage: gen_corpus.py OUT.json [N] [SEED]
"""
import json
import random
import sys

WORDS = ["acme", "northwind", "contoso", "fabrikam", "globex", "initech", "umbrella", "hooli",
         "stark", "wayne", "tyrell", "cyberdyne", "soylent", "vandelay", "wonka", "zenith",
         "orbital", "bluefin", "redwood", "silverline", "kestrel", "harbor", "summit", "pioneer",
         "lumen", "nimbus", "quartz", "atlas", "meridian", "copperleaf", "foxglove", "tidewater"]
TLDS = [".com", ".com", ".com", ".net", ".org", ".de", ".co.uk", ".io", ".nl", ".fr", ".ch",
        ".se", ".com.au", ".jp", ".eu", ".dev"]
MAX_AGES = ["86400", "604800", "604800", "1209600", "2419200", "10368000", "31536000",
            "31557600", "1296000", "5184000"]
EXTENSIONS = [("x-generated-by", "mta-sts-gen 1.4"), ("comment", "managed by the mail team"),
              ("x_rotated", "2024-05-01"), ("ext.report", "none"), ("x-contact", "postmaster"),
              ("policy-id", "20240501T120000")]


def domain(rng):
    name = rng.choice(WORDS)
    r = rng.random()
    if r < 0.2:
        name += "-" + rng.choice(WORDS)
    elif r < 0.3:
        name += str(rng.randrange(1, 99))
    return name + rng.choice(TLDS)


def mx_hosts(rng, dom, count):
    style = rng.random()
    if style < 0.25:  # Google Workspace
        pool = ["aspmx.l.google.com", "alt1.aspmx.l.google.com", "alt2.aspmx.l.google.com",
                "alt3.aspmx.l.google.com", "alt4.aspmx.l.google.com", "*.aspmx.l.google.com"]
    elif style < 0.45:  # Microsoft 365
        pool = ["*.mail.protection.outlook.com", dom.replace(".", "-") + ".mail.protection.outlook.com",
                "mx1." + dom, "mx2." + dom, "*.mx.microsoft", "backup." + dom]
    elif style < 0.55:  # other hosted gateways
        pool = ["eu-smtp-inbound-1.mimecast.com", "eu-smtp-inbound-2.mimecast.com", "*.pphosted.com",
                "mx00.ionos.de", "mx01.ionos.de", "mxa.mailgun.org", "mxb.mailgun.org", "in1-smtp.messagingengine.com"]
    elif style < 0.8:  # own MX hosts
        pool = ["mx%d.%s" % (i, dom) for i in range(1, 7)] + ["mail." + dom, "smtp-in." + dom]
    else:  # own hosts, wildcard
        pool = ["*." + dom, "*.mx." + dom, "mx." + dom, "fallback." + rng.choice(WORDS) + ".net",
                "mx-%02d.%s" % (rng.randrange(100), dom), "inbound." + dom]
    hosts = rng.sample(pool, min(count, len(pool)))
    if rng.random() < 0.05:  # people do write upper case; mtasts lower-cases
        hosts[0] = hosts[0].upper()
    return hosts


def valid_lines(rng):
    dom = domain(rng)
    r = rng.random()
    mode = "enforce" if r < 0.6 else "testing" if r < 0.9 else "none"
    lines = [["version", "STSv1"], ["mode", mode]]
    if mode != "none" or rng.random() < 0.5:
        n = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5, 6])
        mx = [["mx", h] for h in mx_hosts(rng, dom, n)]
    else:
        mx = []
    age = ["max_age", rng.choice(MAX_AGES)]
    if rng.random() < 0.6:
        lines += mx + [age]
    else:
        lines += [age] + mx
    if rng.random() < 0.15:
        for e in rng.sample(EXTENSIONS, rng.choice([1, 1, 2])):
            lines.insert(rng.randrange(2, len(lines) + 1), list(e))
    if rng.random() < 0.05:  # fields in another order are still valid
        rng.shuffle(lines)
    return lines


def render(rng, lines, sep=None):
    sep = sep or (": " if rng.random() < 0.93 else ":")
    eol = "\r\n" if rng.random() < 0.5 else "\n"
    text = eol.join(k + sep + v for k, v in lines)
    if rng.random() < 0.9:
        text += eol
    return text


def with_warnings(rng, lines):
    """Valid, but with something a careful parser warns about."""
    kind = rng.randrange(5)
    if kind == 0:
        return "\ufeff" + render(rng, lines)
    if kind == 1:
        return render(rng, lines) + ("\r\n" if rng.random() < 0.5 else "\n")  # blank line at the end
    if kind == 2:
        mx = [l for l in lines if l[0] == "mx"]
        if mx:
            lines.append(list(mx[0]))  # repeated mx
        return render(rng, lines)
    if kind == 3:
        lines.append(["maxage", "86400"])  # a typo'd extra key, next to the real one
        return render(rng, lines)
    lines.insert(1, ["mode", "testing"])  # repeated mode: the first counts
    return render(rng, lines)


def invalid(rng):
    lines = valid_lines(rng)
    if not any(k == "mx" for k, _ in lines):
        lines.append(["mx", "mx1." + domain(rng)])
    for l in lines:
        if l[0] == "mode":
            l[1] = "enforce"
    keys = [k for k, _ in lines]
    kind = rng.randrange(8)
    if kind == 0:  # typo of a required key
        typo = rng.choice([("max_age", "max-age"), ("max_age", "maxage"), ("version", "verison"),
                           ("mode", "Mode"), ("mx", "nmx")])
        for l in lines:
            if l[0] == typo[0]:
                l[0] = typo[1]
        if typo[0] == "mx":
            lines = [l for l in lines if l[0] != "mx"] + [["nmx", "mx1.example.org"]]
    elif kind == 1:  # bad mode
        lines[keys.index("mode")][1] = rng.choice(["Enforce", "enforcing", "on", "test", "report"])
    elif kind == 2:  # a missing required field
        gone = rng.choice(["version", "max_age", "mx", "mode"])
        lines = [l for l in lines if l[0] != gone]
    elif kind == 3:  # max_age too large or not a number
        lines[keys.index("max_age")][1] = rng.choice(["31557601", "63115200", "99999999999", "1w", "86400s",
                                                     "-1"])
    elif kind == 4:  # malformed mx
        i = keys.index("mx")
        lines[i][1] = rng.choice(["mx1.example.com, mx2.example.com", "mail.*.example.com",
                                  lines[i][1].lstrip("*.") + ".", "*example.com", "mx1 mx2.example.net",
                                  "mx_1.example.com"])
    elif kind == 5:  # wrong version
        lines[keys.index("version")][1] = rng.choice(["STSv2", "stsv1", "STS1", "1"])
    elif kind == 6:  # an error page served as the policy
        return rng.choice(["<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
                           "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
                           "</body>\r\n</html>\r\n",
                           "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
                           "<title>Site not found</title></head>\n<body><p>This site is not configured."
                           "</p></body>\n</html>\n"])
    else:  # key = value, as in a TXT record
        return render(rng, lines, sep=rng.choice(["=", " = "]))
    return render(rng, lines)


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 8461
    rng = random.Random(seed)
    n_invalid = round(n * 0.12)
    n_warn = round(n * 0.08)
    kinds = ["invalid"] * n_invalid + ["warn"] * n_warn + ["valid"] * (n - n_invalid - n_warn)
    rng.shuffle(kinds)
    corpus = []
    for kind in kinds:
        if kind == "invalid":
            corpus.append(invalid(rng))
        elif kind == "warn":
            corpus.append(with_warnings(rng, valid_lines(rng)))
        else:
            corpus.append(render(rng, valid_lines(rng)))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(corpus, f, ensure_ascii=False, indent=0)
        f.write("\n")
    mx = [sum(1 for l in t.splitlines() if l.startswith("mx:")) for t in corpus]
    print("%d policies (seed %d): %d CRLF, %d LF; %.0f bytes on average; mx lines per policy %d-%d "
          "(mean %.1f); %d with a wildcard mx, %d with extension keys; generated as %d valid, "
          "%d valid with warnings, %d invalid"
          % (n, seed, sum("\r\n" in t for t in corpus), sum("\r\n" not in t for t in corpus),
             sum(len(t.encode()) for t in corpus) / n, min(m for m in mx if m), max(mx), sum(mx) / n,
             sum("mx: *." in t for t in corpus), sum(any(e[0] + ":" in t for e in EXTENSIONS) for t in corpus),
             n - n_invalid - n_warn, n_warn, n_invalid))


if __name__ == "__main__":
    main()
