// Writes asked for within one event-loop turn go to the database as one statement: on PostgreSQL
// each statement costs a round trip, a commit and, on the gateway, a socket write that outweighs
// the work of a one-row write. A batch never holds two jobs of one key (they would update the
// same row in one statement and both see its result): the later waits for the next batch.
// A failed batch is run again job by job, so one bad job never takes the others with it.

export interface TurnBatchOptions<J, R> {
  /** The row a job writes: two jobs of one key never share a batch. */
  keyOf(job: J): string
  /** Runs `jobs` (two or more) as one statement; the results in the jobs' order. */
  runMany(jobs: readonly J[]): Promise<R[]>
  /** Runs one job alone (a batch of one, and each job of a batch that failed). */
  runOne(job: J): Promise<R>
  max: number
}

interface Waiting<J, R> {
  job: J
  resolve(result: R): void
  reject(err: unknown): void
}

export class TurnBatcher<J, R> {
  private waiting: Array<Waiting<J, R>> = []
  private scheduled = false

  constructor(private readonly options: TurnBatchOptions<J, R>) {}

  run(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ job, resolve, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flush()
    })
  }

  private flush(): void {
    const batch: Array<Waiting<J, R>> = []
    const later: Array<Waiting<J, R>> = []
    const keys = new Set<string>()
    for (const waiting of this.waiting) {
      const key = this.options.keyOf(waiting.job)
      if (batch.length >= this.options.max || keys.has(key)) later.push(waiting)
      else {
        keys.add(key)
        batch.push(waiting)
      }
    }
    this.waiting = later
    if (later.length > 0) this.schedule()
    if (batch.length === 1) this.runAlone(batch[0]!)
    else void this.runTogether(batch)
  }

  private async runTogether(batch: Array<Waiting<J, R>>): Promise<void> {
    let results: R[]
    try {
      results = await this.options.runMany(batch.map((waiting) => waiting.job))
    } catch {
      for (const waiting of batch) this.runAlone(waiting)
      return
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!)
  }

  private runAlone({ job, resolve, reject }: Waiting<J, R>): void {
    this.options.runOne(job).then(resolve, reject)
  }
}
