// `conductor-gateway import-agents DIR`: reads a Conductor agents directory
// (`<Agent>/definition.yaml` + `persona.md`, conductor-backend.md §4.1) and upserts each agent.
// One bad entry is reported and skipped; the rest go on.
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { installZodMessages } from '../../platform/http/zod-messages.js'
import { personaContentProblem } from '../personas/persona-content.js'
import { isAiProvider } from './ai-providers.js'
import { AgentName, toWireFields } from './agents.schemas.js'
import type { AgentInput, AgentsService } from './agents.service.js'

export interface ImportSummary {
  imported: number
  updated: number
  unchanged: number
  skipped: Array<{ entry: string; reason: string }>
}

export class ImportDirectoryError extends Error {}

const PROGRESS_EVERY = 100

/** Fields of definition.yaml the catalog models; everything else is kept as `definition`. */
const Definition = z.looseObject({
  name: z.string().trim().min(1).max(100).optional(),
  description: z.string().max(2000).optional(),
  emoji: z.string().trim().min(1).max(32).optional(),
  tags: z.array(z.string()).max(100).optional(),
  group: z.string().trim().min(1).max(50).optional(),
  squads: z.array(z.string()).optional(),
  mcp_configs: z.array(z.string()).max(100).optional(),
  ai_provider: z.string().nullable().optional(),
  model: z.union([z.string(), z.number()]).nullable().optional(),
  prompt: z.string().optional(),
  instructions: z.string().optional(),
})
const MODELLED = ['name', 'description', 'emoji', 'tags', 'group', 'mcp_configs', 'ai_provider', 'model', 'prompt', 'instructions']

export async function importAgentDirectory(dir: string, agents: AgentsService, print: (line: string) => void): Promise<ImportSummary> {
  installZodMessages()
  let entries: string[]
  try {
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort()
  } catch (err) {
    throw new ImportDirectoryError(`cannot read agents directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const summary: ImportSummary = { imported: 0, updated: 0, unchanged: 0, skipped: [] }
  for (const [index, entry] of entries.entries()) {
    try {
      const { input, notes } = await readAgent(path.join(dir, entry))
      const result = await agents.importAgent(entry, input, path.join(dir, entry))
      summary[result.outcome] += 1
      const details = [
        ...(result.outcome === 'updated' ? [`changed ${toWireFields(result.changed).join(', ') || 'definition'}`] : []),
        ...(result.personaVersion !== undefined ? [`persona v${result.personaVersion}`] : []),
        ...notes,
      ]
      print(`${result.outcome.padEnd(9)} ${entry}${details.length ? ` (${details.join('; ')})` : ''}`)
    } catch (err) {
      const reason = (err as Error).message
      summary.skipped.push({ entry, reason })
      print(`${'skipped'.padEnd(9)} ${entry}: ${reason}`)
    }
    if ((index + 1) % PROGRESS_EVERY === 0) print(`progress: ${index + 1}/${entries.length} entries`)
  }
  print(`done: ${summary.imported} imported, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.skipped.length} skipped`)
  return summary
}

async function readAgent(agentDir: string): Promise<{ input: AgentInput & { name: string; description: string }; notes: string[] }> {
  const id = AgentName.safeParse(path.basename(agentDir))
  if (!id.success) throw new Error(`directory name is not a usable agent id: ${id.error.issues[0]!.message}`)
  const definitionText = await readText(path.join(agentDir, 'definition.yaml'), 'definition.yaml')
  if (definitionText === undefined) throw new Error('no definition.yaml')
  let raw: unknown
  try {
    raw = parseYaml(definitionText)
  } catch (err) {
    throw new Error(`definition.yaml is not valid YAML: ${(err as Error).message.split('\n')[0]!.replace(/:$/, '')}`)
  }
  const parsed = Definition.safeParse(raw ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`definition.yaml: ${issue.path.join('.') || 'document'} ${issue.path.length ? issue.message : 'must be a mapping of fields'}`)
  }
  const def = parsed.data
  const notes: string[] = []
  const persona = await readText(path.join(agentDir, 'persona.md'), 'persona.md')
  if (persona === undefined) notes.push('no persona.md')
  const problem = persona !== undefined && personaContentProblem(persona)
  if (problem) throw new Error(`persona.md ${problem}`)
  const provider = def.ai_provider ?? null
  if (provider !== null && !isAiProvider(provider)) notes.push(`unknown ai_provider '${provider}' ignored`)
  const extra = Object.fromEntries(Object.entries(def).filter(([key]) => !MODELLED.includes(key)))
  return {
    input: {
      name: def.name ?? id.data,
      description: (def.description ?? '').trim(),
      emoji: def.emoji,
      tags: def.tags,
      group: def.group ?? def.squads?.[0],
      mcpConfigs: def.mcp_configs,
      aiProvider: provider !== null && isAiProvider(provider) ? provider : null,
      model: def.model === undefined || def.model === null ? null : String(def.model),
      prompt: def.prompt ?? def.instructions ?? null,
      extra,
      ...(persona !== undefined && { personaContent: persona }),
    },
    notes,
  }
}

/** The file as strict UTF-8 text, or undefined when it does not exist. */
async function readText(file: string, label: string): Promise<string | undefined> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`cannot read ${label}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new Error(`${label} is not valid UTF-8`)
  }
}
