// Wire shapes of /api/navigation (web-client-contract.md §2.6, conductor-backend.md §2.1).
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import type { NavigationView } from './navigation.service.js'

const Id = z.string().trim().min(1, { message: 'cannot be empty' }).max(200, { message: 'cannot exceed 200 characters' })

export const NavigationHeaders = z.object({
  'x-user-id': z.string().max(200).optional().describe('Whose state; falls back to X-Session-Id, then "default"'),
  'x-session-id': z.string().max(200).optional(),
})

export const NavigationQuery = z.object({ screenplay_id: Id.optional(), conversation_id: Id.optional() })

export const PutNavigationBody = z.object({
  screenplay_id: Id,
  conversation_id: Id.nullable().optional().describe('null forgets the conversation; absent keeps it'),
  instance_id: Id.nullable().optional().describe('null forgets the instance; absent keeps it'),
})

export const NavigationStateDto = z.object({
  screenplay_id: z.string().nullable(),
  conversation_id: z.string().nullable(),
  instance_id: z.string().nullable(),
  updated_at: z.string().nullable(),
})

export const LastNavigationDto = NavigationStateDto.omit({ instance_id: true })

export const ClearNavigationDto = z.object({ status: z.literal('success'), message: z.string(), deleted_count: z.number().int() })

export function toNavigationStateDto(view: NavigationView): z.output<typeof NavigationStateDto> {
  return {
    screenplay_id: view.screenplayId,
    conversation_id: view.conversationId,
    instance_id: view.instanceId,
    updated_at: toIso(view.updatedAt),
  }
}

/** X-User-Id, else `session_<X-Session-Id>`, else "default" (the Conductor's rule). */
export function userIdOf(headers: z.output<typeof NavigationHeaders>): string {
  const user = headers['x-user-id']?.trim()
  if (user) return user
  const session = headers['x-session-id']?.trim()
  return session ? `session_${session}` : 'default'
}
