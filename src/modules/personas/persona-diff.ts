// Line diff between two persona versions, as the version-compare endpoint reports it.
import { diffArrays } from 'diff'

export type DiffLineType = 'added' | 'removed' | 'unchanged'

export interface LineDiff {
  differences: Array<{ type: DiffLineType; content: string }>
  summary: {
    totalLinesV1: number
    totalLinesV2: number
    addedLines: number
    removedLines: number
    unchangedLines: number
    /** Changed lines (added + removed) as a percentage of all lines of both versions. */
    changePercentage: number
  }
}

/** Beyond this many edits the diff is reported as "everything replaced" instead of searched for. */
const MAX_EDIT_LENGTH = 5_000

export function diffLines(before: string, after: string): LineDiff {
  const oldLines = before.split('\n')
  const newLines = after.split('\n')
  const changes = diffArrays(oldLines, newLines, { maxEditLength: MAX_EDIT_LENGTH }) ?? [
    { removed: true, added: false, value: oldLines, count: oldLines.length },
    { added: true, removed: false, value: newLines, count: newLines.length },
  ]
  const differences: LineDiff['differences'] = []
  for (const change of changes) {
    const type: DiffLineType = change.added ? 'added' : change.removed ? 'removed' : 'unchanged'
    for (const content of change.value) differences.push({ type, content })
  }
  const count = (type: DiffLineType) => differences.filter((d) => d.type === type).length
  const added = count('added')
  const removed = count('removed')
  const total = oldLines.length + newLines.length
  return {
    differences,
    summary: {
      totalLinesV1: oldLines.length,
      totalLinesV2: newLines.length,
      addedLines: added,
      removedLines: removed,
      unchangedLines: count('unchanged'),
      changePercentage: total === 0 ? 0 : Math.round(((added + removed) / total) * 10_000) / 100,
    },
  }
}
