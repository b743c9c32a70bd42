// result.json (docs/result-format.md, "3dposenet-result" v1) -> the websocket messages it implies,
// so a finished job can be shown from the file when the socket is unavailable.

export function resultToMessages(d, chunkSize = 500) {
  if (!d || typeof d !== 'object') return [];
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
