// WebSocket endpoints and the watcher's HTTP callback.
import type {} from '@fastify/websocket'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { parseFrame } from '../platform/events/frame.js'
import { assertInternalCaller } from '../platform/http/internal-auth.js'
import type { GamificationHub } from './gamification-hub.js'
import { TASK_EVENT_TYPES, type WatcherIngest } from './watcher-ingest.js'

const TaskEventBody = z.object({
  type: z.enum(TASK_EVENT_TYPES, { message: `must be one of: ${TASK_EVENT_TYPES.join(', ')}` }),
  data: z.record(z.string(), z.unknown()).default({}),
})
const TaskEventDto = z.object({ success: z.literal(true), message: z.string(), clients_count: z.number().int() })
const InternalHeaders = z.object({ 'x-internal-token': z.string().optional().describe('Required when INTERNAL_TOKEN is configured') })

export interface RealtimeOptions {
  gamification: GamificationHub
  ingest: WatcherIngest
  internalToken: string | null
}

export const realtimeRoutes: FastifyPluginAsyncZod<RealtimeOptions> = async (app, { gamification, ingest, internalToken }) => {
  app.get('/ws/gamification', { websocket: true, schema: { hide: true } }, (socket) => gamification.connect(socket))

  app.get(
    '/ws/agent-stream',
    {
      websocket: true,
      schema: { hide: true },
      preValidation: async (req) => assertInternalCaller(req, internalToken),
    },
    (socket) => {
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
      preValidation: async (req) => assertInternalCaller(req, internalToken),
    },
    async (req) => {
      const clients = ingest.taskEvent({ type: req.body.type, data: req.body.data })
      return { success: true as const, message: `Event ${req.body.type} broadcasted`, clients_count: clients }
    },
  )
}
