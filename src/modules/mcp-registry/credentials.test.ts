import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { CredentialSealer, CredentialsUnreadable, headersOf } from './credentials.js'

describe('CredentialSealer', () => {
  const sealer = new CredentialSealer(randomBytes(32))
  const credentials = { auth: 'token-1', headers: { 'X-Tenant': 'acme' } }

  it('opens what it sealed, and the sealed text does not contain the secrets', () => {
    const sealed = sealer.seal('crm', credentials)
    assert.ok(!sealed.includes('token-1') && !Buffer.from(sealed.slice(3), 'base64').toString('latin1').includes('token-1'))
    assert.deepEqual(sealer.open('crm', sealed), credentials)
    assert.notEqual(sealer.seal('crm', credentials), sealed, 'a fresh IV each time')
  })

  it('refuses a sealed value moved to another server, a changed one and another key, readably', () => {
    const sealed = sealer.seal('crm', credentials)
    assert.throws(() => sealer.open('docs', sealed), CredentialsUnreadable)
    const bytes = Buffer.from(sealed.slice(3), 'base64')
    bytes[bytes.length - 1]! ^= 1
    assert.throws(() => sealer.open('crm', `v1:${bytes.toString('base64')}`), CredentialsUnreadable)
    assert.throws(
      () => new CredentialSealer(randomBytes(32)).open('crm', sealed),
      /credentials of MCP server 'crm' cannot be read: MCP_CREDENTIALS_KEY is not the key they were stored with/,
    )
    assert.throws(() => new CredentialSealer(null).open('crm', sealed), /no MCP_CREDENTIALS_KEY is configured/)
  })

  it('refuses to seal without a key, saying how to set one', () => {
    assert.throws(() => new CredentialSealer(null).seal('crm', credentials), /MCP_CREDENTIALS_KEY.*openssl rand -base64 32/)
  })

  it('turns credentials into headers: the token as a bearer', () => {
    assert.deepEqual(headersOf(credentials), { 'X-Tenant': 'acme', Authorization: 'Bearer token-1' })
    assert.equal(headersOf({}), undefined)
  })
})
