import { defineConfig } from 'vite';
import { cpSync } from 'node:fs';

// The Live page's script: dist/live.js (served as /static/live.js), built after the viewer into the same
// folder, with the browser's 2D detector (@mediapipe/tasks-vision, Apache-2.0) bundled in; its wasm is
// copied to dist/mediapipe-tasks/wasm/ (served as /static/mediapipe-tasks/: nothing from a CDN). The
// models beside it (pose_landmarker_*.task) are written by tools/pose_task.py (make frontend, Dockerfile).
const copyWasm = {
  name: 'copy-mediapipe-tasks-wasm',
  closeBundle() {
    cpSync('node_modules/@mediapipe/tasks-vision/wasm', 'dist/mediapipe-tasks/wasm', { recursive: true });
  },
};

export default defineConfig({
  base: './',
  publicDir: false,
  plugins: [copyWasm],
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    sourcemap: false,
    modulePreload: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: { live: 'src/liveMain.js' },
      output: { entryFileNames: 'live.js', inlineDynamicImports: true },
    },
  },
});
