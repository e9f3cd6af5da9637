#!/usr/bin/env node
// The whole test suite: format and lint check, type check, then every *.test.ts on SQLite, then again on PostgreSQL
// when TEST_DATABASE_URL is set. `npm test -- <files>` runs just those files.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')
const requested = process.argv.slice(2)

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full)
    return entry.name.endsWith('.test.ts') ? [path.relative(root, full)] : []
  })
}

function run(label, command, args, env = {}) {
  process.stdout.write(`\n== ${label}\n`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  return result.status === 0
}

const files = requested.length > 0 ? requested : [...findTests(path.join(root, 'src')), ...findTests(path.join(root, 'test'))].sort()
const concurrency = process.env.TEST_CONCURRENCY ?? '3'
const nodeTest = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files]

let ok = requested.length > 0 || run('format and lint (biome check; `npm run format` fixes formatting)', 'npx', ['biome', 'check'])
ok = (requested.length > 0 || run('type check', 'npx', ['tsc', '-p', 'tsconfig.check.json'])) && ok
ok = run(`tests on SQLite (${files.length} files)`, process.execPath, nodeTest, { TEST_DIALECT: 'sqlite' }) && ok
if (process.env.TEST_DATABASE_URL) {
  ok = run(`tests on PostgreSQL (${files.length} files)`, process.execPath, nodeTest, { TEST_DIALECT: 'postgres' }) && ok
} else {
  process.stdout.write('\n== PostgreSQL skipped: set TEST_DATABASE_URL to run the suite on PostgreSQL too\n')
}
process.stdout.write(ok ? '\nall test runs passed\n' : '\nSOME TEST RUNS FAILED\n')
process.exit(ok ? 0 : 1)
