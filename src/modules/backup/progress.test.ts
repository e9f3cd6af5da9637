import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { progressBar } from './progress.js'

function fakeTerminal() {
  let written = ''
  const write = (text: string) => {
    written += text
    return true
  }
  const out = { columns: 80, write } as unknown as NodeJS.WriteStream
  return { out, written: () => written }
}

describe('progress bar', () => {
  it('redraws one line in place at most every 100 ms and ends at 100 % with a newline', () => {
    const terminal = fakeTerminal()
    let now = 1_000
    const bar = progressBar(terminal.out, () => now)
    bar.start('backup', 200)
    now += 150
    bar.update(50, 'agents')
    bar.update(60, 'agents')
    now += 150
    bar.update(100, 'runs')
    bar.finish()
    const frames = terminal.written().split('\r').filter(Boolean)
    assert.equal(frames.length, 4, 'start, two updates 100 ms apart (the one in between is dropped), finish')
    assert.match(frames[1]!, /^backup \[#{8}\.{22}\] {2}25% agents/)
    assert.match(frames[2]!, /^backup \[#{15}\.{15}\] {2}50% runs/)
    assert.match(frames[3]!, /^backup \[#{30}\] 100% done +\n$/)
    for (const frame of frames) assert.ok(frame.replace('\n', '').length < 80, 'fits the terminal')
  })
})
