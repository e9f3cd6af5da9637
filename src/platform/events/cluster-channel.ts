// Messages between gateway instances that share one database. The embedded profile has a
// single instance, so its channel delivers nothing; the server profile uses LISTEN/NOTIFY.

export interface ClusterChannel {
  /** False while there is no other instance to tell: what is sent then is dropped (senders may skip building it). */
  readonly isClustered: boolean
  /** Tells every other gateway instance; never delivered back to the sender. */
  send(channel: string, payload: string): void
  /** Registers the handler for messages other instances send on `channel`. */
  on(channel: string, handler: (payload: string) => void): void
  /** Registers work to do when the channel is back after losing its connection (messages sent meanwhile were missed). */
  onReconnect?(handler: () => void): void
  close(): Promise<void>
}

/** The embedded profile: there are no other instances to tell. */
export class LocalClusterChannel implements ClusterChannel {
  readonly isClustered = false
  send(): void {}
  on(): void {}
  async close(): Promise<void> {}
}
