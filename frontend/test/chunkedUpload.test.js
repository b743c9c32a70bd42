import { describe, it, expect } from 'vitest';
import { ChunkedUploader, UploadCancelled, UploadFailed, progressText } from '../src/upload/chunkedUpload.js';
import { Backoff } from '../src/net/backoff.js';

// An in-memory stand-in for /api/uploads/ that follows the server's rules (poseapp/chunked_upload.py):
// offsets must match (409 with the current offset), never past the declared size, finish once complete.
// `drops` lists PATCH numbers whose connection breaks after `keep` bytes reached the server.
function fakeServer({ chunkSize = 10, drops = {}, failFinish = null, downFor = 0 } = {}) {
  const s = { bytes: new Uint8Array(0), size: 0, patches: 0, gets: 0, log: [], deleted: false, downFor };
  s.transport = async (req) => {
    s.log.push(`${req.method} ${req.url}${req.headers && req.headers['Upload-Offset'] !== undefined ? ' @' + req.headers['Upload-Offset'] : ''}`);
    if (s.downFor > 0) { s.downFor--; throw new TypeError('network error'); }
    if (req.method === 'POST' && req.url === '/api/uploads/') {
      s.size = JSON.parse(req.body).size;
      return { status: 201, data: { url: '/api/uploads/u1/', finish_url: '/api/uploads/u1/finish/', offset: 0, chunk_size: chunkSize } };
    }
    if (req.method === 'GET') { s.gets++; return { status: 200, data: { offset: s.bytes.length } }; }
    if (req.method === 'DELETE') { s.deleted = true; return { status: 204, data: null }; }
    if (req.method === 'PATCH') {
      const n = ++s.patches;
      const offset = Number(req.headers['Upload-Offset']);
      if (offset !== s.bytes.length) return { status: 409, data: { error: 'mismatch', offset: s.bytes.length } };
      const chunk = new Uint8Array(await req.body.arrayBuffer());
      if (offset + chunk.length > s.size) return { status: 413, data: { error: 'This chunk would take the upload past the declared size.' } };
      const keep = n in drops ? drops[n] : chunk.length;
      const next = new Uint8Array(s.bytes.length + keep);
      next.set(s.bytes); next.set(chunk.subarray(0, keep), s.bytes.length);
      s.bytes = next;
      if (n in drops) throw new TypeError('network error');
      if (req.onProgress) req.onProgress(chunk.length);
      return { status: 200, data: { offset: s.bytes.length } };
    }
    if (req.url.endsWith('/finish/')) {
      if (failFinish) return failFinish;
      return { status: 201, data: { id: 7, url: '/jobs/7/' } };
    }
    throw new Error(`unexpected ${req.method} ${req.url}`);
  };
  return s;
}

function fileOf(n) {
  const bytes = new Uint8Array(n).map((_, i) => i % 251);
  const blob = new Blob([bytes]);
  blob.name = 'clip.mp4';
  return { blob, bytes };
}

function uploader(server, file, extra = {}) {
  const sleeps = [];
  const u = new ChunkedUploader({
    file, transport: server.transport, csrfToken: 't',
    backoff: new Backoff({ base: 100, factor: 2, max: 1000, jitter: 0 }),
    sleep: async (ms) => { sleeps.push(ms); }, ...extra,
  });
  u.sleeps = sleeps;
  return u;
}

