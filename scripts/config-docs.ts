// Regenerates README.md's configuration table and config.yaml.example from the config schema
// (src/config/schema.ts). Run as `npm run docs:config`; src/config/docs.test.ts fails while either is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { renderConfigExample, replaceConfigTable } from '../src/config/docs.js'

const root = path.resolve(import.meta.dirname, '..')
const files: [string, (current: string) => string][] = [
  ['README.md', replaceConfigTable],
  ['config.yaml.example', () => renderConfigExample()],
]

for (const [name, render] of files) {
  const file = path.join(root, name)
  const current = readFileSync(file, 'utf8')
  const next = render(current)
  if (next === current) {
    process.stdout.write(`${name} is up to date\n`)
  } else {
    writeFileSync(file, next)
    process.stdout.write(`${name} regenerated\n`)
  }
}
