import { defineConfig } from 'vite';

// Build contract with Django: dist/viewer.js (ES module entry) and dist/viewer.css, fixed names,
// served as /static/viewer.js and /static/viewer.css. No hashes, no CDN.
export default defineConfig({
  base: './',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 1500,
    modulePreload: false,
    rollupOptions: {
      input: { viewer: 'src/main.js' },
      output: {
        entryFileNames: 'viewer.js',
        chunkFileNames: '[name].js',
        inlineDynamicImports: true,
        assetFileNames: (info) => {
          const name = (info.names && info.names[0]) || info.name || '';
          if (name.endsWith('.css')) return 'viewer.css';
          return 'assets/[name][extname]';
        },
      },
    },
  },
  test: {
    include: ['test/**/*.test.js'],
    environment: 'node',
  },
});
