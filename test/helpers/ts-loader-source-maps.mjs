// Module hook of ts-loader.mjs: registered after tsx's, so it runs first and sees what tsx returns.
const MARK = '//# sourceMappingURL=data:application/json;base64,'

/** tsx's output for a TypeScript file: its text and where its inline source map starts; else undefined. */
export function tsxOutput (url, result) {
  if (!url.startsWith('file:') || !/\.[cm]?tsx?$/.test(new URL(url).pathname) || result.source == null) return undefined
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8')
  const at = source.lastIndexOf(MARK)
  return at === -1 ? undefined : { source, at }
}

/** A load result of tsx's with `sourcesContent: [null]` dropped from its inline source map. */
export function withoutEmptySources (result, output) {
  if (output === undefined) return result
  const { source, at } = output
  const map = JSON.parse(Buffer.from(source.slice(at + MARK.length), 'base64').toString('utf8'))
  if (!Array.isArray(map.sourcesContent) || map.sourcesContent.some(content => content !== null)) return result
  delete map.sourcesContent
  return { ...result, source: source.slice(0, at + MARK.length) + Buffer.from(JSON.stringify(map)).toString('base64') }
}

export async function load (url, context, nextLoad) {
  const result = await nextLoad(url, context)
  return withoutEmptySources(result, tsxOutput(url, result))
}
