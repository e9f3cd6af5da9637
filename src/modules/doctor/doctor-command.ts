// The CLI side of `doctor`: prints every check; exit code 1 when something required is broken.
import type { Config, ConfigError } from '../../config.js'
import { formatChecks, runDoctor } from './doctor.js'

export async function doctorCommand(config: Config): Promise<number> {
  const { text, failed } = formatChecks(await runDoctor(config))
  process.stdout.write(text)
  return failed ? 1 : 0
}

/** An invalid setting is the first thing doctor reports (nothing else can be checked without a configuration). */
export function doctorConfigFailure(err: ConfigError): number {
  const { text } = formatChecks([
    { status: 'fail', name: 'configuration', detail: err.message, fix: 'correct the setting named above (README, Configuration)' },
  ])
  process.stdout.write(text)
  return 1
}
