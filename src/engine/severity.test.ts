import assert from 'node:assert/strict'
import { test } from 'node:test'
import { severityOf } from './severity.js'

test('severity keywords are read as words, negations included', () => {
  const cases: Array<[string, string]> = [
    ['', 'success'],
    ['All checks passed.', 'success'],
    ['No errors found.', 'success'],
    ['0 failures, 12 tests passed', 'success'],
    ['Sem erros encontrados', 'success'],
    ['Nenhuma falha crítica', 'success'],
    ['The terrorist novel is fine', 'success'],
    ['Found 3 errors in build', 'error'],
    ['Build FAILED', 'error'],
    ['Erro ao compilar', 'error'],
    ['Unhandled exception in worker', 'error'],
    ['Warning: deprecated API', 'warning'],
    ['2 vulnerabilidades encontradas', 'warning'],
    ['No warnings, but one error', 'error'],
    ['no errors; one warning', 'warning'],
  ]
  for (const [output, expected] of cases) assert.equal(severityOf(output, 0), expected, output)
  assert.equal(severityOf('No errors found.', 1), 'error')
})
