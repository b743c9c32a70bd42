// result.json (docs/result-format.md, "3dposenet-result" v1, and v2 with several people) -> the
// websocket messages it implies, so a finished job can be shown from the file when the socket is
// unavailable.

export function resultToMessages(d, chunkSize = 500) {
  if (!d || typeof d !== 'object') return [];
  if (Array.isArray(d.people)) return peopleResultToMessages(d, chunkSize);
  const kp2d = d.keypoints_2d || d.kp2d || [];
  const kp3d = d.keypoints_3d || d.kp3d || [];
  const n = Math.max(kp2d.length, kp3d.length);
  const size = Array.isArray(d.video_size) ? d.video_size : [d.width, d.height];
  const out = [
    {
      type: 'meta',
      fps: d.fps,
      width: size[0],
      height: size[1],
      frame_count: d.frame_count ?? n,
      joint_names: d.joint_names,
      parents: d.parents,
      status: 'succeeded',
    },
  ];
  // `visible` and `cuts` arrived later in the format: files without them mean all visible, no cuts
  const visible = Array.isArray(d.visible) ? d.visible : null;
  const cuts = Array.isArray(d.cuts) ? d.cuts.map(Number).filter((c) => Number.isInteger(c) && c > 0) : null;
  for (let s = 0; s < n; s += chunkSize) {
    const m = { type: 'frames', start: s, kp2d: kp2d.slice(s, s + chunkSize), kp3d: kp3d.slice(s, s + chunkSize) };
    if (visible) m.visible = visible.slice(s, s + chunkSize);
    if (cuts) m.cuts = cuts.filter((c) => c >= s && c < s + chunkSize);
    out.push(m);
  }
  out.push({ type: 'status', status: 'succeeded', message: '' });
  return out;
}

/** Version 2 (several people): frames chunks with a `people` list, as the websocket sends them. */
function peopleResultToMessages(d, chunkSize) {
  const people = d.people.filter((p) => p && Number.isInteger(Number(p.id)) && Number.isInteger(Number(p.start)));
  const ends = people.map((p) => Number(p.end ?? Number(p.start) + (p.keypoints_3d || []).length));
  const n = Number(d.frame_count) >= 0 ? Number(d.frame_count) : Math.max(0, ...ends);
  const size = Array.isArray(d.video_size) ? d.video_size : [d.width, d.height];
  const out = [
    {
      type: 'meta', fps: d.fps, width: size[0], height: size[1], frame_count: n,
      joint_names: d.joint_names, parents: d.parents, status: 'succeeded', people_mode: 'several',
    },
  ];
  const cuts = Array.isArray(d.cuts) ? d.cuts.map(Number).filter((c) => Number.isInteger(c) && c > 0) : [];
  for (let s = 0; s < n; s += chunkSize) {
    const e = Math.min(n, s + chunkSize);
    const chunk = [];
    people.forEach((p, k) => {
      const ps = Number(p.start);
      const a = Math.max(s, ps), b = Math.min(e, ends[k]);
      if (b <= a) return;
      const part = (arr) => (Array.isArray(arr) ? arr.slice(a - ps, b - ps) : undefined);
      chunk.push({ id: Number(p.id), start: a, kp2d: part(p.keypoints_2d), kp3d: part(p.keypoints_3d), visible: part(p.visible) });
    });
    out.push({ type: 'frames', start: s, count: e - s, cuts: cuts.filter((c) => c >= s && c < e), people: chunk });
  }
  out.push({ type: 'status', status: 'succeeded', message: '' });
  return out;
}
