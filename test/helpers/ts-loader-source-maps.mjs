// Module hook of ts-loader.mjs: registered after tsx's, so it runs first and sees what tsx returns.
const MARK = '//# sourceMappingURL=data:application/json;base64,'

/** Whether a load result is tsx's output for a TypeScript file (with its inline source map). */
export function isTsxOutput (url, result) {
  if (!url.startsWith('file:') || !/\.[cm]?tsx?$/.test(new URL(url).pathname) || result.source == null) return false
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8')
  return source.includes(MARK)
}

/** A load result of tsx's with `sourcesContent: [null]` dropped from its inline source map. */
export function withoutEmptySources (url, result) {
  if (!url.startsWith('file:') || !/\.[cm]?tsx?$/.test(new URL(url).pathname) || result.source == null) return result
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8')
  const at = source.lastIndexOf(MARK)
  if (at === -1) return result
  const map = JSON.parse(Buffer.from(source.slice(at + MARK.length), 'base64').toString('utf8'))
  if (!Array.isArray(map.sourcesContent) || map.sourcesContent.some(content => content !== null)) return result
  delete map.sourcesContent
  return { ...result, source: source.slice(0, at + MARK.length) + Buffer.from(JSON.stringify(map)).toString('base64') }
}

export async function load (url, context, nextLoad) {
  return withoutEmptySources(url, await nextLoad(url, context))
}
