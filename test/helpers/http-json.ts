// A JSON client for a gateway listening on a real port (fetch, not inject).

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
export type Json = any

export interface HttpJson {
  base: string
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>
}

export function httpJson(base: string): HttpJson {
  return {
    base,
    async call(method, path, body) {
      const res = await fetch(`${base}${path}`, {
        method,
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    },
  }
}
