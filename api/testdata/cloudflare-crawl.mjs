// Drives Sous's Cloudflare-compatible crawl routes with Cloudflare's official
// client: node cloudflare-crawl.mjs BASE_URL START_URL (cloudflare on
// NODE_PATH or in the working directory's node_modules). It creates a crawl,
// polls it until it ends, pages through its records four at a time, and
// cancels a second crawl.
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const Cloudflare = require('cloudflare').default ?? require('cloudflare');

const [baseURL, startURL] = process.argv.slice(2);
const client = new Cloudflare({ apiToken: 'unused-by-sous-without-tokens', baseURL });
const account_id = 'any-account';
const crawl = client.browserRendering.crawl;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(id) {
  for (;;) {
    const job = await crawl.get(id, { account_id, limit: 1 });
    if (job.status !== 'running') return job;
    await sleep(100);
  }
}

const id = await crawl.create({
  account_id, url: startURL, limit: 50, formats: ['markdown'],
  gotoOptions: { timeout: 15000 }, crawlPurposes: ['search'],
});
const job = await waitFor(id);

const records = [];
let cursor;
let pages = 0;
do {
  const page = await crawl.get(id, { account_id, limit: 4, ...(cursor != null ? { cursor } : {}) });
  pages++;
  for (const r of page.records) {
    records.push({ url: r.url, status: r.status, httpStatus: r.metadata?.status ?? 0, hasMarkdown: (r.markdown ?? '').length > 0 });
  }
  cursor = page.cursor;
} while (cursor != null);

const errored = await crawl.get(id, { account_id, status: 'errored' });

const second = await crawl.create({ account_id, url: startURL, limit: 50, render: false });
const cancelled = await crawl.delete(second, { account_id });
const afterCancel = await waitFor(second);

let notFound = {};
try {
  await crawl.get('no-such-job', { account_id });
} catch (e) {
  notFound = { status: e.status, code: e.errors?.[0]?.code };
}

console.log(JSON.stringify({
  id, status: job.status, total: job.total, finished: job.finished, skipped: job.skipped,
  pages, records, errored: errored.records.map((r) => r.url),
  cancelled, afterCancel: afterCancel.status, notFound,
}));
