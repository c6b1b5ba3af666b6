'use strict';
// bench/fetch, peer: mailauth's getPolicy(domain) (npm mailauth, lib/mta-sts.js:
// node:dns for the TXT lookup, node:https for the fetch, its own parser), run
// inside the testbed namespace with CONCURRENCY calls in flight.
// usage: node peer_mailauth.js CLONES N CONCURRENCY
// Prints: RESULT <domains/s> <ok> <failed> <seconds>
// NODE_EXTRA_CA_CERTS must point at the testbed's CA.
const { getPolicy } = require('mailauth/lib/mta-sts');

const [clones, n, conc] = process.argv.slice(2).map(Number);
const digits = Math.max(4, String(clones).length);
let next = 1;
let ok = 0;
let failed = 0;

async function worker() {
    while (next <= n) {
        const i = next++;
        const domain = `c${String(i).padStart(digits, '0')}.clones.test`;
        try {
            const r = await getPolicy(domain, null);
            if (r.status === 'found' && r.policy && r.policy.mode === 'enforce') {
                ok++;
            } else {
                failed++;
            }
        } catch (err) {
            failed++;
        }
    }
}

const t0 = process.hrtime.bigint();
Promise.all(Array.from({ length: conc }, worker)).then(() => {
    const el = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`RESULT ${(n / el).toFixed(0)} ${ok} ${failed} ${el.toFixed(2)}`);
});
