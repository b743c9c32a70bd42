// Which rendering quality the machine can afford.

/**
 * Whether WebGL runs on a software rasterizer (SwiftShader, llvmpipe): shadow maps and MSAA
 * then cost most of the frame, so the scene uses a blob shadow and no antialiasing.
 */
export function detectSoftwareGL() {
  try {
    const c = document.createElement('canvas');
    const gl = c.getContext('webgl2') || c.getContext('webgl');
    if (!gl) return true;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    const lose = gl.getExtension('WEBGL_lose_context');
    if (lose) lose.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);
  } catch (_) {
    return false;
  }
}
