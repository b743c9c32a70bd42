import { defineConfig } from 'vite';

// The home page's upload script: dist/upload.js (served as /static/upload.js), built after the viewer
// into the same folder. A second build because the viewer's single-file options (inlineDynamicImports)
// allow one entry per build.
export default defineConfig({
  base: './',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    sourcemap: false,
    modulePreload: false,
    rollupOptions: {
      input: { upload: 'src/uploadMain.js' },
      output: { entryFileNames: 'upload.js', inlineDynamicImports: true },
    },
  },
});
