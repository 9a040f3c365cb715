import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The backend the dev server proxies to (./dev.sh defaults to 127.0.0.1:8000).
const backend = process.env.HANDOFF_BACKEND ?? 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/admin-app/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      '/api': backend,
      '/admin/api': backend,
      '/widget': backend,
      '/admin-ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./tests/setup.ts'],
    include: ['tests/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // The longest tests drive a whole page through many typed inputs: on a loaded 2-core machine one took
    // over Vitest's default 5 s, so the limit is for a hang, not for a slow machine.
    testTimeout: 20_000,
  },
});
