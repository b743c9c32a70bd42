// The 3D view's stand-in without WebGL (same API as SkeletonScene).

/**
 * Stand-in when WebGL is unavailable: same API, draws nothing, says why. The timeline, the video
 * and the 2D overlay keep working.
 */
export class NullScene {
  constructor(container, reason) {
    this.renderCount = 0;
    this.followRoot = true;
    this.showTrail = false;
    this.framedOnce = false;
    this.quality = 'none';
    this.controls = { addEventListener() {} };
    const note = document.createElement('div');
    note.className = 'pv-nogl';
    note.textContent = `The 3D view needs WebGL, which this browser did not provide${reason ? ` (${reason})` : ''}.`;
    container.appendChild(note);
  }
  setParents() {}
  pickJoint() { return -1; }
  setPose() {}
  setPeople() {}
  pickPerson() { return null; }
  personScreenPoint() { return null; }
  setFloorY() {}
  setTrailPoint() {}
  clearTrail() {}
  showTrailUpTo() {}
  setTrailVisible() {}
  setSticksVisible() {}
  setFollowRoot(v) { this.followRoot = !!v; }
  frame() { this.framedOnce = true; }
  cancelAnimation() {}
  get animating() { return false; }
  update() {}
  resize() {}
  requestRender() {}
  renderIfNeeded() { return false; }
}
