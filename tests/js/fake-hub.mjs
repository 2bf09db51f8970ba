// A fake Hugging Face hub on 127.0.0.1 for the hf: loading tests: the routes loadModel('hf:…')
// reads, answered as huggingface.co answers them (status codes, X-Error-Code headers, the redirect
// of a file download), with a log of every request.
//   GET /api/models/{owner}/{repo}[/revision/{rev}] -> { id, sha, siblings: [{ rfilename }] }
//   GET /{owner}/{repo}/resolve/{rev}/{path}         -> 302 to /cdn/{sha}/{path} -> the bytes
// with CORS headers on every answer (and preflights) so that pages on other origins can use it.
// Access: a missing repo is 404 with a valid token and 401 without (the hub does not reveal private
// repos); a private repo needs a valid token; a gated repo lists its files to anyone, but its files
// need a token that was granted access (401 without a token, 403 GatedRepo with another one).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { STORIES, kvString, splitGguf, withKeys } from './helpers.mjs';

/** Tokens the fake hub accepts: READER may read everything, OTHER is valid but not granted gated repos. */
export const TOKENS = { READER: 'hf_readerTokenForTheFakeHubOnly0000000000', OTHER: 'hf_otherTokenForTheFakeHubOnly00000000000' };

function sha1(s) {
  return createHash('sha1').update(s).digest('hex');
}

/** The test repos: stories260K under quant names, general.name saying which file it is (the tests
 *  are about picking and streaming the right bytes, not about quantization), split parts, a
 *  projector that must never be picked, a broken split, an empty, a private and a gated repo. */
export function storiesRepos() {
  const named = (name) => withKeys(STORIES, [kvString('general.name', name)]);
  const q6Parts = splitGguf(named('stories Q6_K'), 3);
  const text = (s) => new TextEncoder().encode(s);
  return {
    'chord-test/stories-GGUF': {
      files: {
        '.gitattributes': text('*.gguf filter=lfs diff=lfs merge=lfs -text\n'),
        'README.md': text('# stories260K\n'),
        // listed first: a picker that ignored the projector filter would take it for Q4_K_M
        'mmproj-stories260K-Q4_K_M.gguf': text('not a language model'),
        'stories260K-F32.gguf': named('stories F32'),
        'stories260K-Q4_K_M.gguf': named('stories Q4_K_M'),
        'stories260K-Q8_0.gguf': named('stories Q8_0'),
        'Q6_K/stories260K-Q6_K-00001-of-00003.gguf': q6Parts[0],
        'Q6_K/stories260K-Q6_K-00002-of-00003.gguf': q6Parts[1],
        'Q6_K/stories260K-Q6_K-00003-of-00003.gguf': q6Parts[2],
      },
    },
    'chord-test/no-q4km-GGUF': { files: { 'model-F32.gguf': named('no-q4km F32'), 'model-Q8_0.gguf': named('no-q4km Q8_0') } },
    'chord-test/broken-split-GGUF': {
      files: { 'm-Q4_0-00001-of-00002.gguf': q6Parts[0] }, // part 2 missing
    },
    'chord-test/empty': { files: { 'README.md': text('nothing here\n') } },
    'chord-test/private-GGUF': { private: true, files: { 'private-Q4_K_M.gguf': named('private Q4_K_M') } },
    'chord-test/gated-GGUF': { gated: true, files: { 'gated-Q4_K_M.gguf': named('gated Q4_K_M') } },
  };
}

/** Starts the hub. repos: { 'owner/name': { files: { path: Uint8Array }, private?, gated? } }. */
export async function fakeHub(repos) {
  const requests = [];
  let apiDown = false;
  const shas = Object.fromEntries(Object.keys(repos).map((id) => [id, sha1(id)]));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization;
    requests.push({ method: req.method, path, auth, range: req.headers.range });
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-length, etag, x-repo-commit, x-error-code, x-error-message');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-headers': 'authorization, range', 'access-control-allow-methods': 'GET, HEAD' });
      res.end();
      return;
    }
    if (apiDown && path.startsWith('/api/')) {
      req.socket.destroy(); // as an unreachable host: the fetch fails
      return;
    }
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
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(body.byteLength),
        etag: `"${sha1(m[0])}"`,
      });
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
    /** While down, API requests fail as if the host could not be reached (files still come). */
    setApiDown: (down) => {
      apiDown = down;
    },
    /** Requests for file bytes (the CDN hop) so far. */
    downloads: () =>
      requests
        .filter((r) => r.method === 'GET' && r.path.startsWith('/cdn/'))
        .map((r) => r.path.replace(/^\/cdn\/[^/]+\/[^/]+\/[0-9a-f]{40}\//, '')),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}
