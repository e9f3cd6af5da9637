// Waiting on a condition instead of sleeping: polls until it holds, with an upper bound so a
// regression fails with a message instead of hanging.

/** Polls until `predicate` holds; throws after `timeoutMs` (an upper bound, not a measurement). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
