// An instance's history is its runs: what it was asked and what it answered.
import type { Runs } from '../../engine/runs.js'
import type { InstanceHistorySource } from './instance-history.js'

const INSTANCE_HISTORY_RUNS = 200

export function runHistoryOf(runs: Runs): InstanceHistorySource {
  return {
    async historyOf(instanceId) {
      const { runs: newest } = await runs.list({ instanceId, includeDeleted: true, limit: INSTANCE_HISTORY_RUNS, offset: 0 })
      return newest.reverse().map((run) => ({
        id: run.id,
        userInput: run.input,
        aiResponse: run.output,
        timestamp: run.endedAt ?? run.createdAt,
        isDeleted: run.isDeleted,
      }))
    },
    hideHistoryOf: (instanceId, _now, uow) => runs.hideForInstance(instanceId, uow),
  }
}
