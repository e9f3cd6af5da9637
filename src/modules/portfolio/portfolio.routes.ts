// POST /api/v1/portfolio-chat (original-gateway.md §2.6): the public assistant of a portfolio
// site. A run of the configured agent per message, rate limited per client, each visitor in a
// conversation of their own.
import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError, UnavailableError } from '../../platform/http/errors.js'
import type { AgentsService } from '../agents/agents.service.js'
import type { ConversationsService } from '../conversations/conversations.service.js'
import type { ChatSend } from '../execution/chat-send.js'
import type { PortfolioSessions } from './portfolio-sessions.js'

const Body = z.object({
  message: z.string().trim().min(1, { message: 'cannot be empty' }).max(2000, { message: 'cannot exceed 2000 characters' }),
  session_id: z.string().max(300).nullable().optional().describe('A session id this endpoint answered before; anything else starts a new session'),
})
const Reply = z.object({ response: z.string(), session_id: z.string() })

export interface PortfolioOptions {
  chat: ChatSend
  agents: AgentsService
  conversations: ConversationsService
  sessions: PortfolioSessions
  agentId: string
  perMinute: number
  timeoutMs: number
}

export const portfolioRoutes: FastifyPluginAsyncZod<PortfolioOptions> = async (app, options) => {
  // Only this route is limited (the plugin is scoped to this plugin's routes).
  await app.register(rateLimit, {
    max: options.perMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, context) => new AppError('rate_limited', `Rate limit exceeded: ${context.max} per 1 minute`, 429),
  })

  app.post(
    '/api/v1/portfolio-chat',
    {
      config: { expensive: true },
      schema: { tags: ['portfolio'], summary: 'Ask the portfolio assistant (rate limited per client)', body: Body, response: { 200: Reply } },
    },
    async (req) => {
      const agent = await options.agents.find(options.agentId)
      if (!agent) throw new UnavailableError(`The portfolio assistant (${options.agentId}) is not configured`)
      let conversationId = req.body.session_id ? options.sessions.conversationOf(req.body.session_id) : undefined
      if (conversationId) conversationId = (await options.conversations.get(conversationId).catch(() => undefined))?.id
      conversationId ??= (await options.conversations.create({ title: 'Portfolio visitor' })).id
      const run = await options.chat.execute({
        agentId: agent.agentId,
        inputText: req.body.message,
        conversationId,
        saveToConversation: true,
        contextMode: 'stateful',
        source: 'portfolio',
        timeoutMs: options.timeoutMs,
      })
      if (run.status !== 'completed') {
        req.log.warn({ runId: run.id, status: run.status, error: run.error }, 'portfolio run did not complete')
        throw new AppError('bad_gateway', "Sorry, I'm having trouble responding right now. Please try again later.", 502)
      }
      return { response: run.output, session_id: options.sessions.issue(conversationId) }
    },
  )
}
