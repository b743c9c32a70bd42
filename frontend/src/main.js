// Entry point (built to dist/viewer.js): mounts the viewer on #viewer and exposes window.poseViewer.
import './style.css';
import { PoseViewerApp } from './app.js';

export function mount(root = document.getElementById('viewer')) {
  if (!root) return null;
  const app = new PoseViewerApp(root);
  const handle = {
    get frameCount() { return app.job.buffer.size; },
    // while the video plays, read its clock now (not at the last animation frame)
    get currentFrame() { return app.syncFromVideo(); },
    get quality() { return app.scene.quality; },
    get playing() { return app.playing; },
    get waiting() { return app.waiting; },
    // The job's status, except that a finished job reads 'loading' until its final status message
    // (which follows the replay) has arrived: waiting for 'succeeded' means every frame is here.
    get status() { return app.job.finished && !app.job.complete ? 'loading' : app.job.status; },
    get jobStatus() { return app.job.status; },
    get complete() { return app.job.complete; },
    get fps() { return app.job.fps; },
    get speed() { return app.speed; },
    get loop() { return app.loop; },
    get totalFrames() { return app.job.timelineLength; },
    get availableFrames() { return app.job.available; },
    get renderCount() { return app.scene.renderCount; },
    get socket() { return app.socket; },
    get connectionState() { return app.connection ? app.connection.state : 'none'; },
    get reconnects() { return app.connection ? app.connection.reconnects : 0; },
    get duplicatesIgnored() { return app.job.buffer.duplicates; },
    get messageCount() { return app.messageCount; },
    get videoState() { return app.videoState; },
    get error() { return app.job.error; },
    get figure() { return app.figure.mode; }, // skeleton | loading | mannequin
    get figureError() { return app.figure.error; },
    get mannequinFrame() { return app.figure.mannequin ? app.figure.mannequin.frame : -1; },
    receivedIndices: () => app.job.buffer.receivedIndices(),
    play: () => app.play(),
    pause: () => app.pause(),
    seek: (i) => app.seek(i),
    step: (d) => app.step(d),
    setSpeed: (s) => app.setSpeed(s),
    setLoop: (on) => app.setLoop(on),
    resetView: () => app.resetView(),
    setView: (name) => app.setView(name),
    goLive: () => app.goLive(),
    videoTime: () => app.videoTime(),
    videoFrame: () => {
      const t = app.videoTime();
      return t == null ? null : Math.floor(t * app.job.fps + 1e-6);
    },
    // several people: `id` says whose pose (one person: leave it out)
    pose3d: (i = app.currentFrame, id = null) => (id == null ? app.job.buffer : app.job.people.track(id))?.kp3d(i) ?? null,
    pose2d: (i = app.currentFrame, id = null) => (id == null ? app.job.buffer : app.job.people.track(id))?.kp2d(i) ?? null,
    // several people (one-person jobs: 'one', no people)
    get peopleMode() { return app.job.peopleMode; },
    get people() { return app.job.people.ids; },
    get focusedPerson() { return app.job.people.focused; },
    get hiddenPeople() { return [...app.job.people.hidden].sort((a, b) => a - b); },
    get shownPeople() { return app.scene.people ? app.scene.people.shownIds.sort((a, b) => a - b) : []; },
    get peopleDuplicatesIgnored() { return app.job.people.duplicates; },
    peopleAt: (i = app.currentFrame) => app.job.people.presentAt(i),
    focusPerson: (id) => app.focusPerson(id),
    setPersonHidden: (id, hidden) => app.setPersonHidden(id, hidden),
    personScreenPoint: (id, joint) => app.scene.personScreenPoint(id, joint),
    cameraTarget: () => (app.scene.controls.target ? app.scene.controls.target.toArray() : null),
    momentLink: () => app.momentLink(),
    setFigure: (mode) => app.figure.setMode(mode), // a promise of the mode it ends in
  };
  Object.defineProperty(window, 'poseViewer', { value: Object.freeze(handle), configurable: true });
  window.__poseViewerApp = app;
  return app;
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => mount());
} else {
  mount();
}
