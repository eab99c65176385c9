// Types of secret-scenarios.cjs.

export interface Outcome {
  name: string
  value?: unknown
  error?: unknown
}

export interface ScenarioTarget {
  baseUrl: string
  apiKey: string
  wrongKey: string
  closedPort: number
}

export declare function runScenarios(
  leap0: typeof import('../../index.js'),
  target: ScenarioTarget,
): Promise<{ secrets: string[]; outcomes: Outcome[] }>