describe('ChunkedUploader', () => {
  it('sends the file in chunks at the server offsets and finishes into a job', async () => {
    const server = fakeServer({ chunkSize: 10 });
    const { blob, bytes } = fileOf(35);
    const progress = [];
    const job = await uploader(server, blob, { onProgress: (p) => progress.push(p.sent) }).run();
    expect(job).toEqual({ id: 7, url: '/jobs/7/' });
    expect(server.bytes).toEqual(bytes);
    expect(server.log.filter((l) => l.startsWith('PATCH')).map((l) => l.split('@')[1])).toEqual(['0', '10', '20', '30']);
    expect(progress.at(-1)).toBe(35);
    expect(progress).toEqual([...progress].sort((a, b) => a - b)); // never goes back
  });

  it('after a dropped connection waits, asks the offset and resumes from what arrived', async () => {
    const server = fakeServer({ chunkSize: 10, drops: { 2: 4 } }); // the 2nd chunk breaks after 4 bytes
    const { blob, bytes } = fileOf(30);
    const u = uploader(server, blob);
    await u.run();
    expect(server.bytes).toEqual(bytes); // nothing lost, nothing twice
    expect(server.gets).toBe(1);
    const patches = server.log.filter((l) => l.startsWith('PATCH')).map((l) => l.split('@')[1]);
    expect(patches).toEqual(['0', '10', '14', '24']);
    expect(u.sleeps).toEqual([100]);
    expect(u.retries).toBe(1);
  });

  it('backs off more each time while the server stays away, and resets after a success', async () => {
    const server = fakeServer({ chunkSize: 10, drops: { 1: 0 } });
    const { blob, bytes } = fileOf(20);
    await uploader(server, blob).run(); // the first chunk broke before any byte arrived
    expect(server.bytes).toEqual(bytes);
    // now a longer outage: the offset question itself fails three times
    const s2 = fakeServer({ chunkSize: 10, drops: { 1: 3 } });
    const u2 = uploader(s2, fileOf(20).blob);
    const origin = s2.transport;
    let getFailures = 3;
    s2.transport = async (req) => {
      if (req.method === 'GET' && getFailures-- > 0) throw new TypeError('network error');
      return origin(req);
    };
    u2.transport = s2.transport;
    await u2.run();
    expect(u2.sleeps).toEqual([100, 200, 400, 800]);
    expect(s2.bytes).toEqual(fileOf(20).bytes);
  });

  it('follows the server offset on 409', async () => {
    const server = fakeServer({ chunkSize: 10 });
    const { blob, bytes } = fileOf(20);
    server.bytes = bytes.slice(0, 10); // an earlier attempt's chunk did arrive
    const u = uploader(server, blob);
    await u.run();
    expect(server.bytes).toEqual(bytes);
    expect(server.log.filter((l) => l.startsWith('PATCH')).map((l) => l.split('@')[1])).toEqual(['0', '10']);
  });

  it('gives up with a sentence after too many failures in a row', async () => {
    const server = fakeServer({ chunkSize: 10 });
    const u = uploader(server, fileOf(20).blob, { maxRetries: 3 });
    const origin = server.transport;
    u.transport = async (req) => { if (req.method === 'PATCH') throw new TypeError('network error'); return origin(req); };
    await expect(u.run()).rejects.toThrow(/connection to the server was lost/);
    expect(u.sleeps.length).toBe(3);
  });

  it('reports the server sentence for a refused file, without retrying', async () => {
    const sentence = 'This is not a video file that can be opened.';
    const server = fakeServer({ chunkSize: 10, failFinish: { status: 400, data: { error: sentence, fields: { video: [sentence] } } } });
    const u = uploader(server, fileOf(5).blob);
    const err = await u.run().catch((e) => e);
    expect(err).toBeInstanceOf(UploadFailed);
    expect(err.message).toBe(sentence);
    expect(err.status).toBe(400);
    expect(u.sleeps).toEqual([]);
  });

  it('cancel stops sending and deletes the upload on the server', async () => {
    const server = fakeServer({ chunkSize: 10 });
    const { blob } = fileOf(50);
    let u;
    u = uploader(server, blob, { onProgress: (p) => { if (p.sent >= 20) u.cancel(); } });
    await expect(u.run()).rejects.toBeInstanceOf(UploadCancelled);
    expect(server.deleted).toBe(true);
    expect(server.bytes.length).toBe(20);
  });

  it('writes progress as percent and MB', () => {
    expect(progressText(21 * 1024 * 1024, 50 * 1024 * 1024)).toBe('42% · 21.0 of 50.0 MB');
    expect(progressText(0, 0)).toBe('100% · 0.0 of 0.0 MB');
  });
});
