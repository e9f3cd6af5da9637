import { randomBytes, randomUUID } from 'node:crypto'

const processRandom = randomBytes(5)
let counter = randomBytes(3).readUIntBE(0, 3)

/**
 * A 24-hex id shaped like a MongoDB ObjectId (time, process random, counter).
 * Screenplay and task ids keep this shape because the Python Conductor parses them as ObjectIds.
 */
export function newObjectId(now = Date.now()): string {
  const bytes = Buffer.alloc(12)
  bytes.writeUInt32BE(Math.floor(now / 1000) >>> 0, 0)
  processRandom.copy(bytes, 4)
  counter = (counter + 1) & 0xffffff
  bytes.writeUIntBE(counter, 9, 3)
  return bytes.toString('hex')
}

export function newUuid(): string {
  return randomUUID()
}
