// HTTP for /api/navigation.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import {
  ClearNavigationDto,
  LastNavigationDto,
  NavigationHeaders,
  NavigationQuery,
  NavigationStateDto,
  PutNavigationBody,
  toNavigationStateDto,
  userIdOf,
} from './navigation.schemas.js'
import type { NavigationService } from './navigation.service.js'

const tags = ['navigation']

export const navigationRoutes: FastifyPluginAsyncZod<{ navigation: NavigationService }> = async (app, { navigation }) => {
  app.get(
    '/api/navigation',
    {
      schema: {
        tags,
        summary: 'Where the user left off',
        headers: NavigationHeaders,
        querystring: NavigationQuery,
        response: { 200: NavigationStateDto },
      },
    },
    async (req) => {
      const { screenplay_id: screenplayId, conversation_id: conversationId } = req.query
      return toNavigationStateDto(await navigation.get(userIdOf(req.headers), { screenplayId, conversationId }))
    },
  )

  app.get(
    '/api/navigation/last',
    {
      schema: { tags, summary: 'The screenplay the user used last', headers: NavigationHeaders, response: { 200: LastNavigationDto } },
    },
    async (req) => {
      const { instance_id: _instance, ...last } = toNavigationStateDto(await navigation.last(userIdOf(req.headers)))
      return last
    },
  )

  app.put(
    '/api/navigation',
    {
      schema: {
        tags,
        summary: 'Remember the current screenplay, conversation and instance',
        headers: NavigationHeaders,
        body: PutNavigationBody,
        response: { 200: NavigationStateDto },
      },
    },
    async (req) => {
      const { screenplay_id: screenplayId, conversation_id: conversationId, instance_id: instanceId } = req.body
      return toNavigationStateDto(await navigation.put(userIdOf(req.headers), { screenplayId, conversationId, instanceId }))
    },
  )

  app.delete(
    '/api/navigation',
    {
      schema: {
        tags,
        summary: 'Forget navigation state',
        headers: NavigationHeaders,
        querystring: NavigationQuery,
        response: { 200: ClearNavigationDto },
      },
    },
    async (req) => {
      const { screenplay_id: screenplayId, conversation_id: conversationId } = req.query
      const deleted = await navigation.clear(userIdOf(req.headers), { screenplayId, conversationId })
      return { status: 'success' as const, message: `Navigation state cleared (${deleted} entries)`, deleted_count: deleted }
    },
  )
}
