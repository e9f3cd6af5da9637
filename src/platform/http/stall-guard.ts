/**
 * Decides when a streaming reader is too slow to keep. A burst may push its backlog over the
 * limit for a moment; a reader is dropped only when its backlog stays over the limit for
 * `stallMs`, or grows past a hard cap (so memory stays bounded either way).
 */
export class StallGuard {
  private stalledSince: number | null = null

  constructor(
    private readonly limitBytes: number,
    private readonly stallMs: number,
    private readonly hardCapBytes = limitBytes * 8,
  ) {}

  /** False when the reader should be dropped. */
  keeps(bufferedBytes: number, now = Date.now()): boolean {
    if (bufferedBytes <= this.limitBytes) {
      this.stalledSince = null
      return true
    }
    if (bufferedBytes > this.hardCapBytes) return false
    this.stalledSince ??= now
    return now - this.stalledSince < this.stallMs
  }

  isOverLimit(bufferedBytes: number): boolean {
    return bufferedBytes > this.limitBytes
  }
}
