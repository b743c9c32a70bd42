// DOM for the viewer, built inside #viewer.

// The download buttons' labels are the server's (poseapp/jobs.py DOWNLOAD_TYPES, via generated/tables.js).
export { DOWNLOAD_LABELS } from '../generated/tables.js';

function el(doc, tag, attrs = {}, children = []) {
  const e = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'hidden') e.hidden = !!v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.appendChild(c);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  play: 'M7 4.5v15l12.5-7.5z',
  pause: 'M6.5 4.5h4v15h-4zM13.5 4.5h4v15h-4z',
  prev: 'M6 5h2.5v14H6zM19 5v14L9.5 12z',
  next: 'M15.5 5H18v14h-2.5zM5 5v14l9.5-7z',
};

/** Set a button's content to an inline SVG icon (no icon font, no network). */
export function setIcon(button, name, doc = document) {
  button.textContent = '';
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'pv-icon');
  const path = doc.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.appendChild(path);
  button.appendChild(svg);
  button.dataset.icon = name;
}

/** Replace the scene-cut ticks: one per {frame, percent} (timeline.js cutPositions). */
export function renderCutTicks(box, positions, doc = document) {
  box.textContent = '';
  for (const { frame, percent } of positions) {
    const tick = el(doc, 'button', { type: 'button', class: 'pv-cut', title: 'Scene cut', tabindex: '-1',
      'aria-label': `Scene cut at frame ${frame + 1}` });
    tick.dataset.frame = String(frame);
    tick.style.left = `${percent}%`;
    box.appendChild(tick);
  }
}

/**
 * "Skeleton | Mannequin": a radio group (native radios: Tab reaches it, arrow keys switch), shown
 * as a segmented button; disabled until the job has finished (mannequin.js FigureSwitch).
 */
function buildFigureToggle(ui, doc) {
  ui.figure = el(doc, 'div', { class: 'pv-figure', role: 'radiogroup', 'aria-label': 'Figure' });
  ui.figureInputs = {};
  for (const [value, label] of [['skeleton', 'Skeleton'], ['mannequin', 'Mannequin']]) {
    const input = el(doc, 'input', { type: 'radio', name: 'pv-figure', value, class: 'pv-figure-input' });
    input.checked = value === 'skeleton';
    input.disabled = true;
    ui.figureInputs[value] = input;
    ui.figure.appendChild(el(doc, 'label', { class: `pv-figure-opt pv-figure-${value}` }, [input, el(doc, 'span', { text: label })]));
  }
  ui.figureNote = el(doc, 'div', { class: 'pv-badge pv-figure-note', hidden: true, role: 'status', 'aria-live': 'polite' });
}

