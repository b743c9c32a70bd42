// Live mode's sentences for what the browser or the camera cannot do.

/** What this browser lacks for live mode, as a sentence; null when it has everything. */
export function missingFeature(win) {
  if (typeof win.WebAssembly !== 'object') {
    return 'This browser cannot run the 2D detector: WebAssembly is missing or turned off. Use a current Chrome, Edge, Firefox or Safari.';
  }
  const canvas = win.document.createElement('canvas');
  if (!(canvas.getContext('webgl2') || canvas.getContext('webgl'))) {
    return 'This browser cannot show 3D or run the detector: WebGL is turned off or not supported. Turn on hardware acceleration or use another browser.';
  }
  if (!win.navigator.mediaDevices || !win.navigator.mediaDevices.getUserMedia) {
    return 'This page cannot use a camera here: open it over https (or on this computer, as localhost).';
  }
  return null;
}

/** getUserMedia's error -> a sentence saying what to do. */
export function cameraErrorMessage(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'The camera is blocked for this site. Allow it (the camera icon in the address bar) and reload the page.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'No camera was found. Connect one and reload the page.';
  }
  if (name === 'NotReadableError' || name === 'AbortError') {
    return 'The camera is in use by another program or could not start. Close that program and reload the page.';
  }
  return 'The camera could not start. Reload the page; if it goes on, try another browser.';
}
