// The viewer's buttons, select boxes, slider and keyboard shortcuts, bound to the app's actions.

/** Wire the controls built by dom.js to `app` (PoseViewerApp). */
export function bindControls(app) {
  const { ui, doc, win, root } = app;
  ui.playBtn.addEventListener('click', () => app.togglePlay());
  ui.prevBtn.addEventListener('click', () => app.step(-1));
  ui.nextBtn.addEventListener('click', () => app.step(1));
  ui.loopBtn.addEventListener('click', () => app.setLoop(!app.loop));
  ui.speed.addEventListener('change', () => app.setSpeed(parseFloat(ui.speed.value)));
  // Scrubbing holds playback while the thumb moves and resumes it on release (issue 33: it stayed
  // paused); a click on the bar or on a cut's tick jumps there and goes on playing.
  let resumeAfterScrub = false;
  ui.slider.addEventListener('input', () => {
    const to = Number(ui.slider.value); // before pause(): pausing redraws the slider at the current frame
    if (app.playing) {
      resumeAfterScrub = true;
      app.pause();
    }
    app.seek(to);
  });
  const scrubEnded = () => {
    if (resumeAfterScrub && !app.playing) app.play();
    resumeAfterScrub = false;
  };
  // change: the thumb let go where it moved; pointerup/cancel: also where it was picked up (no change)
  for (const ev of ['change', 'pointerup', 'pointercancel']) ui.slider.addEventListener(ev, scrubEnded);
  ui.cuts.addEventListener('click', (e) => {
    const tick = e.target && e.target.closest ? e.target.closest('.pv-cut') : null;
    if (!tick) return;
    app.seek(Number(tick.dataset.frame));
  });
  ui.resetBtn.addEventListener('click', () => app.resetView());
  ui.viewSelect.addEventListener('change', () => app.setView(ui.viewSelect.value));
  app.scene.controls.addEventListener('start', () => {
    ui.viewSelect.value = 'free';
  });
  ui.fullBtn.addEventListener('click', () => {
    const el = ui.panel3d;
    if (doc.fullscreenElement) doc.exitFullscreen();
    else if (el.requestFullscreen) el.requestFullscreen().catch(() => {});
  });
  ui.followBtn.setAttribute('aria-pressed', String(app.scene.followRoot));
  ui.followBtn.addEventListener('click', () => {
    const on = !app.scene.followRoot;
    app.scene.setFollowRoot(on);
    ui.followBtn.setAttribute('aria-pressed', String(on));
    if (on) app.resetView();
  });
  ui.trailBtn.addEventListener('click', () => {
    const on = !app.scene.showTrail;
    app.scene.setTrailVisible(on);
    ui.trailBtn.setAttribute('aria-pressed', String(on));
    app.display.invalidate();
  });
  ui.overlayBtn.addEventListener('click', () => {
    app.overlay.visible = !app.overlay.visible;
    ui.overlayBtn.setAttribute('aria-pressed', String(app.overlay.visible));
    app.display.invalidate();
  });
  bindPersonClick(app);
  ui.linkBtn.addEventListener('click', () => app.copyMomentLink());
  ui.liveBtn.addEventListener('click', () => app.goLive());
  win.addEventListener('keydown', (e) => onKey(app, e));
  // a focused button would also "click" on the space key's keyup: space is play/pause here
  root.addEventListener('keyup', (e) => {
    if (e.key === ' ' && e.target && e.target.tagName === 'BUTTON') e.preventDefault();
  });
  // the 2D overlay's box changes with layout (video metadata, full screen, panels): redraw
  win.addEventListener('resize', () => app.display.invalidate());
  if (typeof ResizeObserver !== 'undefined') {
    new ResizeObserver(() => app.display.invalidate()).observe(ui.overlayCanvas);
  }
}

/**
 * Several people: a click (not a drag: that orbits) on a skeleton in the 3D view follows that person.
 * Clicking where nobody is leaves the focus as it is (a missed click should not throw the view away).
 */
function bindPersonClick(app) {
  const view = app.ui.view3d;
  let down = null;
  view.addEventListener('pointerdown', (e) => {
    down = e.button === 0 ? { x: e.clientX, y: e.clientY } : null;
  });
  view.addEventListener('pointerup', (e) => {
    const d = down;
    down = null;
    if (!d || !app.job.several || Math.hypot(e.clientX - d.x, e.clientY - d.y) > 5) return;
    const hit = app.scene.pickPerson(e.clientX, e.clientY, 18);
    if (hit) app.focusPerson(hit.id);
  });
}

function onKey(app, e) {
  const t = e.target;
  const tag = t && t.tagName ? t.tagName.toLowerCase() : '';
  if (tag === 'textarea' || tag === 'select' || (t && t.isContentEditable)) return;
  if (tag === 'input' && t.type !== 'range' && t.type !== 'button' && t.type !== 'checkbox') return;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const keys = {
    ' ': () => app.togglePlay(),
    k: () => app.togglePlay(),
    ArrowLeft: () => app.step(e.shiftKey ? -10 : -1),
    ArrowRight: () => app.step(e.shiftKey ? 10 : 1),
    Home: () => app.step(-app.currentFrame),
    End: () => app.step(app.job.available),
    f: () => app.ui.followBtn.click(),
    r: () => app.resetView(),
    l: () => app.setLoop(!app.loop),
    m: () => app.figure.setMode(app.figure.mode === 'skeleton' ? 'mannequin' : 'skeleton'),
  };
  if (app.job.several) keys.Escape = () => app.focusPerson(null); // follow nobody: the group nearest the camera again
  const action = keys[e.key];
  if (!action) return;
  // space on a button outside the viewer is that button's
  if ((e.key === ' ' || e.key === 'k') && tag === 'button' && !app.root.contains(t)) return;
  action();
  e.preventDefault();
}
