// What a Python Conductor's watcher pushes to the gateway (task events over HTTP, agent stream
// frames over WebSocket) is rebroadcast to every browser and handed to whoever follows that
// task (the conductor executor), as the original gateway did (§2.1.3, §4.2).
import type { Frame } from '../platform/events/frame.js'
import { claudeNews } from './claude-news.js'
import type { GamificationHub } from './gamification-hub.js'

export const TASK_EVENT_TYPES = ['task_inputted', 'task_submitted', 'task_picked', 'task_started', 'task_completed', 'task_error'] as const

export class WatcherIngest {
  private readonly followers: Array<(frame: Frame) => void> = []

  constructor(private readonly gamification: GamificationHub) {}

  /** Registers a consumer of every watcher frame (e.g. the conductor executor's router). */
  follow(consumer: (frame: Frame) => void): void {
    this.followers.push(consumer)
  }

  /** A task lifecycle event: broadcast with its data unchanged. */
  taskEvent(frame: Frame): number {
    this.gamification.broadcast(frame)
    this.forward(frame)
    return this.gamification.clientCount
  }

  /** An agent-stream frame: broadcast at debug level, plus the news derived from it. */
  streamFrame(frame: Frame): void {
    this.gamification.broadcast({ type: frame.type, data: { ...frame.data, level: 'debug' } })
    if (frame.type === 'agent_stream') {
      const { task_id, agent_id, instance_id, conversation_id } = frame.data
      for (const news of claudeNews(frame.data.event, { task_id, agent_id, instance_id, conversation_id })) this.gamification.broadcast(news)
    }
    this.forward(frame)
  }

  private forward(frame: Frame): void {
    for (const follower of this.followers) follower(frame)
  }
}
