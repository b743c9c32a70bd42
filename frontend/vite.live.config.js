import { defineConfig } from 'vite';
import { cpSync } from 'node:fs';

// The Live page's script: dist/live.js (served as /static/live.js), built after the viewer into the same
// folder; and the browser's 2D detector, @mediapipe/pose (its script, wasm and models, Apache-2.0),
// copied as it is to dist/mediapipe-pose/ (served as /static/mediapipe-pose/: nothing from a CDN).
const copyPose = {
  name: 'copy-mediapipe-pose',
  closeBundle() {
    cpSync('node_modules/@mediapipe/pose', 'dist/mediapipe-pose', {
      recursive: true, filter: (src) => !/\.(md|d\.ts)$|package\.json$/.test(src),
    });
  },
};

export default defineConfig({
  base: './',
  publicDir: false,
  plugins: [copyPose],
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
