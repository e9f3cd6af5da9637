import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { z } from 'zod'
import { renderConfigExample, renderConfigTable, replaceConfigTable } from './docs.js'
import { ConfigSchema } from './schema.js'
import { listSettings, section, setting } from './settings.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const REGENERATE = 'regenerate it with `npm run docs:config`'

describe('configuration docs', () => {
  it('README.md’s configuration table is the one the schema generates', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    assert.equal(readme, replaceConfigTable(readme), `README.md’s configuration table is out of date: ${REGENERATE}`)
  })

  it('config.yaml.example is the one the schema generates', () => {
    const example = readFileSync(path.join(ROOT, 'config.yaml.example'), 'utf8')
    assert.equal(example, renderConfigExample(), `config.yaml.example is out of date: ${REGENERATE}`)
  })

  it('has one table row per key, and no environment variable bound twice', () => {
    const settings = listSettings(ConfigSchema)
    const rowKeys = renderConfigTable()
      .split('\n')
      .slice(2)
      .map((row) => row.split(' | ')[0]!.replace(/^\| `|`$/g, ''))
    assert.deepEqual(
      rowKeys,
      settings.map((s) => s.key),
    )
    const names = settings.flatMap((s) => (s.env ? [s.env] : []))
    assert.deepEqual(
      names.filter((name, i) => names.indexOf(name) !== i),
      [],
    )
  })

  it('refuses a key declared without setting(), naming it', () => {
    const schema = z.object({ demo: section({ known: setting(z.number().default(1), { doc: 'documented' }), plain: z.string().default('x') }) })
    assert.throws(() => listSettings(schema), /^Error: configuration key demo\.plain has no documentation/)
  })
})
