import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.spec.ts'],
    // Each spec file starts its own emulator process; SSH logins spawn OpenSSH.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
