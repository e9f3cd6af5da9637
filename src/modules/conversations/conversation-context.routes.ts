// HTTP for a conversation's markdown context: set it as JSON, or upload a .md file. Multipart
// parsing is registered for the upload route only; the file size limit applies while reading.
import multipart, { type MultipartFile } from '@fastify/multipart'
import type { Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod'
import { BadRequestError } from '../../platform/http/errors.js'
import { multipartRequestError } from '../../platform/http/multipart-errors.js'
import { uploadTooLarge } from './context-file.js'
import { ContextBody, ContextUploadDto, ConversationParams, SuccessDto } from './conversations.schemas.js'
import type { ConversationsService } from './conversations.service.js'

const tags = ['conversations']
const FILE_FIELD = 'file'

export interface ConversationContextOptions {
  conversations: ConversationsService
  /** Largest accepted upload in bytes (`conversations.context_upload_max_bytes`). */
  uploadMaxBytes: number
}

export const conversationContextRoutes: FastifyPluginAsyncZod<ConversationContextOptions> = async (app, { conversations, uploadMaxBytes }) => {
  app.patch(
    '/api/conversations/:conversation_id/context',
    {
      schema: { tags, summary: 'Set or clear the markdown context', params: ConversationParams, body: ContextBody, response: { 200: SuccessDto } },
    },
    async (req) => {
      await conversations.setContext(req.params.conversation_id, req.body.context)
      return { success: true, message: 'Contexto atualizado com sucesso' }
    },
  )

  await app.register(async (scope) => {
    await scope.register(multipart, {
      // One byte past the limit, so reading can tell "exactly at the limit" from "over it".
      limits: { fileSize: uploadMaxBytes + 1, files: 1, fields: 10, fieldSize: 1024, parts: 20 },
      throwFileSizeLimit: true,
    })
    const upload = scope.withTypeProvider<ZodTypeProvider>()

    upload.post(
      '/api/conversations/:conversation_id/context/upload',
      {
        schema: {
          tags,
          summary: `Replace the context with a .md file (multipart field "${FILE_FIELD}", UTF-8, at most ${uploadMaxBytes} bytes)`,
          consumes: ['multipart/form-data'],
          params: ConversationParams,
          response: { 200: ContextUploadDto },
        },
      },
      async (req) => {
        const part = await fileOf(req, uploadMaxBytes)
        try {
          const uploaded = await conversations.uploadContext(req.params.conversation_id, {
            filename: part.filename,
            read: () => readWithin(part, uploadMaxBytes),
          })
          return { success: true, message: 'Contexto carregado com sucesso', ...uploaded }
        } finally {
          // A file refused for its name or content is read to its end (never buffered; the part is
          // at most one byte past the limit), so the answer can keep the connection open: one sent
          // before the client has finished sending would close it under the client's writes. A file
          // cut off at the limit was destroyed by the read, and its 413 closes the connection.
          await drained(part.file)
          // …and then the rest of the form (its closing boundary), so the request has been read whole.
          if (part.file.readableEnded) await drained(req.raw)
        }
      },
    )
  })
}

/** Reads `stream` to its end, keeping nothing; resolves at once if it has ended or was destroyed. */
function drained(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    stream.once('end', resolve).once('close', resolve).once('error', resolve)
    stream.resume()
  })
}

async function fileOf(req: FastifyRequest, limit: number): Promise<MultipartFile> {
  if (!req.isMultipart()) throw new BadRequestError(`Envie o arquivo como multipart/form-data no campo '${FILE_FIELD}'`)
  const part = await req.file().catch((err: unknown) => {
    throw multipartRequestError(err, () => uploadTooLarge(limit))
  })
  if (!part) throw new BadRequestError(`Nenhum arquivo enviado: envie o arquivo .md no campo '${FILE_FIELD}'`)
  if (part.fieldname !== FILE_FIELD) {
    part.file.resume()
    throw new BadRequestError(`O arquivo deve vir no campo '${FILE_FIELD}' (recebido '${part.fieldname}')`)
  }
  return part
}

/**
 * Reads the file, answering 413 the moment it passes `limit` bytes: the rest of the body is
 * neither buffered nor waited for (busboy stops one byte past the limit in any case).
 */
async function readWithin(part: MultipartFile, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of part.file as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > limit) throw uploadTooLarge(limit)
      chunks.push(chunk)
    }
  } catch (err) {
    throw multipartRequestError(err, () => uploadTooLarge(limit))
  }
  return Buffer.concat(chunks)
}
