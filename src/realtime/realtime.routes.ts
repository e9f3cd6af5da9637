// WebSocket endpoints and the watcher's HTTP callback.
import type {} from '@fastify/websocket'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { parseFrame } from '../platform/events/frame.js'
import { limitMessageRate } from '../platform/http/limits.js'
import type { GamificationHub } from './gamification-hub.js'
import { TASK_EVENT_TYPES, type WatcherIngest } from './watcher-ingest.js'

const TaskEventBody = z.object({
  type: z.enum(TASK_EVENT_TYPES, { message: `must be one of: ${TASK_EVENT_TYPES.join(', ')}` }),
  data: z.record(z.string(), z.unknown()).default({}),
})
const TaskEventDto = z.object({ success: z.literal(true), message: z.string(), clients_count: z.number().int() })
const InternalHeaders = z.object({
  'x-internal-token': z.string().optional().describe('The INTERNAL_TOKEN; or a watcher key/token as Authorization: Bearer'),
})

export interface RealtimeOptions {
  gamification: GamificationHub
  ingest: WatcherIngest
  /** Messages one WebSocket may send per minute before it is closed. */
  wsMessagesPerMinute: number
}

export const realtimeRoutes: FastifyPluginAsyncZod<RealtimeOptions> = async (app, { gamification, ingest, wsMessagesPerMinute }) => {
  app.get('/ws/gamification', { websocket: true, config: { access: 'user', stream: true }, schema: { hide: true } }, (socket) => {
    limitMessageRate(socket, wsMessagesPerMinute)
    gamification.connect(socket)
  })

  app.get(
    '/ws/agent-stream',
    {
      websocket: true,
      // The caller's address proves nothing (behind a proxy every caller is local): a credential is required.
      config: { access: 'watcher', stream: true },
      schema: { hide: true },
    },
    (socket) => {
      limitMessageRate(socket, wsMessagesPerMinute)
      socket.on('message', (raw) => {
        // compat: original-gateway.md §4.2: anything but a `{type, data}` object is ignored.
        const frame = parseFrame(raw.toString())
        if (frame) ingest.streamFrame(frame)
      })
    },
  )

  app.post(
    '/api/internal/task-event',
    {
      schema: {
        tags: ['internal'],
        summary: 'A Conductor watcher reports a task lifecycle event; it is rebroadcast to WebSocket clients',
        headers: InternalHeaders,
        body: TaskEventBody,
        response: { 200: TaskEventDto },
      },
      config: { access: 'watcher' },
      bodyLimit: 256 * 1024,
    },
    async (req) => {
      const clients = ingest.taskEvent({ type: req.body.type, data: req.body.data })
      return { success: true as const, message: `Event ${req.body.type} broadcasted`, clients_count: clients }
    },
  )
}
