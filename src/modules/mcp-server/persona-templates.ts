// The agent templates shipped with the gateway (templates/agents/*.md at the package root, next to
// src/ and dist/): a YAML front matter with the agent's fields, then its persona in Markdown.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { z } from 'zod'

export const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../templates/agents')

const FrontMatter = z.object({
  agent_id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  name: z.string().min(1),
  emoji: z.string().min(1),
  description: z.string().min(1),
  group: z.string().min(1).default('templates'),
  tags: z.array(z.string()).default([]),
})

export interface PersonaTemplate {
  agentId: string
  name: string
  emoji: string
  description: string
  group: string
  tags: string[]
  personaContent: string
}

/** Reads one template file; throws naming the file when it is malformed. */
export function parseTemplate(file: string, text: string): PersonaTemplate {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text)
  if (!match) throw new Error(`${file}: expected a YAML front matter between --- lines`)
  const meta = FrontMatter.parse(parse(match[1]!))
  const personaContent = match[2]!.trim()
  if (personaContent === '') throw new Error(`${file}: the persona is empty`)
  return {
    agentId: meta.agent_id,
    name: meta.name,
    emoji: meta.emoji,
    description: meta.description,
    group: meta.group,
    tags: meta.tags,
    personaContent,
  }
}

function loadTemplates(): PersonaTemplate[] {
  return readdirSync(TEMPLATES_DIR)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => parseTemplate(name, readFileSync(path.join(TEMPLATES_DIR, name), 'utf8')))
}

export const PERSONA_TEMPLATES: readonly PersonaTemplate[] = loadTemplates()
