import type { Emulator } from './emulator'

/** A fault as the emulator's `POST /_emulator/faults` takes it. */
export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number }
  | { kind: 'stall_after_headers'; ms?: number }
  | { kind: 'drop_before_apply' }
  | { kind: 'drop_after_apply' }
  | { kind: 'truncated_body' }
  | { kind: 'oversized_body'; bytes?: number; chunked?: boolean }
  | { kind: 'malformed_json'; apply?: boolean }
  | { kind: 'html' }

/** Makes the next `times` requests to `method path` fail as `fault` says. */
export async function programFault(
  emulator: Emulator,
  method: string,
  path: string,
  fault: Fault,
  times = 1,
): Promise<void> {
  const response = await emulator.request('POST', '/_emulator/faults', {
    method,
    path,
    times,
    fault,
  })
  if (!response.ok) throw new Error(`programming a fault answered ${response.status}`)
}

export async function clearFaults(emulator: Emulator): Promise<void> {
  await emulator.request('DELETE', '/_emulator/faults')
}
