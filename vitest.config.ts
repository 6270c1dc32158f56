import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'families/**/test/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // privileged tests share the kernel's tracepoints and CPUs: run files one at a time
    fileParallelism: false,
    reporters: ['default'],
  },
});
