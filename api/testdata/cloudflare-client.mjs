// Drives Sous's Cloudflare-compatible routes with Cloudflare's official
// client: node cloudflare-client.mjs BASE_URL PAGE_URL (cloudflare on NODE_PATH
// or in the working directory's node_modules).
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const Cloudflare = require('cloudflare').default ?? require('cloudflare');

const [baseURL, pageURL] = process.argv.slice(2);
const client = new Cloudflare({ apiToken: 'unused-by-sous-without-tokens', baseURL });
const account_id = 'any-account';
const br = client.browserRendering;

const content = await br.content.create({ account_id, url: pageURL });
const markdown = await br.markdown.create({ account_id, url: pageURL });
const links = await br.links.create({ account_id, url: pageURL });
const snapshot = await br.snapshot.create({ account_id, url: pageURL });
const ax = await br.accessibilityTree.create({ account_id, url: pageURL });
const scrape = await br.scrape.create({ account_id, url: pageURL, elements: [{ selector: 'h1' }] });
const shot = await br.screenshot.create({ account_id, url: pageURL, screenshotOptions: { type: 'png' } });
// The client hands a non-JSON reply back as a Response, or as the body it read.
const screenshotBytes = typeof shot?.arrayBuffer === 'function' ? (await shot.arrayBuffer()).byteLength
  : typeof shot === 'string' ? shot.length : JSON.stringify(shot ?? '').length;
const pdf = await br.pdf.create({ account_id, url: pageURL });
const pdfHead = Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString();
let badRequest = {};
try {
  await br.content.create({ account_id });
} catch (e) {
  badRequest = { Status: e.status, Code: e.errors?.[0]?.code };
}
console.log(JSON.stringify({
  content: content.slice(0, 200),
  markdownHasText: markdown.includes('ourdough'),
  links: links.length,
  snapshot: Object.keys(snapshot).sort(),
  axRoot: ax?.accessibilityTree?.role,
  scrape: scrape.map(s => ({ selector: s.selector, text: s.results[0]?.text, hasBox: s.results[0]?.width > 0 })),
  screenshotBytes,
  pdfHead,
  badRequest,
}));
