// buildApp(deps): platform plugins first, then every module's routes in one visible list.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { validatorCompiler } from 'fastify-type-provider-zod'
import type { Logger } from 'pino'
import type { Deps } from './deps.js'
import { clientErrorHandler } from './platform/http/client-errors.js'
import { allowCrossOrigin } from './platform/http/cors.js'
import { registerDocs } from './platform/http/docs.js'
import { fastSerializerCompiler } from './platform/http/fast-serializer.js'
import { installErrorHandlers, routerErrorAnswer } from './platform/http/error-handler.js'
import { installJsonBodyParser } from './platform/http/json-body.js'
import { refuseNulInUrl } from './platform/http/storable-text.js'
import { lazyChildLogger } from './platform/http/request-logger.js'
import { answerWithRequestId, requestIdOf } from './platform/http/request-id.js'
import { installRequestChecks } from './platform/http/request-checks.js'
import { installZodMessages } from './platform/http/zod-messages.js'
import { registerWebRoot } from './platform/http/web-root.js'
import { installHttpMetrics, unroutedRequestCounter } from './platform/http/http-metrics.js'
import { installHttpTracing } from './platform/http/http-tracing.js'
import { tracingActive } from './platform/tracing.js'
import { metricsRoutes } from './modules/metrics/metrics.routes.js'
import { installAccessCheck, withAccess } from './platform/http/access.js'
import { installLimits, WorkBudget } from './platform/http/limits.js'
import { closeConnectionsWithUnreadBodies } from './platform/http/unread-body.js'
import { refusalWhileClosing } from './platform/http/refuse-while-closing.js'
import { installAuthHook } from './modules/auth/auth-hook.js'
import { authRoutes } from './modules/auth/auth.routes.js'
import { agentsRoutes } from './modules/agents/agents.routes.js'
import { councilorRoutes } from './modules/councilor/councilor.routes.js'
import { conversationContextRoutes } from './modules/conversations/conversation-context.routes.js'
import { conversationsRoutes } from './modules/conversations/conversations.routes.js'
import { messagesRoutes } from './modules/conversations/messages.routes.js'
import { agentExecuteRoutes } from './modules/execution/agent-execute.routes.js'
import { legacyExecuteRoutes } from './modules/execution/legacy-execute.routes.js'
import { portfolioRoutes } from './modules/portfolio/portfolio.routes.js'
import { PortfolioSessions } from './modules/portfolio/portfolio-sessions.js'
import { streamExecuteRoutes } from './modules/execution/stream-execute.routes.js'
import { GATEWAY_VERSION, healthRoutes } from './modules/health/health.routes.js'
import { instancesRoutes } from './modules/instances/instances.routes.js'
import { navigationRoutes } from './modules/navigation/navigation.routes.js'
import { personaVersionsRoutes } from './modules/personas/persona-versions.routes.js'
import { personasRoutes } from './modules/personas/personas.routes.js'
import { mcpServerRoutes } from './modules/mcp-server/mcp-server.routes.js'
import { runsRoutes } from './modules/runs/runs.routes.js'
import { screenplaysRoutes } from './modules/screenplays/screenplays.routes.js'
import { tasksRoutes } from './modules/tasks/tasks.routes.js'
import { realtimeRoutes } from './realtime/realtime.routes.js'
import { mcpRegistryRoutes } from './modules/mcp-registry/registry.routes.js'
import { binderRoutes } from './modules/mcp-registry/binder.routes.js'
import { meshRoutes } from './modules/mcp-registry/mesh.routes.js'
import { SseHeartbeat } from './platform/http/sse.js'
import { registerWebSocketRoutes } from './platform/http/websocket-routes.js'

export interface BuildAppOptions {
  logger?: Logger | false
}

