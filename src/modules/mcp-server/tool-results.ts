// What every tool answers: text a person (or a model) can read, with the data as structured
// content. Failures are `isError` results naming what went wrong, never transport errors.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { ZodError } from 'zod'
import { AppError } from '../../platform/http/errors.js'

export function ok(text: string, data?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], ...(data && { structuredContent: data }) }
}

/** Data as indented JSON text, and as structured content. */
export function okJson(data: Record<string, unknown>): CallToolResult {
  return ok(JSON.stringify(data, null, 2), data)
}

export function fail(text: string, data?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true, ...(data && { structuredContent: data }) }
}

/** Runs a tool body; any error becomes an isError result with its message. */
export async function answering(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body()
  } catch (err) {
    return fail(messageOf(err))
  }
}

function messageOf(err: unknown): string {
  if (err instanceof AppError) return typeof err.detail === 'string' ? err.detail : err.message
  if (err instanceof ZodError) return err.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ')
  return err instanceof Error ? err.message : String(err)
}
