import type { Severity } from './run-events.js'

// original-gateway.md §7.6's keywords, matched as words rather than substrings, and not when a
// negation comes just before them: "no errors found", "0 failures", "sem erros" read as success.
const ERROR_WORD = /^(crític[oa]s?|critic[oa]s?|erros?|errors?|errored|falhas?|falhou|failed|failures?|critical|fatal|exceptions?)$/
const WARNING_WORD = /^(alertas?|atenção|atencao|warnings?|avisos?|vulnerab\p{L}*|deprecated|caution)$/u
const NEGATION = /^(no|not|non|zero|0|without|none|never|nenhum|nenhuma|sem|não|nao|nunca)$/
/** How many words back a negation still applies ("no critical or fatal errors"). */
const NEGATION_REACH = 3

/** How a finished run's output reads: the keyword analysis the original gateway applied, made word-aware. */
export function severityOf(output: string, exitCode: number): Severity {
  if (exitCode !== 0) return 'error'
  let warning = false
  // A negation reaches no further than its clause: "no errors; one warning" warns.
  for (const clause of output.toLowerCase().split(/[.;:!?,\n]+/)) {
    const words = clause.match(/[\p{L}\p{N}]+/gu) ?? []
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!
      const isError = ERROR_WORD.test(word)
      if (!isError && !WARNING_WORD.test(word)) continue
      if (negated(words, i)) continue
      if (isError) return 'error'
      warning = true
    }
  }
  return warning ? 'warning' : 'success'
}

function negated(words: readonly string[], at: number): boolean {
  for (let i = Math.max(0, at - NEGATION_REACH); i < at; i++) if (NEGATION.test(words[i]!)) return true
  return false
}
