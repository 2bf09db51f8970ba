// A fake Hugging Face hub on 127.0.0.1 for the hf: loading tests: the routes loadModel('hf:…')
// reads, answered as huggingface.co answers them (status codes, X-Error-Code headers, the redirect
// of a file download), with a log of every request.
//   GET /api/models/{owner}/{repo}[/revision/{rev}] -> { id, sha, siblings: [{ rfilename }] }
//   GET /{owner}/{repo}/resolve/{rev}/{path}         -> 302 to /cdn/{sha}/{path} -> the bytes
// Access: a missing repo is 404 with a valid token and 401 without (the hub does not reveal private
// repos); a private repo needs a valid token; a gated repo lists its files to anyone, but its files
// need a token that was granted access (401 without a token, 403 GatedRepo with another one).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

/** Tokens the fake hub accepts: READER may read everything, OTHER is valid but not granted gated repos. */
export const TOKENS = { READER: 'hf_readerTokenForTheFakeHubOnly0000000000', OTHER: 'hf_otherTokenForTheFakeHubOnly00000000000' };

function sha1(s) {
  return createHash('sha1').update(s).digest('hex');
}

/** Starts the hub. repos: { 'owner/name': { files: { path: Uint8Array }, private?, gated? } }. */
export async function fakeHub(repos) {
  const requests = [];
  const shas = Object.fromEntries(Object.keys(repos).map((id) => [id, sha1(id)]));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization;
    requests.push({ method: req.method, path, auth });
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const valid = token === TOKENS.READER || token === TOKENS.OTHER;
    const fail = (status, code, message) => {
      const headers = { 'content-type': 'application/json' };
      if (code) headers['x-error-code'] = code;
      if (message) headers['x-error-message'] = message;
      res.writeHead(status, headers);
      res.end(JSON.stringify({ error: message ?? code ?? 'error' }));
    };
    if (token !== undefined && !valid) return fail(401, undefined, 'Invalid credentials in Authorization header');
    // the repo a route names, or a failure as the hub answers it
    const repoFor = (id) => {
      const r = repos[id];
      if (!r || (r.private && !valid)) {
        fail(valid ? 404 : 401, 'RepoNotFound', 'Repository not found');
        return undefined;
      }
      return r;
    };
    let m = /^\/api\/models\/([^/]+\/[^/]+?)(?:\/revision\/(.+))?$/.exec(path);
    if (m && req.method === 'GET') {
      const r = repoFor(m[1]);
      if (!r) return;
      if (m[2] !== undefined && m[2] !== 'main' && m[2] !== shas[m[1]]) return fail(404, 'RevisionNotFound', 'Invalid rev id');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          _id: shas[m[1]].slice(0, 24),
          id: m[1],
          modelId: m[1],
          sha: shas[m[1]],
          private: !!r.private,
          gated: r.gated ? 'manual' : false,
          tags: ['gguf'],
          siblings: Object.keys(r.files).map((rfilename) => ({ rfilename })),
        }),
      );
      return;
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m && (req.method === 'GET' || req.method === 'HEAD')) {
      const r = repoFor(m[1]);
      if (!r) return;
      if (r.gated && token !== TOKENS.READER)
        return fail(valid ? 403 : 401, 'GatedRepo', 'Access to this model is restricted and you are not in the authorized list');
      if (m[2] !== 'main' && m[2] !== shas[m[1]]) return fail(404, 'RevisionNotFound', 'Invalid rev id');
      if (!r.files[m[3]]) return fail(404, 'EntryNotFound', 'Entry not found');
      res.writeHead(302, { location: `/cdn/${m[1]}/${shas[m[1]]}/${m[3]}`, 'x-repo-commit': shas[m[1]] });
      res.end();
      return;
    }
    m = /^\/cdn\/([^/]+\/[^/]+)\/[0-9a-f]{40}\/(.+)$/.exec(path);
    const body = m && repos[m[1]]?.files[m[2]];
    if (body) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    fail(404, undefined, 'Not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    requests,
    sha: (id) => shas[id],
    /** Requests for file bytes (the CDN hop) so far. */
    downloads: () =>
      requests.filter((r) => r.path.startsWith('/cdn/')).map((r) => r.path.replace(/^\/cdn\/[^/]+\/[^/]+\/[0-9a-f]{40}\//, '')),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}
