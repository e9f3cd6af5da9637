// HTTP for /api/screenplays: parse, call the service, map to the wire.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  CheckDuplicateBody,
  CheckDuplicateDto,
  CreateScreenplayBody,
  GetScreenplayQuery,
  ListScreenplaysQuery,
  MarkdownReportDto,
  RenameScreenplayBody,
  ScreenplayDto,
  ScreenplayListDto,
  ScreenplayParams,
  ScreenplayReadDto,
  UpdateScreenplayBody,
  ValidateMarkdownBody,
  WorkingDirectoryBody,
  WorkingDirectoryDto,
  toScreenplayDto,
  toScreenplayInput,
  toScreenplayListItemDto,
  toScreenplayReadDto,
} from './screenplays.schemas.js'
import type { ScreenplaysService } from './screenplays.service.js'
import { type AnswerCache, answerFrom } from '../../platform/http/answer-cache.js'

const tags = ['screenplays']

export interface ScreenplaysRoutesOptions {
  screenplays: ScreenplaysService
  /** Keeps the answers of the two reads until a screenplay changes (embedded profile). */
  answers?: AnswerCache
}

export const screenplaysRoutes: FastifyPluginAsyncZod<ScreenplaysRoutesOptions> = async (app, { screenplays, answers }) => {
  app.post(
    '/api/screenplays',
    {
      schema: { tags, summary: 'Create a screenplay', body: CreateScreenplayBody, response: { 201: ScreenplayDto } },
    },
    async (req, reply) => {
      const created = await screenplays.create({ ...toScreenplayInput(req.body), name: req.body.name })
      return reply.code(201).send(toScreenplayDto(created))
    },
  )

  app.get(
    '/api/screenplays',
    {
      schema: { tags, summary: 'List screenplays (without content)', querystring: ListScreenplaysQuery, response: { 200: ScreenplayListDto } },
    },
    (req, reply) =>
      answerFrom(answers, reply, req.url, async () => {
        const { search, page, limit, include_deleted: includeDeleted, sort } = req.query
        const result = await screenplays.list({ search, page, limit, includeDeleted, sort })
        return { ...result, items: result.items.map(toScreenplayListItemDto) }
      }),
  )

  app.post(
    '/api/screenplays/validate-markdown',
    {
      schema: { tags, summary: 'Check markdown the way saves do', body: ValidateMarkdownBody, response: { 200: MarkdownReportDto } },
    },
    async (req) => {
      const report = screenplays.validateMarkdown(req.body.content)
      return { is_valid: report.isValid, errors: report.errors, warnings: report.warnings }
    },
  )

  app.post(
    '/api/screenplays/check-duplicate',
    {
      schema: { tags, summary: 'Is a live screenplay already linked to this file?', body: CheckDuplicateBody, response: { 200: CheckDuplicateDto } },
    },
    async (req) => {
      const { fileKey, duplicate } = await screenplays.checkDuplicate(req.body.file_path, req.body.file_name, req.body.exclude_id)
      return {
        is_duplicate: duplicate !== undefined,
        duplicate_screenplay: duplicate ? toScreenplayListItemDto(duplicate) : null,
        file_key: fileKey,
      }
    },
  )

  app.get(
    '/api/screenplays/:screenplay_id',
    {
      schema: {
        tags,
        summary: 'Get a screenplay with its content',
        params: ScreenplayParams,
        querystring: GetScreenplayQuery,
        response: { 200: ScreenplayReadDto },
      },
    },
    (req, reply) =>
      answerFrom(answers, reply, req.url, async () =>
        toScreenplayReadDto(await screenplays.get(req.params.screenplay_id, { includeDeleted: req.query.include_deleted })),
      ),
  )

  app.put(
    '/api/screenplays/:screenplay_id',
    {
      schema: {
        tags,
        summary: 'Update fields of a screenplay (bumps version)',
        params: ScreenplayParams,
        body: UpdateScreenplayBody,
        response: { 200: ScreenplayDto },
      },
    },
    async (req) => toScreenplayDto(await screenplays.update(req.params.screenplay_id, toScreenplayInput(req.body))),
  )

  app.delete(
    '/api/screenplays/:screenplay_id',
    {
      schema: { tags, summary: 'Soft-delete a screenplay and hide what belongs to it', params: ScreenplayParams, response: { 204: z.undefined() } },
    },
    async (req, reply) => {
      await screenplays.delete(req.params.screenplay_id)
      return reply.code(204).send()
    },
  )

  app.post(
    '/api/screenplays/:screenplay_id/restore',
    {
      schema: { tags, summary: 'Restore a soft-deleted screenplay', params: ScreenplayParams, response: { 200: ScreenplayDto } },
    },
    async (req) => toScreenplayDto(await screenplays.restore(req.params.screenplay_id)),
  )

  app.put(
    '/api/screenplays/:screenplay_id/rename',
    {
      schema: {
        tags,
        summary: 'Rename, moving the linked file path along',
        params: ScreenplayParams,
        body: RenameScreenplayBody,
        response: { 200: ScreenplayDto },
      },
    },
    async (req) => toScreenplayDto(await screenplays.rename(req.params.screenplay_id, req.body.new_name, req.body.update_file_paths)),
  )

  app.patch(
    '/api/screenplays/:screenplay_id/working-directory',
    {
      schema: {
        tags,
        summary: 'Set the working directory agents run in',
        params: ScreenplayParams,
        body: WorkingDirectoryBody,
        response: { 200: WorkingDirectoryDto },
      },
    },
    async (req) => {
      const dir = await screenplays.setWorkingDirectory(req.params.screenplay_id, req.body.working_directory)
      return { message: 'Working directory updated successfully', working_directory: dir }
    },
  )

  app.patch(
    '/api/screenplays/:screenplay_id/mark-as-used',
    {
      schema: { tags, summary: 'Record that the screenplay was opened', params: ScreenplayParams, response: { 204: z.undefined() } },
    },
    async (req, reply) => {
      await screenplays.markUsed(req.params.screenplay_id)
      return reply.code(204).send()
    },
  )
}
