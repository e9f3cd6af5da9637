// What a run's end changes elsewhere, committed in the same transaction as the end itself
// (so it happens exactly once, on whichever instance ends the run): the conversation's bot
// message is filled in and the agent instance's statistics count the run.
import type { RunRecorder } from '../engine/run-recorder.js'
import { durationOf, type Run } from '../engine/run.js'
import { NotFoundError } from '../platform/http/errors.js'
import type { ConversationsService } from '../modules/conversations/conversations.service.js'
import type { InstancesService } from '../modules/instances/instances.service.js'

export function applyRunEndEffects(recorder: RunRecorder, deps: { conversations: ConversationsService; instances: InstancesService }): void {
  recorder.onEnd(async (run, tx) => {
    const completedAt = run.endedAt ?? run.updatedAt
    if (run.conversationId && run.options.botMessageId) {
      await ignoreMissing(
        deps.conversations.updateMessage(
          run.conversationId,
          run.options.botMessageId,
          { content: botReplyOf(run), status: run.status === 'completed' ? 'completed' : 'error', completedAt },
          tx,
        ),
      )
    }
    if (run.instanceId && run.status !== 'cancelled') {
      const exitCode = run.exitCode ?? (run.status === 'completed' ? 0 : 1)
      await ignoreMissing(deps.instances.recordExecution(run.instanceId, { durationMs: durationOf(run, completedAt), exitCode, completedAt }, tx))
    }
  })
}

/** The text the bot message ends with; on failure the original's wording. */
export function botReplyOf(run: Run): string {
  if (run.status === 'completed') return run.output
  if (run.output) return run.output
  if (run.status === 'cancelled') return 'Execução cancelada'
  return run.error ? `Erro: ${run.error}` : `Erro na execução (exit_code: ${run.exitCode ?? 1})`
}

/** The conversation or instance may be gone by the time the run ends: nothing to update then. */
async function ignoreMissing(work: Promise<unknown>): Promise<void> {
  try {
    await work
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err
  }
}