export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  installZodMessages()
  const { server } = deps.config
  const countUnrouted = deps.config.metrics.enabled ? unroutedRequestCounter(deps.metrics) : undefined
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger, childLoggerFactory: lazyChildLogger } : { logger: false }),
    bodyLimit: server.bodyLimitBytes,
    trustProxy: server.trustProxy,
    genReqId: requestIdOf,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    // Requests that arrive while closing are answered by refusalWhileClosing instead.
    return503OnClosing: false,
    frameworkErrors: routerErrorAnswer(countUnrouted),
    clientErrorHandler,
  })
  if (tracingActive()) installHttpTracing(app)
  installAccessCheck(app)
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(fastSerializerCompiler)
  installErrorHandlers(app, server.bodyLimitBytes, countUnrouted)
  installJsonBodyParser(app)
  closeConnectionsWithUnreadBodies(app)
  if (deps.config.metrics.enabled) installHttpMetrics(app, deps.metrics)
  installRequestChecks(app, [answerWithRequestId, refuseNulInUrl, refusalWhileClosing(app)])

  await allowCrossOrigin(app, server.corsOrigins)
  const { limits } = deps.config
  // After CORS (so refusals carry its headers), before every route: who may call what, and how often.
  installAuthHook(app, { authenticator: deps.auth.authenticator, trustedOrigins: server.corsOrigins })
  const work = new WorkBudget(limits.expensivePerMinute, () => deps.clock.now())
  installLimits(app, { work, streamsPerClient: limits.streamsPerClient })
  await registerDocs(app, {
    title: 'Conductor Gateway API',
    version: GATEWAY_VERSION,
    description: 'Screenplays, agents, conversations and agent runs for conductor-web and new clients.',
  })

  const heartbeat = new SseHeartbeat(deps.config.streams.heartbeatMs)
  deps.metrics.countSseWith(() => heartbeat.size)
  // Open streams would hold shutdown forever; readers resume elsewhere with Last-Event-ID.
  app.addHook('preClose', async () => {
    heartbeat.closeAll()
    deps.gamification.closeAll()
  })
  const { retryMs, maxBufferedBytes, stallMs } = deps.config.streams
  const sse = { heartbeat, options: { retryMs, maxBufferedBytes, stallMs } }
  const { runs, agentRuns } = deps

  await app.register(authRoutes, {
    authenticator: deps.auth.authenticator,
    sessions: deps.auth.sessions,
    sessionTtlMs: deps.config.auth.sessionTtlMs,
    loginPerMinute: limits.loginPerMinute,
    issuer: deps.config.auth.jwtIssuer,
    now: () => deps.clock.now(),
  })
  await app.register(withAccess('public', healthRoutes), {
    host: server.host,
    port: server.port,
    mode: deps.database.dialect === 'postgres' ? 'server' : 'embedded',
    database: deps.database,
  })
  if (deps.config.metrics.enabled) await app.register(withAccess('admin', metricsRoutes), { metrics: deps.metrics })
  await app.register(withAccess('user', screenplaysRoutes), { screenplays: deps.screenplays, answers: deps.screenplayAnswers })
  await app.register(withAccess('user', navigationRoutes), { navigation: deps.navigation })
  await app.register(withAccess('user', agentsRoutes), { agents: deps.agents })
  await app.register(withAccess('user', personasRoutes), { personas: deps.personas })
  await app.register(withAccess('user', personaVersionsRoutes), { versions: deps.personaVersions })
  await app.register(withAccess('user', instancesRoutes), { instances: deps.instances })
  await app.register(withAccess('user', runsRoutes), { runs, agentRuns, sse })
  await app.register(withAccess('user', tasksRoutes), { runs })
  await app.register(withAccess('user', agentExecuteRoutes), { chat: deps.chat })
  await app.register(withAccess('user', legacyExecuteRoutes), { runs, agentRuns, agents: deps.agents })
  const { portfolio } = deps.config
  await app.register(withAccess('public', portfolioRoutes), {
    chat: deps.chat,
    agents: deps.agents,
    conversations: deps.conversations,
    sessions: new PortfolioSessions(portfolio.sessionSecret),
    agentId: portfolio.agentId,
    perMinute: portfolio.rateLimitPerMinute,
    timeoutMs: portfolio.timeoutMs,
  })
  await app.register(withAccess('user', streamExecuteRoutes), { agentRuns, sse: { ...sse, runs } })
  await registerWebSocketRoutes(app, { maxPayload: limits.wsMaxMessageBytes }, async (scope) => {
    await scope.register(withAccess('user', realtimeRoutes), {
      gamification: deps.gamification,
      ingest: deps.watcher,
      wsMessagesPerMinute: limits.wsMessagesPerMinute,
    })
  })
  await app.register(withAccess('user', councilorRoutes), {
    councilors: deps.councilors.service,
    scheduler: deps.councilors.scheduler,
    agents: deps.agents,
  })
  await app.register(withAccess('user', conversationsRoutes), { conversations: deps.conversations })
  await app.register(withAccess('user', messagesRoutes), { conversations: deps.conversations })
  await app.register(withAccess('user', conversationContextRoutes), {
    conversations: deps.conversations,
    uploadMaxBytes: deps.config.conversations.contextUploadMaxBytes,
  })
  await app.register(withAccess('user', mcpRegistryRoutes), { registry: deps.mcpRegistry.registry, names: deps.mcpRegistry.names })
  await app.register(withAccess('user', binderRoutes), { binder: deps.mcpRegistry.binder })
  await app.register(withAccess('admin', meshRoutes), { mesh: deps.mcpRegistry.mesh })
  await app.register(withAccess('admin', mcpServerRoutes), {
    services: { ...deps, registry: deps.registryCheck },
    cluster: deps.cluster,
    clustered: deps.database.dialect === 'postgres',
    origin: { bindHost: server.host, corsOrigins: server.corsOrigins, allowedHosts: deps.config.mcp_server.allowedHosts },
    port: server.port,
    heartbeatMs: deps.config.streams.heartbeatMs,
    work,
  })
  // Last: the web client takes only the paths no route above answers.
  if (deps.config.web.root) await registerWebRoot(app, deps.config.web.root)

  return app
}
