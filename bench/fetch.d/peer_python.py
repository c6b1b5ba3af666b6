"""bench/fetch, peer: postfix-mta-sts-resolver's STSResolver.resolve(domain)
(Debian package: aiodns for the TXT lookup, aiohttp for the HTTPS fetch, its
own policy parser), run with /usr/bin/python3 inside the testbed namespace,
CONCURRENCY resolves in flight (an asyncio.Semaphore).
usage: peer_python.py CLONES N CONCURRENCY
Prints: RESULT <domains/s> <ok> <failed> <seconds>
SSL_CERT_FILE must point at the testbed's CA (the default context reads it).
"""
import asyncio
import sys
import time

from postfix_mta_sts_resolver.resolver import STSResolver, STSFetchResult


async def main():
    clones, n, width = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    conc = width
    digits = max(4, len(str(clones)))
    loop = asyncio.get_running_loop()
    resolver = STSResolver(timeout=30, loop=loop)
    sem = asyncio.Semaphore(conc)
    results = {"ok": 0, "failed": 0}

    async def one(i):
        async with sem:
            status, _ = await resolver.resolve("c%0*d.clones.test" % (digits, i))
            results["ok" if status == STSFetchResult.VALID else "failed"] += 1

    t0 = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(1, n + 1)))
    el = time.monotonic() - t0
    print("RESULT %.0f %d %d %.2f" % (n / el, results["ok"], results["failed"], el))


asyncio.run(main())
