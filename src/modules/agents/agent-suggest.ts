// Local agent suggestion: BM25 (with per-field weights) over each agent's name, tags, description
// and persona. The index lives in memory and is rebuilt when the catalog's fingerprint changes,
// so a suggestion over thousands of agents costs one cheap query plus an in-memory lookup.

export interface RankableAgent {
  agentId: string
  name: string
  emoji: string
  description: string
  tags: string[]
  persona: string
}

export interface RankedAgent {
  agent: RankableAgent
  /** 0..1: how much of the best possible match for this message the agent reaches. */
  score: number
  reason: string
}

type Field = 'name' | 'tags' | 'description' | 'persona'
const FIELD_WEIGHTS: Record<Field, number> = { name: 3, tags: 2.5, description: 2, persona: 1 }
const FIELDS = Object.keys(FIELD_WEIGHTS) as Field[]
const K1 = 1.2
const B = 0.75
/** Long personas are cut here: their opening says what the agent is for. */
const PERSONA_TOKEN_LIMIT = 3_000

const STOPWORDS = new Set(
  (
    'a an and are as at be but by can do for from has have how i in into is it its me my of on or our please ' +
    'so that the their them then there these this to us was we were what when where which who why will with ' +
    'would you your agent agente ' +
    'o os as um uma uns umas de do da dos das em no na nos nas por para pelo pela com sem que se e ou ao aos ' +
    'eu voce meu minha seu sua isso isto esse essa este esta mais muito como qual quais quando onde favor ' +
    'ser estar tem ter fazer faca'
  ).split(' '),
)

/** Lower-cased, accent-free word stems; camelCase and snake_case names split into words. */
export function tokenize(text: string): string[] {
  return text
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 2 && !STOPWORDS.has(word))
    .map(stem)
}

function stem(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word
}

interface Posting {
  doc: number
  weightedTf: number
  fields: Field[]
}

export class AgentRanker {
  private readonly postings = new Map<string, Posting[]>()
  private readonly lengths: number[] = []
  private readonly averageLength: number

  constructor(private readonly agents: readonly RankableAgent[]) {
    agents.forEach((agent, doc) => {
      this.addDocument(agent, doc)
    })
    const total = this.lengths.reduce((sum, length) => sum + length, 0)
    this.averageLength = agents.length === 0 ? 1 : Math.max(1, total / agents.length)
  }

  get size(): number {
    return this.agents.length
  }

  /** The best `limit` agents for `message`, best first; agents matching no word are left out. */
  rank(message: string, limit: number): RankedAgent[] {
    const terms = [...new Set(tokenize(message))].filter((term) => this.postings.has(term))
    if (terms.length === 0) return []
    const scores = new Map<number, { raw: number; matched: Map<string, Field[]> }>()
    let bestPossible = 0
    for (const term of terms) {
      const postings = this.postings.get(term)!
      const idf = Math.log(1 + (this.agents.length - postings.length + 0.5) / (postings.length + 0.5))
      bestPossible += idf * (K1 + 1)
      for (const { doc, weightedTf, fields } of postings) {
        const norm = K1 * (1 - B + (B * this.lengths[doc]!) / this.averageLength)
        const entry = scores.get(doc) ?? { raw: 0, matched: new Map<string, Field[]>() }
        entry.raw += (idf * weightedTf * (K1 + 1)) / (weightedTf + norm)
        entry.matched.set(term, fields)
        scores.set(doc, entry)
      }
    }
    return [...scores.entries()]
      .sort(([a, x], [b, y]) => y.raw - x.raw || this.agents[a]!.name.localeCompare(this.agents[b]!.name))
      .slice(0, limit)
      .map(([doc, { raw, matched }]) => ({
        agent: this.agents[doc]!,
        score: Math.round(Math.min(1, raw / bestPossible) * 10_000) / 10_000,
        reason: reasonOf(matched),
      }))
  }

  private addDocument(agent: RankableAgent, doc: number): void {
    const perTerm = new Map<string, { weightedTf: number; fields: Set<Field> }>()
    let length = 0
    const texts: Record<Field, string[]> = {
      name: tokenize(agent.name),
      tags: agent.tags.flatMap(tokenize),
      description: tokenize(agent.description),
      persona: tokenize(agent.persona).slice(0, PERSONA_TOKEN_LIMIT),
    }
    for (const field of FIELDS) {
      const weight = FIELD_WEIGHTS[field]
      for (const term of texts[field]) {
        const entry = perTerm.get(term) ?? { weightedTf: 0, fields: new Set<Field>() }
        entry.weightedTf += weight
        entry.fields.add(field)
        perTerm.set(term, entry)
      }
      length += weight * texts[field].length
    }
    this.lengths[doc] = length
    for (const [term, { weightedTf, fields }] of perTerm) {
      let list = this.postings.get(term)
      if (!list) this.postings.set(term, (list = []))
      list.push({ doc, weightedTf, fields: [...fields] })
    }
  }
}

function reasonOf(matched: Map<string, Field[]>): string {
  const fields = [...new Set([...matched.values()].flat())].sort((a, b) => FIELDS.indexOf(a) - FIELDS.indexOf(b))
  const words = [...matched.keys()].slice(0, 6).map((term) => `'${term}'`)
  return `Matches ${words.join(', ')} in its ${fields.join(', ')}`
}

/** Where the index reads the catalog from. */
export interface RankingSource {
  /** Changes whenever an agent or persona changes, on any gateway instance. */
  fingerprint(): Promise<string>
  load(): Promise<RankableAgent[]>
}

/** Keeps one ranker per catalog state; concurrent callers share one rebuild. */
export class SuggestionIndex {
  private built?: { fingerprint: string; ranker: Promise<AgentRanker> }

  constructor(private readonly source: RankingSource) {}

  async ranker(): Promise<AgentRanker> {
    // The fingerprint is taken before loading, so a change during the load triggers another rebuild.
    const fingerprint = await this.source.fingerprint()
    if (this.built?.fingerprint !== fingerprint) {
      const ranker = this.source.load().then((agents) => new AgentRanker(agents))
      this.built = { fingerprint, ranker }
      ranker.catch(() => {
        if (this.built?.ranker === ranker) this.built = undefined
      })
    }
    return this.built.ranker
  }
}
