// The specs workers.spec.ts runs in a child vitest under each pool (`--pool=threads|forks`).

import { join } from 'node:path'

import { defineConfig } from 'vitest/config'

export default defineConfig({
  root: join(import.meta.dirname, '..', '..'),
  test: {
    include: ['__test__/pools/*.pool.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