export function buildUI(root, { hasVideo, speeds, doc = document }) {
  root.textContent = '';
  root.classList.add('pv-root');
  const ui = { root };

  ui.header = el(doc, 'div', { class: 'pv-header' });

  // 3D view
  ui.view3d = el(doc, 'div', { class: 'pv-view3d' });
  ui.connBadge = el(doc, 'div', { class: 'pv-badge pv-conn', hidden: true, role: 'status', 'aria-live': 'polite' });
  ui.liveBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-golive', title: 'Jump to the newest frame', hidden: true, text: 'Go live ⟶' });
  ui.waitBadge = el(doc, 'div', { class: 'pv-badge pv-wait', text: 'Waiting for frames…' });
  ui.resetBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-reset', title: 'Reset view', text: 'Reset view' });
  ui.followBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-follow', title: 'Keep the camera on the person', 'aria-pressed': 'true', text: 'Follow' });
  ui.trailBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-trail', title: 'Show the path walked', 'aria-pressed': 'true', text: 'Trail' });
  ui.viewSelect = el(doc, 'select', { class: 'pv-view', title: 'Camera view', 'aria-label': 'Camera view' });
  for (const [v, label] of [['free', 'Free view'], ['front', 'Camera view'], ['side', 'Side view'], ['top', 'Top view']]) {
    ui.viewSelect.appendChild(el(doc, 'option', { value: v, text: label }));
  }
  ui.fullBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-full', title: 'Full screen', 'aria-label': 'Full screen', text: '⤢' });
  buildFigureToggle(ui, doc);
  ui.viewTools = el(doc, 'div', { class: 'pv-tools' }, [ui.figure, ui.viewSelect, ui.resetBtn, ui.followBtn, ui.trailBtn, ui.fullBtn]);
  ui.tip = el(doc, 'div', { class: 'pv-tip', hidden: true, role: 'tooltip' });
  ui.panel3d = el(doc, 'div', { class: 'pv-panel pv-panel3d' }, [ui.view3d, ui.viewTools, ui.connBadge, ui.waitBadge, ui.figureNote, ui.liveBtn, ui.tip]);

  // video + 2D overlay
  ui.overlayCanvas = el(doc, 'canvas', { class: 'pv-overlay', 'aria-label': '2D keypoints' });
  ui.videoNote = el(doc, 'div', { class: 'pv-video-note', hidden: true });
  ui.overlayBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-overlay-btn', title: 'Show the 2D keypoints over the video', 'aria-pressed': 'true', text: '2D keypoints' });
  const videoBox = el(doc, 'div', { class: 'pv-videobox' });
  // always there (hidden without a source) so that a browser copy made later can still be shown
  ui.video = el(doc, 'video', { class: 'pv-video', playsinline: '', muted: '', preload: 'auto' });
  videoBox.appendChild(ui.video);
  videoBox.appendChild(ui.overlayCanvas);
  ui.videoPanel = el(doc, 'div', { class: 'pv-panel pv-panelvideo' + (hasVideo ? '' : ' pv-novideo') }, [
    videoBox,
    el(doc, 'div', { class: 'pv-tools' }, [ui.overlayBtn]),
    ui.videoNote,
  ]);
  if (!hasVideo) {
    ui.videoNote.textContent = 'No browser-playable copy of the video; showing the 2D keypoints only.';
    ui.videoNote.hidden = false;
  }

  ui.stage = el(doc, 'div', { class: 'pv-stage' }, [ui.panel3d, ui.videoPanel]);

  // several people (ui/peopleView.js): shown once the job says it has several
  ui.peopleAll = el(doc, 'button', { type: 'button', class: 'pv-btn pv-people-all', 'aria-pressed': 'true',
    title: 'Frame everyone (Esc)', text: 'Everyone' });
  ui.peopleList = el(doc, 'div', { class: 'pv-people-list' });
  ui.peopleCount = el(doc, 'span', { class: 'pv-people-count' });
  ui.people = el(doc, 'div', { class: 'pv-people', role: 'group', 'aria-label': 'People', hidden: true }, [
    el(doc, 'span', { class: 'pv-people-title', text: 'People' }), ui.peopleAll, ui.peopleList, ui.peopleCount,
  ]);

  // timeline
  ui.prevBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-prev', title: 'Previous frame (←)', 'aria-label': 'Previous frame' });
  setIcon(ui.prevBtn, 'prev', doc);
  ui.playBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-play', title: 'Play (space)', 'aria-label': 'Play' });
  setIcon(ui.playBtn, 'play', doc);
  ui.nextBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-next', title: 'Next frame (→)', 'aria-label': 'Next frame' });
  setIcon(ui.nextBtn, 'next', doc);
  ui.loopBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-loop', title: 'Loop', 'aria-pressed': 'true', text: 'Loop' });
  ui.speed = el(doc, 'select', { class: 'pv-speed', title: 'Playback speed', 'aria-label': 'Playback speed' });
  for (const s of speeds) ui.speed.appendChild(el(doc, 'option', { value: String(s), text: `${s}×` }));
  ui.frameCounter = el(doc, 'span', { class: 'pv-frame', text: 'No frames yet' });
  ui.time = el(doc, 'span', { class: 'pv-time', text: '0:00.00 / 0:00.00' });
  ui.linkBtn = el(doc, 'button', { type: 'button', class: 'pv-btn pv-link', title: 'Copy a link to this moment', text: 'Link to moment' });
  ui.linkNote = el(doc, 'span', { class: 'pv-link-note', hidden: true });
  ui.controls = el(doc, 'div', { class: 'pv-controls' }, [
    el(doc, 'div', { class: 'pv-group' }, [ui.prevBtn, ui.playBtn, ui.nextBtn]),
    el(doc, 'div', { class: 'pv-group' }, [ui.loopBtn, ui.speed]),
    el(doc, 'div', { class: 'pv-group pv-readout' }, [ui.frameCounter, ui.time]),
    el(doc, 'div', { class: 'pv-group' }, [ui.linkBtn, ui.linkNote]),
  ]);
  ui.buffer = el(doc, 'div', { class: 'pv-buffer' });
  ui.played = el(doc, 'div', { class: 'pv-played' });
  ui.slider = el(doc, 'input', { type: 'range', class: 'pv-slider', min: '0', max: '0', step: '1', value: '0', 'aria-label': 'Frame' });
  ui.cuts = el(doc, 'div', { class: 'pv-cuts' }); // scene-cut ticks, over the slider
  ui.scrub = el(doc, 'div', { class: 'pv-scrub' }, [el(doc, 'div', { class: 'pv-track' }, [ui.buffer, ui.played]), ui.slider, ui.cuts]);
  ui.timeline = el(doc, 'div', { class: 'pv-timeline' }, [ui.scrub, ui.controls]);

  ui.downloads = el(doc, 'div', { class: 'pv-downloads', hidden: true });
  ui.help = el(doc, 'div', { class: 'pv-help', text: 'Drag to orbit · right-drag to pan · wheel to zoom · space play/pause · ←/→ step (shift: 10) · F follow · R reset view · L loop · M mannequin' });

  root.append(ui.header, ui.stage, ui.people, ui.timeline, ui.downloads, ui.help);
  return ui;
}
