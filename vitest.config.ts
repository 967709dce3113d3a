import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn the built CLI and servers on loopback; two workers suit this 2-core machine.
    maxWorkers: 2,
    // The AWS SDK warns on Node 20 that its 2027 releases need Node 22 (see the README). The CLI silences it
    // where it creates a client; tests that create SDK clients themselves get the same setting here.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
