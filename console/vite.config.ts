import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into the service's dist/ so the API process serves it at / (src/http/console.ts).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: '../dist/console', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
