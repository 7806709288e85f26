// An independent Web Bot Auth verifier built from Cloudflare's reference
// implementation (npm web-bot-auth, with http-message-sig for RFC 9421),
// for Sous's tests: node verify-web-bot-auth.mjs < input.json
//
// Input: {"directory": URL, "now": seconds (optional),
//         "requests": [{"method", "url", "headers": [[name, value], …]}]}
// Output: {"directory": {"ok", "error", "keys"}, "requests": [{"ok", "error", "keyid"}]}
//
// The directory is fetched as a verifier would fetch it: its media type,
// every kid against the key's thumbprint (web-bot-auth's jwkToKeyID), the
// Content-Digest, and each key's possession signature over the response.
// A request verifies when its Signature-Agent member is covered and names
// that directory, its tag is web-bot-auth, it is within its validity, and
// the Ed25519 signature checks (web-bot-auth's verifierFromJWK) over the
// RFC 9421 signature base (http-message-sig 0.3, which reads dictionary
// members; web-bot-auth 0.1.3's own verify predates the dictionary form of
// Signature-Agent that the current draft requires).
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
const require = createRequire(process.cwd() + '/');
const wba = require('web-bot-auth');
const wbaCrypto = require('web-bot-auth/crypto');
const httpsig = require('http-message-sig-rfc9421');
const sfv = require('structured-headers');

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
// now is the verifier's clock: the input's, or the present, read when it
// is needed (a signature made during this script's start-up is no fault).
const now = () => input.now ?? Math.floor(Date.now() / 1000);
const out = { directory: { ok: false, error: '', keys: 0 }, requests: [] };

// ed25519Verifier checks signatures with web-bot-auth's verifierFromJWK.
function ed25519Verifier(jwk, parameters) {
  return {
    algorithm: 'ed25519',
    async verify(data, signature) {
      const check = await wbaCrypto.verifierFromJWK(jwk);
      try {
        await check(new TextDecoder().decode(data), signature, parameters);
        return true;
      } catch {
        return false;
      }
    },
  };
}

let keys = [];
try {
  const resp = await fetch(input.directory, { headers: { accept: wba.MediaType.HTTP_MESSAGE_SIGNATURES_DIRECTORY } });
  const body = Buffer.from(await resp.arrayBuffer());
  if (resp.status !== 200) throw new Error(`directory status ${resp.status}`);
  if (resp.headers.get('content-type') !== wba.MediaType.HTTP_MESSAGE_SIGNATURES_DIRECTORY)
    throw new Error(`directory content type ${resp.headers.get('content-type')}`);
  keys = JSON.parse(body.toString('utf8')).keys;
  for (const jwk of keys) {
    const thumbprint = await wba.jwkToKeyID(jwk, wbaCrypto.helpers.WEBCRYPTO_SHA256, wbaCrypto.helpers.BASE64URL_DECODE);
    if (jwk.kid !== thumbprint) throw new Error(`kid ${jwk.kid} is not the key's thumbprint ${thumbprint}`);
  }
  const digest = 'sha-256=:' + createHash('sha256').update(body).digest('base64') + ':';
  if (resp.headers.get('content-digest') !== digest) throw new Error('content-digest does not match the body');
  const fields = [...resp.headers].map(([name, value]) => ({ name, value }));
  const response = { kind: 'response', status: resp.status, fields, request: { kind: 'request', method: 'GET', targetUri: input.directory, fields: [] } };
  for (let i = 0; i < keys.length; i++) {
    await httpsig.verifySignature(response, {
      label: `binding${i}`,
      policy: {
        algorithms: ['ed25519'],
        requiredComponents: [httpsig.component('@authority', { req: true }), 'content-digest'],
        requiredParameters: ['created', 'expires', 'keyid', 'tag'],
        now: now(),
      },
      resolveVerifier(candidate) {
        if (candidate.parameters.tag !== wba.Tag.HTTP_MESSAGE_SIGNAGURES_DIRECTORY) throw new Error(`tag ${candidate.parameters.tag}`);
        const jwk = keys.find((k) => k.kid === candidate.parameters.keyid);
        if (!jwk) throw new Error(`directory signed by unknown key ${candidate.parameters.keyid}`);
        return ed25519Verifier(jwk, candidate.parameters);
      },
    });
  }
  out.directory = { ok: true, error: '', keys: keys.length };
} catch (error) {
  out.directory.error = describe(error);
}

for (const r of input.requests ?? []) {
  const result = { ok: false, error: '', keyid: '' };
  try {
    const fields = r.headers.map(([name, value]) => ({ name, value }));
    const agentField = fields.filter((f) => f.name.toLowerCase() === 'signature-agent').map((f) => f.value).join(', ');
    const verified = await httpsig.verifySignature({ kind: 'request', method: r.method, targetUri: r.url, fields }, {
      policy: {
        algorithms: ['ed25519'],
        requiredComponents: ['@authority'],
        requiredParameters: ['created', 'expires', 'keyid', 'alg', 'tag', 'nonce'],
        maxAge: 300,
        now: now(),
      },
      resolveVerifier(candidate) {
        if (candidate.parameters.tag !== wba.HTTP_MESSAGE_SIGNATURE_TAG) throw new Error(`tag ${candidate.parameters.tag}`);
        if (!candidate.components.some((c) => c.name === wba.SIGNATURE_AGENT_HEADER && c.parameters.key === candidate.label))
          throw new Error('Signature-Agent member is not covered');
        const member = sfv.parseDictionary(agentField).get(candidate.label);
        if (!member) throw new Error('no Signature-Agent member for the label');
        const type = member[1].get('type');
        const where = type === undefined ? new URL(member[0]).origin + wba.HTTP_MESSAGE_SIGNATURES_DIRECTORY : member[0];
        if (where !== input.directory) throw new Error(`Signature-Agent names ${where}, not ${input.directory}`);
        const jwk = keys.find((k) => k.kid === candidate.parameters.keyid);
        if (!jwk) throw new Error(`keyid ${candidate.parameters.keyid} is not in the directory`);
        return ed25519Verifier(jwk, candidate.parameters);
      },
    });
    result.ok = true;
    result.keyid = verified.parameters.keyid;
  } catch (error) {
    result.error = describe(error);
  }
  out.requests.push(result);
}
process.stdout.write(JSON.stringify(out) + '\n');

function describe(error) {
  let text = String(error?.message ?? error);
  if (error?.cause) text += ': ' + describe(error.cause);
  return text;
}
