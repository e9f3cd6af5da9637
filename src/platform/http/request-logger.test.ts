// A request's logger writes what a pino child would, and is made only for a line that is written.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import type { Logger } from 'pino'
import { createLogger } from '../logger.js'
import { lazyChildLogger } from './request-logger.js'

function capturing(level: string): { logger: Logger; lines: Array<Record<string, unknown>>; children: () => number } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const logger = createLogger(level, sink)
  let made = 0
  const child = logger.child.bind(logger)
  logger.child = ((...args: Parameters<Logger['child']>) => {
    made++
    return child(...args)
  }) as Logger['child']
  return { logger, lines, children: () => made }
}

const flushed = () => new Promise((resolve) => setImmediate(resolve))

describe('lazyChildLogger', () => {
  it('makes no child for lines the level drops, and one child, with the bindings, for the lines it keeps', async () => {
    const { logger, lines, children } = capturing('warn')
    const log = lazyChildLogger(logger, { reqId: 'r-1' }, {})
    log.info({ req: { url: '/health' } }, 'incoming request')
    log.debug('details')
    assert.equal(children(), 0, 'nothing written, nothing made')
    log.warn({ detail: 'x' }, 'first')
    log.error('second')
    await flushed()
    assert.equal(children(), 1)
    assert.deepEqual(
      lines.map((line) => [line.reqId, line.level, line.msg]),
      [
        ['r-1', 40, 'first'],
        ['r-1', 50, 'second'],
      ],
    )
  })

  it('reports and changes its level like a child', async () => {
    const { logger, lines } = capturing('info')
    const log = lazyChildLogger(logger, { reqId: 'r-2' }, {})
    assert.equal(log.level, 'info')
    log.level = 'debug'
    log.debug('now kept')
    assert.equal(logger.level, 'info', "the app's logger keeps its level")
    await flushed()
    assert.deepEqual(
      lines.map((line) => [line.reqId, line.msg]),
      [['r-2', 'now kept']],
    )
  })

  it("makes a route's own level at once", () => {
    const { logger, children } = capturing('warn')
    const log = lazyChildLogger(logger, { reqId: 'r-3' }, { level: 'debug' })
    assert.equal(children(), 1)
    assert.equal(log.level, 'debug')
  })
})
