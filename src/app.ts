// buildApp(deps): platform plugins first, then every module's routes in one visible list.
import cors from '@fastify/cors'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import type { Deps } from './deps.js'
import { registerDocs } from './platform/http/docs.js'
import { answerRouterError, installErrorHandlers } from './platform/http/error-handler.js'
import { installJsonBodyParser } from './platform/http/json-body.js'
import { requestIdOf } from './platform/http/request-id.js'
import { installZodMessages } from './platform/http/zod-messages.js'
import { agentsRoutes } from './modules/agents/agents.routes.js'
import { instancesRoutes } from './modules/instances/instances.routes.js'
import { GATEWAY_VERSION, healthRoutes } from './modules/health/health.routes.js'
import { navigationRoutes } from './modules/navigation/navigation.routes.js'
import { personaVersionsRoutes } from './modules/personas/persona-versions.routes.js'
import { personasRoutes } from './modules/personas/personas.routes.js'
import { screenplaysRoutes } from './modules/screenplays/screenplays.routes.js'

export interface BuildAppOptions {
  logger?: Logger | false
}

export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  installZodMessages()
  const { server } = deps.config
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit: server.bodyLimitBytes,
    trustProxy: server.trustProxy,
    genReqId: requestIdOf,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    return503OnClosing: true,
    frameworkErrors: answerRouterError,
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  installErrorHandlers(app, server.bodyLimitBytes)
  installJsonBodyParser(app)
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })

  await app.register(cors, {
    origin: server.corsOrigins.length > 0 ? server.corsOrigins : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'Accept', 'X-Requested-With', 'X-API-Key', 'X-User-Id', 'X-Session-Id', 'Last-Event-ID', 'Idempotency-Key'],
    exposedHeaders: ['X-Request-Id'],
    maxAge: 600,
  })
  await registerDocs(app, {
    title: 'Conductor Gateway API',
    version: GATEWAY_VERSION,
    description: 'Screenplays, agents, conversations and agent runs for conductor-web and new clients.',
  })

  await app.register(healthRoutes, { host: server.host, port: server.port, mode: deps.database.dialect === 'postgres' ? 'server' : 'embedded', database: deps.database })
  await app.register(screenplaysRoutes, { screenplays: deps.screenplays })
  await app.register(navigationRoutes, { navigation: deps.navigation })
  await app.register(agentsRoutes, { agents: deps.agents })
  await app.register(personasRoutes, { personas: deps.personas })
  await app.register(personaVersionsRoutes, { versions: deps.personaVersions })
  await app.register(instancesRoutes, { instances: deps.instances })

  return app
}
