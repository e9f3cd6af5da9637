import type { Severity } from './run-events.js'

// compat: original-gateway.md §7.6, substring matching included ("no errors" reads as error).
const ERROR_WORDS = ['crítico', 'erro', 'falha', 'failed', 'error', 'critical', 'fatal', 'exception']
const WARNING_WORDS = ['alerta', 'atenção', 'warning', 'aviso', 'vulnerab', 'deprecated', 'caution']

/** How a finished run's output reads: the keyword analysis the original gateway applied. */
export function severityOf(output: string, exitCode: number): Severity {
  if (exitCode !== 0) return 'error'
  const text = output.toLowerCase()
  if (text === '') return 'success'
  if (ERROR_WORDS.some((word) => text.includes(word))) return 'error'
  if (WARNING_WORDS.some((word) => text.includes(word))) return 'warning'
  return 'success'
}
