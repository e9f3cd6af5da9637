// Routes the Conductor watcher's callbacks (conductor-backend.md §2.5: `/api/internal/task-event`
// bodies and `/ws/agent-stream` frames) to the conductor run waiting for that task. The inbound
// endpoints call `dispatch`; the conductor executor subscribes for its run id (= task id).
import type { ClusterChannel } from '../../platform/events/cluster-channel.js'
import { parseFrame, type Frame } from '../../platform/events/frame.js'

/** A watcher message names its task in `data.task_id`. */
export type ConductorFrameHandler = (frame: Frame) => void

const FORWARD_CHANNEL = 'conductor_frame'

export class ConductorCallbackRouter {
  private readonly handlers = new Map<string, Set<ConductorFrameHandler>>()

  /**
   * @param cluster when given, frames for tasks running on another gateway instance are
   *   forwarded there (the watcher calls whichever instance its URL reaches).
   */
  constructor(private readonly cluster?: ClusterChannel) {
    cluster?.on(FORWARD_CHANNEL, (payload) => {
      const frame = parseFrame(payload)
      if (frame) this.deliver(frame)
    })
  }

  /**
   * Hands a frame to the runs subscribed to its `data.task_id`. Returns false when no run in
   * this process waits for that task (it may still be forwarded to other instances); the caller
   * decides what else to do with it, e.g. rebroadcast it as the original gateway did.
   */
  dispatch(frame: Frame): boolean {
    if (this.deliver(frame)) return true
    if (taskIdOf(frame)) this.cluster?.send(FORWARD_CHANNEL, JSON.stringify(frame))
    return false
  }

  /** Calls `handler` with every frame for `taskId` until the returned function is called. */
  subscribe(taskId: string, handler: ConductorFrameHandler): () => void {
    let set = this.handlers.get(taskId)
    if (!set) this.handlers.set(taskId, (set = new Set()))
    set.add(handler)
    return () => {
      set.delete(handler)
      if (set.size === 0 && this.handlers.get(taskId) === set) this.handlers.delete(taskId)
    }
  }

  private deliver(frame: Frame): boolean {
    const taskId = taskIdOf(frame)
    const set = taskId ? this.handlers.get(taskId) : undefined
    if (!set || set.size === 0) return false
    for (const handler of [...set]) handler(frame)
    return true
  }
}

function taskIdOf(frame: Frame): string | undefined {
  const id = frame.data?.task_id
  return typeof id === 'string' && id !== '' ? id : undefined
}
