// A run's stop request answers like an AbortSignal whether or not its signal was ever made.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RunStop } from './run-stop.js'

describe('RunStop', () => {
  it('aborts the signal an executor holds, with the reason', () => {
    const stop = new RunStop()
    const { signal } = stop
    let heard: unknown
    signal.addEventListener('abort', () => (heard = signal.reason))
    assert.equal(stop.aborted, false)
    stop.stop('cancel')
    assert.equal(stop.aborted, true)
    assert.equal(stop.reason, 'cancel')
    assert.equal(heard, 'cancel')
  })

  it('makes a signal already aborted when asked after the stop', () => {
    const stop = new RunStop()
    stop.stop('timeout')
    assert.equal(stop.signal.aborted, true)
    assert.equal(stop.signal.reason, 'timeout')
  })

  it('keeps the first reason', () => {
    const stop = new RunStop()
    const { signal } = stop
    stop.stop('timeout')
    stop.stop('shutdown')
    assert.equal(stop.reason, 'timeout')
    assert.equal(signal.reason, 'timeout')
  })

  it('hands out one signal', () => {
    const stop = new RunStop()
    assert.equal(stop.signal, stop.signal)
  })
})
