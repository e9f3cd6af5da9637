// README.md's configuration table and config.yaml.example, generated from the config schema by
// `npm run docs:config` (scripts/config-docs.ts); docs.test.ts fails while either is out of date.
import { stringify } from 'yaml'
import { ConfigSchema } from './schema.js'
import type { EnvKind } from './env.js'
import { listSections, listSettings, type SettingInfo } from './settings.js'

export const TABLE_START = '<!-- config-table: generated from src/config/schema.ts by `npm run docs:config`; edit the schema, not this table -->'
export const TABLE_END = '<!-- /config-table -->'

const EXAMPLE_HEADER = `# Conductor Gateway configuration. Every key is optional; the values below are the defaults.
# Precedence: defaults < this file (./config.yaml, --config FILE or CONFIG_FILE) < environment < --host/--port.
# The environment variable for each key is given in brackets.
# Generated from src/config/schema.ts by \`npm run docs:config\`.
`
const COMMENT_COLUMN = 30
const MAX_LINE = 140
const WRAP_AT = 110

/** One row per key: key | environment | default | meaning. */
export function renderConfigTable(): string {
  const rows = listSettings(ConfigSchema).map((s) => [`\`${s.key}\``, environmentCell(s), defaultCell(s), describe(s, true)])
  return [
    '| key | environment | default | meaning |',
    '|---|---|---|---|',
    ...rows.map((cells) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`),
  ].join('\n')
}

/** README.md with the text between the table markers replaced by the current table. */
export function replaceConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START)
  const end = readme.indexOf(TABLE_END)
  if (start < 0 || end < start) throw new Error(`README.md lacks the configuration table markers ${TABLE_START} … ${TABLE_END}`)
  return `${readme.slice(0, start + TABLE_START.length)}\n${renderConfigTable()}\n${readme.slice(end)}`
}

/** config.yaml.example: every section and key in schema order, with its default, environment variable and documentation. */
export function renderConfigExample(): string {
  const docs = new Map(listSections(ConfigSchema).map((s) => [s.key, s.doc]))
  const lines: string[] = []
  const opened = new Set<string>()
  for (const s of listSettings(ConfigSchema)) {
    const parts = s.key.split('.')
    for (let depth = 0; depth < parts.length - 1; depth++) {
      const sectionKey = parts.slice(0, depth + 1).join('.')
      if (opened.has(sectionKey)) continue
      opened.add(sectionKey)
      if (depth === 0) lines.push('')
      const doc = docs.get(sectionKey)
      if (doc) lines.push(...comment(doc, indent(depth)))
      lines.push(`${indent(depth)}${parts[depth]}:`)
    }
    // One line per key: lists and maps in flow style ([a, b]).
    const line = `${indent(parts.length - 1)}${parts.at(-1)}: ${stringify(s.default, { collectionStyle: 'flow' }).trim()}`
    const note = [s.env && `[${s.env}]`, describe(s, false)].filter(Boolean).join(' ')
    const inline = `${line.padEnd(COMMENT_COLUMN - 1)}  # ${note}`
    lines.push(...(inline.length <= MAX_LINE ? [inline] : [...comment(note, indent(parts.length - 1)), line]))
  }
  return `${EXAMPLE_HEADER}${lines.join('\n')}\n`
}

function indent(depth: number): string {
  return '  '.repeat(depth)
}

/** Comment lines wrapped at WRAP_AT columns. */
function comment(text: string, prefix: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && prefix.length + 2 + line.length + 1 + word.length > WRAP_AT) {
      lines.push(line)
      line = word
    } else {
      line = line ? `${line} ${word}` : word
    }
  }
  return [...lines, line].map((l) => `${prefix}# ${l}`)
}

/** The documentation, plus the allowed values of an enum unless the text already names each one. */
function describe(s: SettingInfo, markdown: boolean): string {
  const code = (text: string) => (markdown ? `\`${text}\`` : text)
  if (!s.choices || s.choices.every((choice) => s.doc.includes(`\`${choice}\``))) return s.doc
  return `${s.doc}; one of: ${s.choices.map(code).join(', ')}`
}

const ENV_FORMATS: Partial<Record<EnvKind, string>> = { list: ' (comma-separated)', map: ' (`name=value,…`)' }

function environmentCell(s: SettingInfo): string {
  return s.env === undefined ? '—' : `\`${s.env}\`${ENV_FORMATS[s.kind] ?? ''}`
}

function defaultCell(s: SettingInfo): string {
  const value = s.default
  if (value === null || (typeof value === 'object' && Object.keys(value as object).length === 0)) return 'none'
  const readable = typeof value === 'number' ? readableAmount(s.key, value) : undefined
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\`${readable ? ` (${readable})` : ''}`
}

/** 1800000 ms → 30 min, 2097152 bytes → 2 MiB; undefined when the number reads well as it is. */
function readableAmount(key: string, value: number): string | undefined {
  const units: [string, number][] = key.endsWith('_ms')
    ? [
        ['h', 3_600_000],
        ['min', 60_000],
        ['s', 1_000],
      ]
    : key.endsWith('_bytes')
      ? [
          ['MiB', 1024 * 1024],
          ['KiB', 1024],
        ]
      : []
  const [unit, size] = units.find(([, size]) => value >= size && value % size === 0) ?? []
  return unit && size ? `${value / size} ${unit}` : undefined
}
