// CPU time of the parties sharing this machine during a measurement, from /proc: each gateway,
// every PostgreSQL process, and the load generator (this process), as a share of one core.
import { readdirSync, readFileSync } from 'node:fs'

export const TICKS_PER_SECOND = 100

export interface CpuSplit {
  /** Per gateway instance, in the order given, % of one core. */
  gateways: number[]
  postgres: number
  loadGenerator: number
}

/** CPU time (user + system) of a process so far, in clock ticks. */
export function cpuTicksOf(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

function postgresTicks(): number {
  let ticks = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') ticks += cpuTicksOf(pid)
    } catch {
      // exited meanwhile
    }
  }
  return ticks
}

/** Starts measuring; the returned function gives the split since then. */
export function cpuMeter(...gatewayPids: number[]): () => CpuSplit {
  const started = process.hrtime.bigint()
  const gateways = gatewayPids.map(cpuTicksOf)
  const postgres = postgresTicks()
  const self = process.cpuUsage()
  return () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    const share = (ticks: number) => (100 * ticks) / TICKS_PER_SECOND / seconds
    const used = process.cpuUsage(self)
    return {
      gateways: gatewayPids.map((pid, i) => share(cpuTicksOf(pid) - gateways[i]!)),
      postgres: share(postgresTicks() - postgres),
      loadGenerator: (100 * (used.user + used.system)) / 1e6 / seconds,
    }
  }
}

export function medianCpu(splits: CpuSplit[]): CpuSplit {
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  return {
    gateways: splits[0]!.gateways.map((_, i) => mid(splits.map((s) => s.gateways[i]!))),
    postgres: mid(splits.map((s) => s.postgres)),
    loadGenerator: mid(splits.map((s) => s.loadGenerator)),
  }
}
