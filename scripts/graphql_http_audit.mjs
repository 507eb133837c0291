// Run the graphql-http server audits (GraphQL over HTTP spec conformance) against a live server.
//
//   node scripts/graphql_http_audit.mjs URL [PREFIX]
//
// URL is the GraphQL endpoint (e.g. http://127.0.0.1:8000/graphql). PREFIX is the directory
// graphql-http was installed into (`npm install --no-save --prefix PREFIX graphql-http`);
// without it, the module is resolved from the current directory.
// Prints one JSON array on stdout: [{id, name, status, reason, body}] for every audit, where
// status is "ok", "notice", "warn" (SHOULD/MAY failed) or "error" (MUST failed).
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [url, prefix = process.cwd()] = process.argv.slice(2);
if (!url) {
  console.error('usage: node graphql_http_audit.mjs URL [PREFIX]');
  process.exit(2);
}
const require = createRequire(join(resolve(prefix), 'package.json'));
const { serverAudits } = require('graphql-http');

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    results.push({ id: audit.id, name: audit.name, status: 'error', reason: `audit threw: ${err}` });
    continue;
  }
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    try {
      const response = result.response;
      entry.httpStatus = response.status;
      entry.contentType = response.headers.get('content-type');
      entry.body = (await response.text()).slice(0, 300);
    } catch (err) {
      entry.body = `(body unreadable: ${err})`;
    }
  }
  results.push(entry);
}
process.stdout.write(JSON.stringify(results, null, 1) + '\n');
