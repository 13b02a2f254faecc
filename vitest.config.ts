import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Servers that tests spawn run without the admin listener unless a test asks for it: they run
    // side by side, and the default admin port is one port.
    env: { CUPS_ADMIN_PORT: '0' },
  },
});
