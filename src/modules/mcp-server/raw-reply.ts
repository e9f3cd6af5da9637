// Responses the MCP SDK writes itself (after reply.hijack()) skip Fastify's header handling; the
// headers hooks already set (request id, CORS) are copied onto the raw response first.
import type { FastifyReply } from 'fastify'

export function copyReplyHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value as string | number | string[])
  }
}
