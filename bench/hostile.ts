// The long hostile-input run: a real gateway process (api_key mode, SQLite in a temp directory)
// receives requests generated from its own /openapi.json, cycling every operation and variant with
// no credentials, a forged key, and admin/user/watcher keys, until COUNT requests were sent.
//   nice -n 10 node --import tsx bench/hostile.ts [COUNT=100000] [SEED=1]
// Exits 1 and lists them when any answer is a 500 (or a 5xx without a readable detail) or a
// connection is reset, or when the gateway stops answering.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli, startGateway } from '../test/helpers/gateway-process.js'
import { type HostileRequest, hostileVariants, operationsOf, seeded, sendAll } from './lib/hostile.js'

const count = Number(process.argv[2] ?? 100_000)
const seed = Number(process.argv[3] ?? 1)
const cwd = mkdtempSync(path.join(tmpdir(), 'gw-hostile-'))
const env = { DATABASE_URL: `sqlite:${path.join(cwd, 'gw.db')}`, AUTH_MODE: 'api_key', LOG_LEVEL: 'warn', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '1000000' }

async function key(role: string): Promise<string> {
  const out = await runCli(['keys', 'create', '--role', role], { cwd, env })
  const found = /^key: (\S+)$/m.exec(out.stdout)?.[1]
  if (!found) throw new Error(`keys create failed: ${out.stderr}`)
  return found
}

const keys = { admin: await key('admin'), user: await key('user'), watcher: await key('watcher') }
const gateway = await startGateway({ cwd, env })
let exitCode = 0
try {
  const operations = operationsOf(await (await fetch(`${gateway.url}/openapi.json`)).json())
  const credentials: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer cgk_forged' },
    { authorization: `Bearer ${keys.admin}` },
    { 'x-api-key': keys.user },
    { authorization: `Bearer ${keys.watcher}` },
  ]
  const pick = seeded(seed)
  function* requests(): Generator<HostileRequest> {
    let sent = 0
    for (let round = 0; ; round++) {
      for (const op of operations) {
        for (const variant of hostileVariants(op, pick)) {
          yield { ...variant, headers: { ...variant.headers, ...credentials[(sent + round) % credentials.length]! } }
          if (++sent >= count) return
        }
      }
    }
  }
  const started = Date.now()
  const outcome = await sendAll(gateway.url, requests(), 16)
  const health = await fetch(`${gateway.url}/health`).then((r) => r.status, String)
  const seconds = (Date.now() - started) / 1000
  process.stdout.write(
    `${JSON.stringify({ sent: outcome.sent, operations: operations.length, seconds, failures: outcome.failures.length, health, byStatus: outcome.byStatus })}\n`,
  )
  for (const failure of outcome.failures.slice(0, 50)) process.stdout.write(`${failure}\n`)
  if (outcome.failures.length > 0 || health !== 200) exitCode = 1
  if (gateway.child.exitCode !== null) {
    process.stdout.write('the gateway process exited during the run\n')
    exitCode = 1
  }
} finally {
  await gateway.stop()
}
process.exitCode = exitCode
