// HTTP for /api/tasks: read-only task views over runs.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Runs } from '../../engine/runs.js'
import { NotFoundError } from '../../platform/http/errors.js'
import {
  ListTasksQuery,
  ProcessingTasksQuery,
  TaskDetailsDto,
  TaskDto,
  TaskEventsDto,
  TaskEventsQuery,
  TaskListDto,
  TaskParams,
  toTaskDetails,
  toTaskDoc,
  toTaskEvent,
} from './tasks.schemas.js'
import { runStatusesOf } from './task-projection.js'

const tags = ['tasks']
const FINISHED = ['completed', 'failed', 'timed_out', 'cancelled'] as const

export const tasksRoutes: FastifyPluginAsyncZod<{ runs: Runs }> = async (app, { runs }) => {
  app.get(
    '/api/tasks',
    {
      schema: { tags, summary: 'Tasks (runs) with filters', querystring: ListTasksQuery, response: { 200: TaskListDto } },
    },
    async (req) => {
      const q = req.query
      const { runs: found, total } = await runs.list({
        statuses: q.status ? runStatusesOf(q.status) : undefined,
        agentId: q.agent_id,
        limit: q.limit,
        offset: q.offset,
        ...q.sort,
      })
      return { success: true as const, count: found.length, total, tasks: found.map(toTaskDoc) }
    },
  )

  app.get(
    '/api/tasks/processing',
    {
      schema: {
        tags,
        summary: 'Tasks running right now (the agents’ “active” animation)',
        querystring: ProcessingTasksQuery,
        response: { 200: TaskListDto },
      },
    },
    async (req) => {
      const q = req.query
      const { runs: found, total } = await runs.list({ statuses: ['running'], limit: q.limit, offset: q.offset, ...q.sort })
      return { success: true as const, count: found.length, total, tasks: found.map(toTaskDoc) }
    },
  )

  app.get(
    '/api/tasks/events',
    {
      schema: {
        tags,
        summary: 'Recently finished tasks as feed events (newest first)',
        querystring: TaskEventsQuery,
        response: { 200: TaskEventsDto },
      },
    },
    async (req) => {
      const { limit, include_councilors: councilors, include_regular: regular } = req.query
      if (!councilors && !regular) return { success: true as const, count: 0, events: [] }
      const { runs: found } = await runs.list({
        statuses: [...FINISHED],
        limit,
        offset: 0,
        ...(councilors !== regular && { councilor: councilors }),
      })
      const events = found.map(toTaskEvent)
      return { success: true as const, count: events.length, events }
    },
  )

  app.get(
    '/api/tasks/:task_id',
    {
      schema: { tags, summary: 'One task (polling fallback)', params: TaskParams, response: { 200: TaskDto } },
    },
    async (req) => {
      const run = await runs.find(req.params.task_id)
      if (!run || run.isDeleted) throw new NotFoundError(`Task ${req.params.task_id} not found`)
      return { success: true as const, task: toTaskDoc(run) }
    },
  )

  app.get(
    '/api/tasks/:task_id/details',
    {
      schema: { tags, summary: 'Prompt and result of a task (the report modal)', params: TaskParams, response: { 200: TaskDetailsDto } },
    },
    async (req) => {
      const run = await runs.find(req.params.task_id)
      if (!run || run.isDeleted) throw new NotFoundError('Task não encontrada. Este evento pode não ter dados completos salvos no banco de dados.')
      return { success: true as const, task: toTaskDetails(run) }
    },
  )
}
